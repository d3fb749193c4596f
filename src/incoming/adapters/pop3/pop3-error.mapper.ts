import { ConnectionError, MailError } from '../../../core/errors';
import {
  ServerContext,
  authenticationUnavailable,
  credentialsRefused,
  hostPort,
  mapNetworkError,
  unexpectedAnswer,
  unknownFailure,
} from '../error-mapping';
import { Pop3ClosedError, Pop3ResponseError } from './pop3.client';

/** Commands whose -ERR means "these credentials were refused". */
const LOGIN_COMMANDS = new Set(['USER', 'PASS', 'AUTH', 'APOP']);
/**
 * RFC 3206 response codes: [SYS/TEMP] (server trouble) and [IN-USE] (another session holds
 * the maildrop lock, RFC 1939 §8) pass; [AUTH] and [SYS/PERM] are the admin's to fix.
 */
const TEMPORARY_CODES = /^-ERR \[(SYS\/TEMP|IN-USE|LOGIN-DELAY)\]/i;

/** POP3 client / socket error → MailError. */
export function mapPop3Error(err: unknown, ctx: ServerContext): MailError {
  const network = mapNetworkError(err, ctx);
  if (network) return network;
  if (err instanceof Pop3ClosedError) {
    return new ConnectionError(`${hostPort(ctx)} closed the connection`, { cause: err });
  }
  if (err instanceof Pop3ResponseError) {
    if (/^-ERR \[IN-USE\]/i.test(err.response)) {
      return new ConnectionError(`the mailbox is in use by another POP3 session on ${hostPort(ctx)}; trying again later`, { cause: err });
    }
    if (TEMPORARY_CODES.test(err.response)) return authenticationUnavailable(ctx, err.response.replace(/^-ERR\s*/, ''), err);
    if (LOGIN_COMMANDS.has(err.command)) return credentialsRefused(ctx, err.response.replace(/^-ERR\s*/, ''), err);
    return unexpectedAnswer(ctx, err.command, err.response, err);
  }
  return unknownFailure(ctx, err);
}
