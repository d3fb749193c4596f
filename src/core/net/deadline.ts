import { TimeoutError } from '../errors';

/**
 * One deadline per network step (style.md "Connections and time", after imapflow's
 * `lib/connection-deadline.js`): a server that accepts TCP and then never answers must
 * fail with a TimeoutError that names what did not answer, never hang a fetch run.
 *
 * `what` completes the sentence "… within N s", e.g. `no answer from imap.example.com:993`.
 * `onTimeout` runs before the rejection so the caller can tear the connection down (a
 * late answer must not be read as the answer to the next command).
 */
export function withDeadline<T>(
  work: Promise<T>,
  ms: number,
  what: string,
  onTimeout?: () => void,
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expiry = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      try {
        onTimeout?.();
      } finally {
        reject(new TimeoutError(`${what} within ${formatSeconds(ms)}`));
      }
    }, ms);
  });
  // The loser of the race may still reject later (e.g. the socket we destroyed on timeout):
  // swallow that so it never becomes an unhandled rejection.
  work.catch(() => undefined);
  return Promise.race([work, expiry]).finally(() => clearTimeout(timer));
}

/** `15000` → `15 s`, `1500` → `1.5 s`, `250` → `0.25 s`: how people read timeouts. */
export function formatSeconds(ms: number): string {
  const seconds = Math.round(ms / 10) / 100;
  return `${seconds} s`;
}

/** Per-message download deadline: the command deadline plus a budget per MiB (Deadlines.downloadMsPerMiB). */
export function downloadDeadlineMs(sizeBytes: number, commandMs: number, msPerMiB: number): number {
  return commandMs + Math.ceil((Math.max(0, sizeBytes) / (1024 * 1024)) * msPerMiB);
}
