import { DomainError, ErrorCode } from './domain-error';

/**
 * Errors about a remote mail or OAuth server. Each adapter has one small mapper from its
 * library's errors to these classes; the fetch loop, the outbox and the controllers only
 * look at `code` and `retryable`. Reaching a controller they answer 502 with `code`.
 */
export abstract class MailError extends DomainError {
  readonly status: number = 502;
  abstract override readonly code: ErrorCode;
  /** Whether trying again later (same settings) may succeed. */
  abstract readonly retryable: boolean;
}

export class AuthenticationError extends MailError {
  readonly code = 'AUTHENTICATION_FAILED' as const;
  readonly retryable = false;
}

export class ConnectionError extends MailError {
  readonly code = 'CONNECTION_FAILED' as const;
  readonly retryable = true;
}

export class TlsError extends MailError {
  readonly code = 'TLS_ERROR' as const;
  readonly retryable = false;
}

export class TimeoutError extends MailError {
  readonly code = 'TIMEOUT' as const;
  readonly retryable = true;
}

export class ProtocolError extends MailError {
  readonly code = 'PROTOCOL_ERROR' as const;
  readonly retryable = false;
}

/** The server asked us to slow down (HTTP 429/503, EWS ErrorServerBusy). */
export class ThrottledError extends MailError {
  readonly code = 'CONNECTION_FAILED' as const;
  readonly retryable = true;
  constructor(
    message: string,
    readonly retryAfterMs: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The token endpoint failed in a way that may pass: 5xx, timeout, empty or non-JSON body. */
export class TokenRequestError extends MailError {
  readonly code = 'TOKEN_REQUEST_FAILED' as const;
  readonly retryable = true;
}

/** The grant is dead (revoked, expired, password changed): only a new consent helps. */
export class InvalidGrantError extends MailError {
  readonly code = 'INVALID_GRANT' as const;
  readonly retryable = false;
}

/** OAuth2 side has no grant yet: the admin must authorize first. */
export class ReauthorizationRequired extends MailError {
  readonly code = 'AUTHORIZATION_REQUIRED' as const;
  readonly retryable = false;
}

/** A server refused a message for good (SMTP 5xx, Graph/EWS permanent fault): never retried. */
export class MessageRejectedError extends MailError {
  readonly code = 'PROTOCOL_ERROR' as const;
  readonly retryable = false;
  constructor(
    message: string,
    readonly response: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** A server deferred a message (SMTP 4xx): retried with backoff. */
export class TemporaryRejectionError extends MailError {
  readonly code = 'CONNECTION_FAILED' as const;
  readonly retryable = true;
  constructor(
    message: string,
    readonly response: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
