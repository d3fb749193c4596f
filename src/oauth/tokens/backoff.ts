export interface BackoffPolicy {
  baseMs: number;
  maxMs: number;
  /** Growth per attempt (default 2: exponential). */
  factor?: number;
  /** ± fraction of randomness (0–1), so many grants failing together do not retry in lockstep. */
  jitter?: number;
}

/**
 * Delay before the next try after `failures` consecutive failures (1 = the first failure):
 * base × factor^(failures−1), capped at maxMs, with optional jitter. Pure: `random` is injected.
 */
export function backoffDelayMs(failures: number, policy: BackoffPolicy, random: () => number = Math.random): number {
  const n = Math.max(1, Math.floor(failures));
  const factor = policy.factor ?? 2;
  // Cap the exponent too: 2^1000 is Infinity, and Infinity × 0 jitter is NaN.
  const raw = policy.baseMs * Math.pow(factor, Math.min(n - 1, 52));
  const capped = Math.min(policy.maxMs, raw);
  const jitter = Math.min(1, Math.max(0, policy.jitter ?? 0));
  if (jitter === 0) return Math.round(capped);
  const spread = capped * jitter * (random() * 2 - 1);
  return Math.max(0, Math.round(Math.min(policy.maxMs, capped + spread)));
}
