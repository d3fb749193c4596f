import { AuthenticationError, ConnectionError, MailError, ProtocolError, ThrottledError } from '../../../core/errors';
import { credentialsRefused, hostPort, mapNetworkError, unknownFailure, type ServerContext } from '../error-mapping';
import { EwsHttpFailure } from './ews-http';
import { retryAfterMs } from './https-exchange';

/** A ResponseClass="Error" answer of one EWS operation (ews-javascript-api's ServiceResponseException, normalised). */
export class EwsResponseError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly backOffMs: number | null = null,
  ) {
    super(message);
  }
}

export interface EwsErrorContext extends ServerContext {
  /** The EWS URL (connectUrl). */
  url: string;
  /** The mailbox whose folders are opened. */
  mailbox: string;
  folder?: string;
  operation?: string;
}

/** When the server gives no wait time: long enough not to add to the load that throttled us. */
export const DEFAULT_THROTTLE_MS = 60_000;

/** Answers that mean "not now": the mailbox is busy, moving or briefly unavailable. */
const TRANSIENT_CODES = new Set([
  'ErrorMailboxMoveInProgress',
  'ErrorMailboxStoreUnavailable',
  'ErrorInternalServerTransientError',
  'ErrorTimeoutExpired',
  'ErrorConnectionFailed',
  'ErrorProxyRequestProcessingFailed',
]);

/**
 * EWS failure → the MailError family (style.md: one small mapper per adapter). Pure: it
 * looks at our own failure records (EwsHttpFailure, EwsResponseError) and socket errors,
 * never at the library, so every row of its table is tested.
 */
export function mapEwsError(err: unknown, ctx: EwsErrorContext): MailError {
  if (err instanceof MailError) return err;
  const network = mapNetworkError(err, ctx);
  if (network) return network;
  if (err instanceof EwsResponseError) return mapResponseCode(err.code, err.message, err.backOffMs, ctx, err);
  if (err instanceof EwsHttpFailure) return mapHttpFailure(err, ctx);
  return unknownFailure(ctx, err);
}

function mapHttpFailure(err: EwsHttpFailure, ctx: EwsErrorContext): MailError {
  const { response, fault } = err;
  const where = hostPort(ctx);
  const status = `${response.status} ${response.statusText}`.trim();
  if (fault && response.status === 500) return mapResponseCode(fault.code, fault.message, fault.backOffMs, ctx, err);
  switch (response.status) {
    case 401:
      return credentialsRefused(ctx, refusalReason(response.headers) || status, err);
    case 403:
      return new AuthenticationError(`${where} refused access to EWS (${status}); ${permissionHint(ctx)}`, { cause: err });
    case 404:
      return new ProtocolError(`there is no EWS endpoint at ${ctx.url} (${status}); connectUrl usually ends in /EWS/Exchange.asmx`, { cause: err });
    case 429:
    case 503: {
      const wait = retryAfterMs(response.headers['retry-after']) ?? DEFAULT_THROTTLE_MS;
      return new ThrottledError(`${where} asks us to slow down (${status}); retrying after ${Math.ceil(wait / 1000)} s`, wait, { cause: err });
    }
  }
  if (response.status >= 300 && response.status < 400) {
    const location = response.headers.location;
    return new ProtocolError(`${ctx.url} redirects${location ? ` to ${location}` : ''} (${status}); set connectUrl to the EWS address itself`, { cause: err });
  }
  if (response.status >= 500) return new ConnectionError(`${where} failed to answer ${ctx.operation ?? 'EWS'} (${status})`, { cause: err });
  return new ProtocolError(`${where} refused ${ctx.operation ?? 'the EWS request'} (${status})`, { cause: err });
}

function mapResponseCode(code: string, message: string, backOffMs: number | null, ctx: EwsErrorContext, cause: unknown): MailError {
  const where = hostPort(ctx);
  const said = message ? `${code}: ${message}` : code;
  switch (code) {
    case 'ErrorServerBusy': {
      const wait = backOffMs ?? DEFAULT_THROTTLE_MS;
      return new ThrottledError(`${where} is throttling this mailbox (ErrorServerBusy); retrying after ${Math.ceil(wait / 1000)} s`, wait, { cause });
    }
    case 'ErrorAccessDenied':
      return new AuthenticationError(`access to the mailbox ${ctx.mailbox} was denied (${said}); ${permissionHint(ctx)}`, { cause });
    case 'ErrorNonExistentMailbox':
    case 'ErrorInvalidSmtpAddress':
      return new ProtocolError(`there is no mailbox ${ctx.mailbox} on ${where} (${said}); check the username`, { cause });
    case 'ErrorFolderNotFound':
      return new ProtocolError(`folder "${ctx.folder ?? '?'}" does not exist in ${ctx.mailbox} on ${where}`, { cause });
  }
  if (TRANSIENT_CODES.has(code)) return new ConnectionError(`${where} could not serve ${ctx.operation ?? 'the request'} right now (${said})`, { cause });
  return new ProtocolError(`${where} answered ${ctx.operation ?? 'an EWS request'} with ${said}`, { cause });
}

/**
 * What the admin has to grant. EWS answers ErrorAccessDenied (or 403) when the signed-in
 * account may not open this mailbox; with OAuth2, Microsoft's EWS also needs the delegated
 * EWS.AccessAsUser.All permission (design.md: the outlook preset with baseScope ews).
 */
function permissionHint(ctx: EwsErrorContext): string {
  const access = `the account ${ctx.username ?? ''} needs full access to the mailbox ${ctx.mailbox}`.replace('  ', ' ');
  if (ctx.authKind !== 'oauth2') return access;
  return `${access}, and the OAuth2 grant needs the permission EWS.AccessAsUser.All (outlook app with baseScope "ews"; IMAP/SMTP or Graph scopes do not work for EWS)`;
}

/**
 * Why a 401 happened, as Exchange Online says it: `x-ms-diagnostics: 2000008;reason="The token
 * contains not enough scope to make this call.";error_category="invalid_grant"`, or the RFC 6750
 * `error_description` of WWW-Authenticate.
 */
export function refusalReason(headers: Record<string, string>): string {
  const diagnostics = /reason="([^"]*)"/.exec(headers['x-ms-diagnostics'] ?? '')?.[1];
  if (diagnostics) return diagnostics;
  const description = /error_description="([^"]*)"/.exec(headers['www-authenticate'] ?? '')?.[1];
  if (description) return description;
  const error = /error="([^"]*)"/.exec(headers['www-authenticate'] ?? '')?.[1];
  return error ?? '';
}

/** The EWS response code behind a mapped error (e.g. to recognise ErrorInvalidSyncStateData), or null. */
export function ewsCodeOf(err: unknown): string | null {
  for (let current = err, depth = 0; current && depth < 4; current = (current as { cause?: unknown }).cause, depth++) {
    if (current instanceof EwsResponseError) return current.code;
    if (current instanceof EwsHttpFailure) return current.fault?.code ?? null;
  }
  return null;
}
