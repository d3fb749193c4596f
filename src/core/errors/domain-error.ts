/**
 * The one error family of deskmail. Everything below a controller throws one of these
 * (never an HTTP exception); `ErrorFilter` maps them to the contract's error shape
 * `{ statusCode, error, message, code? }` in one place.
 */
export type ErrorCode =
  | 'AUTHENTICATION_FAILED'
  | 'CONNECTION_FAILED'
  | 'TLS_ERROR'
  | 'TIMEOUT'
  | 'PROTOCOL_ERROR'
  | 'TOKEN_REQUEST_FAILED'
  | 'INVALID_GRANT'
  | 'AUTHORIZATION_REQUIRED';

export abstract class DomainError extends Error {
  /** HTTP status the error maps to when it reaches a controller. */
  abstract readonly status: number;
  /** Contract error code, for errors about a mail or OAuth server. */
  readonly code?: ErrorCode;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

export class NotFoundError extends DomainError {
  readonly status = 404;
  constructor(what: string, id: string) {
    super(`${what} ${id} not found`);
  }
}

/** A broken rule about input: `field` is named in the message, as the contract asks. */
export class InvalidInputError extends DomainError {
  readonly status = 400;
  constructor(
    readonly field: string,
    reason: string,
  ) {
    super(`${field} ${reason}`);
  }
}

export class ConflictError extends DomainError {
  readonly status = 409;
}

export class ForbiddenError extends DomainError {
  readonly status = 403;
}

/**
 * The database did not answer in time or cannot be reached: nothing about the request (or
 * the mail) that ran into it is wrong, so it is answered 503 and retried later, never
 * turned into a quarantine row or a 500.
 */
export class DatabaseUnavailableError extends DomainError {
  readonly status = 503;
  constructor(
    message: string,
    /** A deadline passed (statement, lock or idle-in-transaction timeout, no free connection in time). */
    readonly timedOut: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
