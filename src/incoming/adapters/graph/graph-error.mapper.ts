import { AuthenticationError, ConnectionError, MailError, ProtocolError, ThrottledError } from '../../../core/errors';
import { credentialsRefused, hostPort, mapNetworkError, unknownFailure, type ServerContext } from '../error-mapping';
import { retryAfterMs } from '../ews/https-exchange';

export interface GraphErrorContext extends ServerContext {
  /** The mailbox addressed (`/users/{mailbox}`). */
  mailbox: string;
  /** What we were doing, e.g. `GET mailFolders/…/messages/delta`. */
  operation?: string;
  /** The delegated permission the operation needs: Mail.ReadWrite, Mail.Send. */
  permission: 'Mail.ReadWrite' | 'Mail.Send';
  folder?: string;
}

/** An error answer of Graph, however the client library delivered it. */
export interface GraphFailure {
  status: number;
  code: string;
  message: string;
  retryAfter?: string;
  wwwAuthenticate?: string;
}

/** When Graph gives no Retry-After: long enough not to add to the load that throttled us. */
export const DEFAULT_THROTTLE_MS = 60_000;

/**
 * Graph failure → the MailError family (style.md: one mapper per adapter). Handles the
 * client library's GraphError (statusCode, code, message, headers), GraphClientError whose
 * customError is what our middleware hit (socket, TLS, deadline), and plain socket errors.
 */
export function mapGraphError(err: unknown, ctx: GraphErrorContext): MailError {
  if (err instanceof MailError) return err;
  const inner = (err as { customError?: unknown } | null)?.customError;
  if (inner !== undefined) return mapGraphError(inner, ctx);
  const network = mapNetworkError(err, ctx);
  if (network) return network;
  const failure = graphFailureOf(err);
  if (!failure) return unknownFailure(ctx, err);
  return mapGraphFailure(failure, ctx, err);
}

export function mapGraphFailure(failure: GraphFailure, ctx: GraphErrorContext, cause: unknown = failure): MailError {
  const where = hostPort(ctx);
  const said = [failure.code, failure.message].filter(Boolean).join(': ') || `HTTP ${failure.status}`;
  const options = { cause };
  switch (failure.status) {
    case 401:
      return credentialsRefused(ctx, bearerError(failure.wwwAuthenticate) || said, cause);
    case 403:
      return new AuthenticationError(`Microsoft Graph denied access to the mailbox ${ctx.mailbox} (${said}); ${permissionHint(ctx)}`, options);
    case 404:
      if (/MailboxNotEnabledForRESTAPI|ErrorInvalidUser|MailboxNotFound/i.test(failure.code)) {
        return new ProtocolError(`there is no mailbox ${ctx.mailbox} at ${where} (${said}); check the username`, options);
      }
      if (ctx.folder) return new ProtocolError(`folder "${ctx.folder}" does not exist in ${ctx.mailbox} (${said})`, options);
      break;
    case 429:
    case 503:
    case 504: {
      const wait = retryAfterMs(failure.retryAfter) ?? DEFAULT_THROTTLE_MS;
      return new ThrottledError(`Microsoft Graph asks us to slow down (${failure.status} ${said}); retrying after ${Math.ceil(wait / 1000)} s`, wait, options);
    }
  }
  if (failure.status >= 500) return new ConnectionError(`${where} failed to answer ${ctx.operation ?? 'a Graph request'} (${failure.status} ${said})`, options);
  return new ProtocolError(`${where} refused ${ctx.operation ?? 'a Graph request'} (${failure.status} ${said})`, options);
}

/**
 * Microsoft Graph answers 403 ErrorAccessDenied ("Access is denied. Check credentials and try
 * again.") without saying what is missing; the operation tells which delegated permission it is.
 */
function permissionHint(ctx: GraphErrorContext): string {
  return (
    `the OAuth2 grant needs the permission ${ctx.permission} (${ctx.permission}.Shared for a shared mailbox): ` +
    'use an outlook app with baseScope "graph" and authorize again; tokens for IMAP/SMTP or EWS scopes do not work for Graph'
  );
}

/** RFC 6750 §3: `error_description` (or `error`) of WWW-Authenticate. */
function bearerError(header: string | undefined): string {
  if (!header) return '';
  return /error_description="([^"]*)"/.exec(header)?.[1] ?? /error="([^"]*)"/.exec(header)?.[1] ?? '';
}

/** GraphError → GraphFailure. A failed `$value` download carries its JSON error as an ArrayBuffer body. */
export function graphFailureOf(err: unknown): GraphFailure | null {
  const e = err as { statusCode?: unknown; code?: unknown; message?: unknown; body?: unknown; headers?: unknown } | null;
  if (!e || typeof e.statusCode !== 'number' || e.statusCode < 100) return null;
  let code = typeof e.code === 'string' ? e.code : '';
  let message = typeof e.message === 'string' ? e.message : '';
  if (!code) {
    const parsed = parseErrorBody(e.body);
    code = parsed?.code ?? '';
    message = parsed?.message ?? message;
  }
  return { status: e.statusCode, code, message, retryAfter: header(e.headers, 'retry-after'), wwwAuthenticate: header(e.headers, 'www-authenticate') };
}

function parseErrorBody(body: unknown): { code?: string; message?: string } | null {
  let text: string | null = null;
  if (typeof body === 'string') text = body;
  else if (body instanceof ArrayBuffer) text = Buffer.from(body).toString('utf8');
  else if (Buffer.isBuffer(body)) text = body.toString('utf8');
  if (!text) return null;
  try {
    const parsed = JSON.parse(text) as { error?: { code?: string; message?: string } };
    return parsed.error ?? null;
  } catch {
    return null;
  }
}

function header(headers: unknown, name: string): string | undefined {
  if (!headers) return undefined;
  if (typeof (headers as Headers).get === 'function') return (headers as Headers).get(name) ?? undefined;
  const value = (headers as Record<string, unknown>)[name];
  return typeof value === 'string' ? value : undefined;
}
