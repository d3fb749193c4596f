import { ConnectionError, MailError, ProtocolError, ThrottledError, TimeoutError, TlsError } from '../../../core/errors';
import { formatSeconds } from '../../../core/net/deadline';
import {
  ServerContext,
  authenticationUnavailable,
  credentialsRefused,
  hostPort,
  mapNetworkError,
  tlsUpgradeUnavailable,
  unknownFailure,
} from '../error-mapping';

/** The fields imapflow puts on its errors (imapflow `lib/errors`, `commands/login`, `commands/authenticate`). */
interface ImapFlowErrorFields {
  code?: string;
  message?: string;
  authenticationFailed?: boolean;
  serverResponseCode?: string;
  response?: unknown;
  responseStatus?: string;
  responseText?: string;
  oauthError?: { status?: string; error?: string } | false;
  mailboxMissing?: boolean;
  tlsFailed?: boolean;
  reason?: string;
  throttleReset?: number;
}

/** RFC 5530 response codes that mean "not now" rather than "not you". */
const TEMPORARY_AUTH_CODES = new Set(['UNAVAILABLE', 'SERVERBUG', 'INUSE', 'LIMIT']);
const CLOSED_CODES = new Set(['NoConnection', 'EConnectionClosed', 'ClosedAfterConnectText', 'ClosedAfterConnectTLS', 'StateLogout']);

function serverText(e: ImapFlowErrorFields): string {
  if (typeof e.response === 'string' && e.response) return e.response;
  return e.responseText ?? '';
}

function oauthDetail(e: ImapFlowErrorFields): string {
  if (!e.oauthError) return serverText(e);
  const detail = [e.oauthError.error, e.oauthError.status && `status ${e.oauthError.status}`].filter(Boolean).join(', ');
  return [serverText(e), detail && `(${detail})`].filter(Boolean).join(' ');
}

/**
 * imapflow error → MailError. `folder` names the mailbox folder for "does not exist";
 * `command` names what we were doing for unexpected NO/BAD answers.
 */
export function mapImapError(err: unknown, ctx: ServerContext, extra: { folder?: string; command?: string } = {}): MailError {
  const network = mapNetworkError(err, ctx);
  if (network) return network;
  const e = (err ?? {}) as ImapFlowErrorFields;
  const where = hostPort(ctx);
  if (e.authenticationFailed) {
    if (e.serverResponseCode && TEMPORARY_AUTH_CODES.has(e.serverResponseCode.toUpperCase())) {
      return authenticationUnavailable(ctx, serverText(e), err);
    }
    return credentialsRefused(ctx, ctx.authKind === 'oauth2' ? oauthDetail(e) : serverText(e), err);
  }
  switch (e.code) {
    // CONNECT_TIMEOUT covers DNS, TCP and the TLS handshake in one budget.
    case 'CONNECT_TIMEOUT':
    case 'GREETING_TIMEOUT':
    case 'UPGRADE_TIMEOUT':
      return new TimeoutError(`no answer from ${where} within ${formatSeconds(ctx.connectMs)}`, { cause: err });
    case 'ETIMEOUT':
      return new TimeoutError(`no answer from ${where} within ${formatSeconds(ctx.commandMs)}`, { cause: err });
    case 'ETHROTTLE':
      return new ThrottledError(`${where} asks us to slow down: ${serverText(e)}`, e.throttleReset ?? 60_000, { cause: err });
  }
  if (e.tlsFailed) {
    if (/does not support STARTTLS|PREAUTH/i.test(e.message ?? '')) return tlsUpgradeUnavailable(ctx, 'STARTTLS', 'imaps', err);
    return new TlsError(`TLS with ${where} failed: ${e.message}`, { cause: err });
  }
  if (e.code && CLOSED_CODES.has(e.code)) {
    const reason = e.reason && e.reason !== 'Server closed connection' ? `: ${e.reason}` : '';
    return new ConnectionError(`${where} closed the connection${reason}`, { cause: err });
  }
  if (e.mailboxMissing) {
    return new ProtocolError(`folder "${extra.folder ?? '?'}" does not exist on ${where}`, { cause: err });
  }
  if (e.responseStatus === 'NO' || e.responseStatus === 'BAD') {
    const command = extra.command ?? 'a command';
    return new ProtocolError(`${where} answered ${command} with ${e.responseStatus}: ${serverText(e) || '(no text)'}`, {
      cause: err,
    });
  }
  if (e.code && /^(Parser|InvalidResponse|UnexpectedTag|MissingTag|LineTooLarge|LiteralTooLarge|ResponseTooLarge|TooMany)/.test(e.code)) {
    return new ProtocolError(`${where} sent an answer deskmail cannot read (${e.code}): ${e.message}`, { cause: err });
  }
  return unknownFailure(ctx, err);
}
