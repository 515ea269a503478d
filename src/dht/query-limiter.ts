/**
 * Incoming queries per source address (abuse resistance): a token bucket per
 * IP, refilled at a steady rate. The map of addresses is bounded; when it is
 * full, buckets that have refilled completely (idle addresses) are dropped.
 */
import type { Clock } from "../util/index.ts";

export const QUERY_LIMITS = {
  /** Queries per second one address may send on average. */
  perSecond: 20,
  /** The burst one address may send at once. */
  burst: 50,
  /** Addresses tracked at once. */
  addresses: 10_000,
} as const;

export class QueryLimiter {
  readonly #clock: Clock;
  readonly #buckets = new Map<string, { tokens: number; at: number }>();

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  /** Whether a query from `ip` may be answered now (and counts it). */
  allow(ip: string): boolean {
    const now = this.#clock.now();
    let b = this.#buckets.get(ip);
    if (!b) {
      if (this.#buckets.size >= QUERY_LIMITS.addresses) this.#prune(now);
      if (this.#buckets.size >= QUERY_LIMITS.addresses) return false;
      b = { tokens: QUERY_LIMITS.burst, at: now };
      this.#buckets.set(ip, b);
    }
    b.tokens = Math.min(
      QUERY_LIMITS.burst,
      b.tokens + ((now - b.at) * QUERY_LIMITS.perSecond) / 1000,
    );
    b.at = now;
    if (b.tokens < 1) return false;
    b.tokens--;
    return true;
  }

  #prune(now: number): void {
    for (const [ip, b] of this.#buckets) {
      const tokens = b.tokens + ((now - b.at) * QUERY_LIMITS.perSecond) / 1000;
      if (tokens >= QUERY_LIMITS.burst) this.#buckets.delete(ip);
    }
  }
}
