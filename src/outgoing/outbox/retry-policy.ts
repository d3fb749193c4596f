import {
  AuthenticationError,
  ConnectionError,
  MailError,
  MessageRejectedError,
  TemporaryRejectionError,
  ThrottledError,
  TimeoutError,
} from '../../core/errors';
import type { SideState } from '../../mailboxes/mailbox.types';

/** Retries never wait longer than this between two attempts. */
export const MAX_RETRY_DELAY_MS = 60 * 60_000;
/**
 * A mail held back by the mailbox's settings (refused login, untrusted certificate, no grant)
 * waits for the admin this long before it fails: RFC 5321 §4.5.4.1's give-up time of 4–5 days.
 */
export const MAX_SETTINGS_WAIT_MS = 5 * 24 * 60 * 60_000;

export interface RetryPolicy {
  maxAttempts: number;
  baseMs: number;
}

/**
 * What a failure says, in the outbox's terms:
 * - `rejected`: the server refused THIS mail for good (5xx): fail now, never resend.
 * - `deferred`: the server answered 4xx (greylisting, mailbox busy, throttled): retry, up to maxAttempts.
 * - `unreachable`: no server could be reached (connection, timeout): retry, up to maxAttempts.
 * - `settings`: the mailbox's settings are at fault (login, certificate, grant, protocol): the
 *   mail is fine, so it waits for the admin (bounded by MAX_SETTINGS_WAIT_MS, not by attempts).
 */
export type FailureClass = 'rejected' | 'deferred' | 'unreachable' | 'settings';

export interface FailureDecision {
  failureClass: FailureClass;
  status: 'queued' | 'failed';
  /** Until the next attempt (when queued). */
  delayMs: number;
  /** The outgoing side's new state; null leaves it as it is. */
  sideState: SideState | null;
  /**
   * The mailbox (server or settings), not this mail, is at fault: its other mails of the same
   * round are put back untried with the same delay, instead of failing one by one.
   */
  mailboxWide: boolean;
}

export function classifyFailure(error: unknown): { failureClass: FailureClass; sideState: SideState | null; mailboxWide: boolean } {
  // A reply about the mail means the session (connect, TLS, login) worked: the side is connected.
  if (error instanceof MessageRejectedError) return { failureClass: 'rejected', sideState: 'connected', mailboxWide: false };
  if (error instanceof ThrottledError) return { failureClass: 'deferred', sideState: null, mailboxWide: true };
  if (error instanceof TemporaryRejectionError) return { failureClass: 'deferred', sideState: null, mailboxWide: false };
  if (error instanceof ConnectionError || error instanceof TimeoutError) return { failureClass: 'unreachable', sideState: 'connectError', mailboxWide: true };
  if (!(error instanceof MailError)) return { failureClass: 'deferred', sideState: null, mailboxWide: false };
  switch (error.code) {
    case 'AUTHENTICATION_FAILED':
    case 'INVALID_GRANT':
      return { failureClass: 'settings', sideState: 'authenticationError', mailboxWide: true };
    case 'AUTHORIZATION_REQUIRED':
      return { failureClass: 'settings', sideState: 'authorizationRequired', mailboxWide: true };
    case 'TOKEN_REQUEST_FAILED':
      // The token endpoint is the OAuth2 module's to report; the mail server was never asked.
      return { failureClass: 'settings', sideState: null, mailboxWide: true };
    default:
      // TLS_ERROR, PROTOCOL_ERROR (wrong port/protocol, unsupported transport) and the rest.
      return { failureClass: 'settings', sideState: error instanceof AuthenticationError ? 'authenticationError' : 'connectError', mailboxWide: true };
  }
}

/**
 * The decision table of the outbox after one failed attempt. Pure: `attempts` counts this
 * attempt, `queuedForMs` is the mail's age.
 */
export function decideAfterFailure(
  error: unknown,
  attempts: number,
  queuedForMs: number,
  policy: RetryPolicy,
  random: () => number = Math.random,
): FailureDecision {
  const { failureClass, sideState, mailboxWide } = classifyFailure(error);
  const fail = (): FailureDecision => ({ failureClass, status: 'failed', delayMs: 0, sideState, mailboxWide });
  if (failureClass === 'rejected') return fail();
  let delayMs = retryDelayMs(attempts, policy.baseMs, random);
  if (error instanceof ThrottledError) delayMs = Math.max(delayMs, error.retryAfterMs);
  if (failureClass === 'settings') {
    if (queuedForMs + delayMs > MAX_SETTINGS_WAIT_MS) return fail();
  } else if (attempts >= policy.maxAttempts) {
    return fail();
  }
  return { failureClass, status: 'queued', delayMs, sideState, mailboxWide };
}

/**
 * Delay after the `attempts`-th failed attempt: base, 2×base, 4×base, … capped at one hour,
 * with ±20 % jitter so mails that failed together do not retry in lockstep.
 */
export function retryDelayMs(attempts: number, baseMs: number, random: () => number = Math.random): number {
  const exponential = baseMs * 2 ** Math.min(Math.max(attempts - 1, 0), 30);
  const jittered = Math.min(exponential, MAX_RETRY_DELAY_MS) * (0.8 + random() * 0.4);
  return Math.round(Math.min(jittered, MAX_RETRY_DELAY_MS));
}
