import {
  AuthenticationError,
  ConnectionError,
  MailError,
  MessageRejectedError,
  ProtocolError,
  TemporaryRejectionError,
  TimeoutError,
  TlsError,
} from '../../../core/errors';

/**
 * The fields nodemailer's SMTP client puts on its errors (see `_formatError` in
 * nodemailer/dist/cjs/smtp-connection): its own `code` (EAUTH, ECONNECTION, ESOCKET, EDNS,
 * ETIMEDOUT, ETLS, EENVELOPE, EMESSAGE, EPROTOCOL), the system code it replaced
 * (`originalCode`: ECONNREFUSED, ENOTFOUND, DEPTH_ZERO_SELF_SIGNED_CERT, …), the SMTP
 * `command` in flight ('CONN' while connecting) and the server's reply.
 */
export interface SmtpClientError {
  message: string;
  code?: string;
  originalCode?: string;
  responseCode?: number;
  response?: string;
  command?: string;
  timeoutType?: 'CONNECT_TIMEOUT' | 'GREETING_TIMEOUT' | 'UPGRADE_TIMEOUT' | 'SOCKET_TIMEOUT';
}

/** What a message about the failure needs to name: the server, the user, the deadline that ran out. */
export interface DeliveryContext {
  host: string;
  port: number;
  auth: 'none' | 'password' | 'oauth2';
  username?: string;
  /** Deadline for connecting, the greeting and STARTTLS (nodemailer's connection/greeting timeouts). */
  connectMs: number;
  /** Deadline for any one reply once the session is up (nodemailer's socketTimeout). */
  commandMs: number;
}

/** Node's certificate verification codes, as words an admin can act on. */
const UNTRUSTED_CERTIFICATE: Record<string, string> = {
  DEPTH_ZERO_SELF_SIGNED_CERT: 'self-signed certificate',
  SELF_SIGNED_CERT_IN_CHAIN: 'self-signed certificate in the chain',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'unable to verify the first certificate',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'issuer certificate unknown (private CA?)',
  UNABLE_TO_GET_ISSUER_CERT: 'issuer certificate unknown (private CA?)',
  CERT_UNTRUSTED: 'certificate not trusted',
};
const REJECTED_CERTIFICATE: Record<string, string> = {
  CERT_HAS_EXPIRED: 'certificate has expired',
  CERT_NOT_YET_VALID: 'certificate is not yet valid',
  CERT_REVOKED: 'certificate has been revoked',
  ERR_TLS_CERT_ALTNAME_INVALID: 'certificate does not match the host name',
};

/** Errors that say the server could not be reached at all (nothing was said in SMTP yet). */
const CONNECTION_CODES = new Set(['ECONNECTION', 'ESOCKET', 'EDNS', 'ETIMEDOUT']);

const CONNECTION_REASONS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ENOTFOUND: 'host name not found',
  EAI_AGAIN: 'host name lookup failed (temporary DNS failure)',
  ENODATA: 'host name has no address',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ECONNRESET: 'connection reset by the server',
  EPIPE: 'connection closed by the server',
};

/**
 * Maps one nodemailer SMTP error to deskmail's error family. Pure: the outbox decides on
 * `retryable`, the mailbox state on the class, the admin reads `message`.
 */
export function classifyDeliveryError(error: unknown, context: DeliveryContext): MailError {
  if (error instanceof MailError) return error;
  const failure = asClientError(error);
  const server = `${context.host}:${context.port}`;
  const options = { cause: error };

  const tls = describeTlsProblem(failure);
  if (tls) return new TlsError(`${server}: ${tls}`, options);

  if (isTimeout(failure)) {
    const ms = failure.timeoutType === 'SOCKET_TIMEOUT' ? context.commandMs : context.connectMs;
    return new TimeoutError(`no answer from ${server} within ${formatSeconds(ms)}`, options);
  }

  if (failure.code === 'EAUTH') return classifyAuthFailure(failure, context, server);

  if (failure.code === 'ETLS') {
    // RFC 3207 §4: 454 "TLS not available", 5xx "not implemented"; credentials never go in clear.
    const why = failure.response ?? failure.message;
    return new TlsError(`STARTTLS with ${server} failed (it is required, RFC 3207): ${why}`, options);
  }

  if (failure.responseCode) return classifyReply(failure, failure.responseCode, server);

  if (failure.code && CONNECTION_CODES.has(failure.code)) {
    const reason = CONNECTION_REASONS[failure.originalCode ?? ''] ?? failure.message;
    return new ConnectionError(`could not talk to ${server}: ${reason}`, options);
  }

  if (failure.code === 'EENVELOPE' || failure.code === 'EMESSAGE') {
    // Refused before it was sent (bad address, bigger than the server's SIZE, RFC 1870).
    return new MessageRejectedError(`${server} cannot take this message: ${failure.message}`, failure.message, options);
  }

  return new ProtocolError(`unexpected SMTP failure with ${server}: ${failure.message}`, options);
}

