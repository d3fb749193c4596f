import { DatabaseUnavailableError, MailError } from '../core/errors';
import type { SideState } from '../mailboxes/mailbox.types';

/**
 * Which side state an error puts a mailbox in (api.md states). The states describe the mail
 * server; our own database failing says nothing about it, so that keeps `current`.
 */
export function stateForError(error: unknown, current: SideState): SideState {
  if (error instanceof DatabaseUnavailableError) return current;
  if (!(error instanceof MailError)) return 'connectError';
  switch (error.code) {
    case 'AUTHENTICATION_FAILED':
    case 'INVALID_GRANT':
      return 'authenticationError';
    case 'AUTHORIZATION_REQUIRED':
      return 'authorizationRequired';
    default:
      return 'connectError';
  }
}

/** The `{ code, message }` an admin sees for any error, known or not. */
export function describeError(error: unknown): { code: string; message: string } {
  if (error instanceof MailError) return { code: error.code, message: error.message };
  if (error instanceof DatabaseUnavailableError) {
    return { code: error.timedOut ? 'TIMEOUT' : 'CONNECTION_FAILED', message: `${error.message}; mail not yet stored stays on the server for the next run` };
  }
  return { code: 'PROTOCOL_ERROR', message: `unexpected error: ${(error as Error)?.message ?? String(error)}` };
}
