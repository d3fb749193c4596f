import type { MailSourceOptions } from '../mail-source.port';
import {
  AuthenticationError,
  ConnectionError,
  MailError,
  ProtocolError,
  TimeoutError,
  TlsError,
} from '../../core/errors';
import { formatSeconds } from '../../core/net/deadline';

/**
 * What a message about a failure needs to know to tell the admin what to change: which
 * server, as whom, how. Shared by the IMAP and POP3 mappers; each adds its library's
 * own cases on top of `mapNetworkError`.
 */
export interface ServerContext {
  host: string;
  port: number;
  username?: string;
  authKind: 'password' | 'oauth2' | 'none';
  /** The connect and command deadlines, cited in timeout messages. */
  connectMs: number;
  commandMs: number;
}

/** The context an adapter's error messages cite: where, who, how, and the deadlines. */
export function serverContext(options: Pick<MailSourceOptions, 'endpoint' | 'credentials' | 'deadlines'>): ServerContext {
  const { endpoint, credentials, deadlines } = options;
  return {
    host: endpoint.host,
    port: endpoint.port,
    username: credentials.kind === 'none' ? undefined : credentials.username,
    authKind: credentials.kind,
    connectMs: deadlines.connectMs,
    commandMs: deadlines.commandMs,
  };
}

export function hostPort(ctx: Pick<ServerContext, 'host' | 'port'>): string {
  return `${ctx.host}:${ctx.port}`;
}

/** Node's verify codes for "we do not know who signed this" (OpenSSL X509_V_ERR_* names). */
const UNTRUSTED_ISSUER_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_UNTRUSTED',
  'CERT_SIGNATURE_FAILURE',
]);
const SELF_SIGNED_CODES = new Set(['DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN']);
/** OpenSSL handshake failures that mean "this port does not speak TLS" (plain port, wrong protocol). */
const NOT_TLS_CODES = new Set(['ERR_SSL_WRONG_VERSION_NUMBER', 'ERR_SSL_PACKET_LENGTH_TOO_LONG', 'ERR_SSL_HTTP_REQUEST']);

interface ErrorLike {
  code?: unknown;
  message?: unknown;
  cert?: { subjectaltname?: string; subject?: { CN?: string } };
}

function codeOf(err: unknown): string {
  const code = (err as ErrorLike | null)?.code;
  return typeof code === 'string' ? code : '';
}

function messageOf(err: unknown): string {
  const message = (err as ErrorLike | null)?.message;
  return typeof message === 'string' ? message : String(err);
}

/** `DNS:localhost, IP Address:127.0.0.1` → `localhost, 127.0.0.1`; falls back to the CN. */
export function certificateNames(cert: ErrorLike['cert']): string {
  const names = (cert?.subjectaltname ?? '')
    .split(',')
    .map((entry) => entry.trim().replace(/^(DNS|IP Address):/, ''))
    .filter(Boolean);
  if (names.length) return names.join(', ');
  return cert?.subject?.CN ?? 'another host';
}

/**
 * Socket, DNS and TLS failures, whatever library raised them. Returns null for anything
 * else so the adapter's own mapper can look at it.
 */
export function mapNetworkError(err: unknown, ctx: ServerContext): MailError | null {
  if (err instanceof MailError) return err;
  const code = codeOf(err);
  const where = hostPort(ctx);
  const cause = { cause: err };
  switch (code) {
    case 'ECONNREFUSED':
      return new ConnectionError(`connection refused by ${where} — is the port right?`, cause);
    case 'ENOTFOUND':
      return new ConnectionError(`host ${ctx.host} not found`, cause);
    case 'EAI_AGAIN':
      return new ConnectionError(`could not look up host ${ctx.host} (temporary DNS failure)`, cause);
    case 'ECONNRESET':
    case 'EPIPE':
      return new ConnectionError(`${where} closed the connection unexpectedly`, cause);
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
    case 'EADDRNOTAVAIL':
      return new ConnectionError(`${where} is unreachable from this machine`, cause);
    case 'ETIMEDOUT':
      return new TimeoutError(`no connection to ${where} within ${formatSeconds(ctx.connectMs)}`, cause);
    case 'CERT_HAS_EXPIRED':
      return new TlsError(`certificate not trusted: the certificate of ${ctx.host} has expired`, cause);
    case 'CERT_NOT_YET_VALID':
      return new TlsError(`certificate not trusted: the certificate of ${ctx.host} is not valid yet (check the clocks)`, cause);
    case 'ERR_TLS_CERT_ALTNAME_INVALID':
      return new TlsError(`certificate is for ${certificateNames((err as ErrorLike).cert)}, not ${ctx.host}`, cause);
  }
  if (SELF_SIGNED_CODES.has(code)) {
    return new TlsError('certificate not trusted: self-signed certificate; set caCertificate to trust it', cause);
  }
  if (UNTRUSTED_ISSUER_CODES.has(code)) {
    return new TlsError(
      'certificate not trusted: issued by an unknown certificate authority; set caCertificate to trust it',
      cause,
    );
  }
  if (NOT_TLS_CODES.has(code) || /wrong version number/i.test(messageOf(err))) {
    return new TlsError(`${where} does not speak TLS — is it a plain (non-TLS) port?`, cause);
  }
  if (code.startsWith('ERR_SSL_') || code.startsWith('ERR_TLS_') || code === 'EPROTO') {
    return new TlsError(`TLS handshake with ${where} failed: ${messageOf(err)}`, cause);
  }
  return null;
}

/** The sentence for "the server said no to our credentials". */
export function credentialsRefused(ctx: ServerContext, serverText: string, cause: unknown): AuthenticationError {
  const said = serverText.trim() ? `: ${serverText.trim()}` : '';
  const who = ctx.username ?? 'this mailbox';
  if (ctx.authKind === 'oauth2') {
    return new AuthenticationError(
      `the server refused the OAuth2 access token for ${who}${said}; re-authorize the mailbox if this persists`,
      { cause },
    );
  }
  return new AuthenticationError(`the server refused the password for ${who}${said}`, { cause });
}

/** The server could not check credentials right now (IMAP [UNAVAILABLE], POP3 [SYS/TEMP], RFC 5530 / RFC 3206): retry, do not re-authorize. */
export function authenticationUnavailable(ctx: ServerContext, serverText: string, cause: unknown): ConnectionError {
  return new ConnectionError(`${hostPort(ctx)} could not check the credentials right now: ${serverText.trim()}`, { cause });
}

/** STARTTLS / STLS was required (credentials never cross an unencrypted connection) but not offered. */
export function tlsUpgradeUnavailable(
  ctx: ServerContext,
  command: 'STARTTLS' | 'STLS',
  secureProtocol: string,
  cause?: unknown,
): TlsError {
  return new TlsError(
    `${hostPort(ctx)} does not offer ${command}, and deskmail never sends credentials unencrypted; use ${secureProtocol}`,
    { cause },
  );
}

/** An answer we did not expect; `what` names the command. */
export function unexpectedAnswer(ctx: ServerContext, what: string, answer: string, cause?: unknown): ProtocolError {
  return new ProtocolError(`${hostPort(ctx)} answered ${what} unexpectedly: ${answer.trim() || '(nothing)'}`, { cause });
}

/** The last resort: keep the library's words, name the server. */
export function unknownFailure(ctx: ServerContext, err: unknown): MailError {
  return new ConnectionError(`talking to ${hostPort(ctx)} failed: ${messageOf(err)}`, { cause: err });
}
