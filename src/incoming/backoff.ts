/**
 * Delay before the next run after `failedRuns` consecutive failures: exponential from 30 s,
 * capped at the mailbox's fetch interval (a failing mailbox is never tried less often than
 * a healthy one), with ±20 % jitter so many failing mailboxes do not retry in lockstep.
 */
export const BACKOFF_BASE_MS = 30_000;

export function backoffDelayMs(failedRuns: number, intervalMs: number, random: () => number = Math.random): number {
  if (failedRuns <= 0) return intervalMs;
  const exponential = BACKOFF_BASE_MS * 2 ** Math.min(failedRuns - 1, 20);
  const capped = Math.min(exponential, intervalMs);
  const jitter = 1 + (random() * 0.4 - 0.2);
  return Math.max(1_000, Math.round(Math.min(capped * jitter, intervalMs)));
}