/**
 * For a failure while the session was being set up (before AUTH/MAIL): true when the server
 * could not be reached or never started a session: refused, DNS, reset, or no answer. Only then is the alternate host worth trying; a
 * reply (4xx/5xx), a refused login or a bad certificate would fail there the same way.
 */
export function isConnectionFailure(error: unknown): boolean {
  if (error instanceof MailError) return false;
  const failure = asClientError(error);
  if (failure.responseCode || describeTlsProblem(failure)) return false;
  return failure.command === 'CONN' && !!failure.code && CONNECTION_CODES.has(failure.code);
}

/** The server refused the token (as opposed to the token provider failing, which has no reply). */
export function isRefusedLogin(error: unknown): boolean {
  const failure = asClientError(error);
  return failure.code === 'EAUTH' && (failure.responseCode ?? 0) >= 500;
}

function classifyAuthFailure(failure: SmtpClientError, context: DeliveryContext, server: string): MailError {
  const options = { cause: failure };
  const user = context.username ?? '(no user)';
  const reply = failure.response ? ` (${failure.response})` : ` (${failure.message})`;
  // RFC 4954 §6: 454 is a temporary authentication failure: try again later, same settings.
  if (failure.responseCode && failure.responseCode < 500) {
    const response = failure.response ?? failure.message;
    return new TemporaryRejectionError(`${server} could not check the login of ${user} right now${reply}`, response, options);
  }
  const what = context.auth === 'oauth2' ? 'OAuth2 token' : 'password';
  return new AuthenticationError(`the server refused the ${what} for ${user}${reply}`, options);
}

function classifyReply(failure: SmtpClientError, code: number, server: string): MailError {
  const options = { cause: failure };
  const response = failure.response ?? failure.message;
  const step = failure.command && failure.command !== 'CONN' ? ` at ${failure.command}` : '';
  // RFC 5321 §4.2.1: 4yz is a transient negative completion (e.g. 421 closing, 451 local
  // error, 452 storage); 503 "bad sequence of commands" is a session fault, not a verdict
  // on the message, so nodemailer (and we) let the same message go again.
  if (code < 500 || code === 503) {
    return new TemporaryRejectionError(`${server} deferred the message${step}: ${response}`, response, options);
  }
  // RFC 5321 §4.2.1: 5yz is a permanent negative completion; sending again gets the same.
  return new MessageRejectedError(`${server} rejected the message${step}: ${response}`, response, options);
}

function describeTlsProblem(failure: SmtpClientError): string | null {
  const code = failure.originalCode ?? failure.code ?? '';
  const detail = failure.message.replace(/^Error initiating TLS - /, '');
  if (UNTRUSTED_CERTIFICATE[code]) {
    return `certificate not trusted: ${detail || UNTRUSTED_CERTIFICATE[code]}; set caCertificate to trust it`;
  }
  if (REJECTED_CERTIFICATE[code]) return `${REJECTED_CERTIFICATE[code]}: ${detail}`;
  // STARTTLS (RFC 3207) handshake failures can reach us as plain messages without a code.
  if (failure.code === 'ETLS' && !failure.responseCode && /certificate/i.test(detail)) {
    return `certificate not accepted: ${detail}`;
  }
  if (code === 'ERR_SSL_WRONG_VERSION_NUMBER') {
    return `TLS handshake failed (${detail}): the port may expect STARTTLS; use protocol smtp`;
  }
  if (/^ERR_SSL_|^ERR_TLS_/.test(code)) return `TLS handshake failed: ${detail}`;
  return null;
}

function isTimeout(failure: SmtpClientError): boolean {
  return failure.code === 'ETIMEDOUT' || failure.originalCode === 'ETIMEDOUT';
}

function asClientError(error: unknown): SmtpClientError {
  if (error && typeof error === 'object' && typeof (error as { message?: unknown }).message === 'string') {
    return error as SmtpClientError;
  }
  return { message: String(error) };
}

function formatSeconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(1))} s`;
}
