/**
 * Retry delays for a tracker that failed: exponential from 30 s, capped at
 * 30 min, with ±25 % jitter so a tracker that comes back is not hit by every
 * client at the same second. A success resets the count (the caller's job).
 */
export const BACKOFF_BASE_MS = 30_000;
export const BACKOFF_MAX_MS = 30 * 60_000;

export interface BackoffOptions {
  baseMs?: number;
  maxMs?: number;
}

/** Delay before retrying after `failures` failures in a row (≥ 1); `random` in [0, 1). */
export function backoffDelay(
  failures: number,
  random: () => number,
  opts: BackoffOptions = {},
): number {
  const base = opts.baseMs ?? BACKOFF_BASE_MS;
  const max = opts.maxMs ?? BACKOFF_MAX_MS;
  const exp = Math.min(Math.max(failures, 1) - 1, 30);
  const delay = Math.min(max, base * 2 ** exp);
  return Math.round(delay * (0.75 + 0.5 * random()));
}
