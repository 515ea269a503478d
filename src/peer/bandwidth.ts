/**
 * A transfer passes only when every bucket on its path (peer, torrent,
 * global) grants it. Fair sharing between peers is the allocator's job
 * (ratelimit); here we only wait for the slowest bucket.
 */
import type { TokenBucket } from "../ratelimit/index.ts";

/** Milliseconds until every bucket can grant `bytes` (0: now). */
export function delayFor(buckets: readonly TokenBucket[], bytes: number): number {
  let wait = 0;
  for (const b of buckets) wait = Math.max(wait, b.delayFor(bytes));
  return wait;
}

/** Charges `bytes` to every bucket (past zero if need be: the bytes already moved). */
export function consume(buckets: readonly TokenBucket[], bytes: number): void {
  for (const b of buckets) b.consume(bytes);
}

/** True when some bucket has no credit left. */
export function exhausted(buckets: readonly TokenBucket[]): boolean {
  for (const b of buckets) if (b.available() <= 0) return true;
  return false;
}
