/**
 * A transfer passes only when every bucket on its path (peer, torrent,
 * global) grants it. Fair sharing between peers is the allocator's job
 * (ratelimit); here we only wait for the slowest bucket.
 */
import type { TokenBucket } from "../ratelimit/index.ts";

/** How much traffic a sender under a limit gathers before it wakes to send. */
const BATCH_MS = 10;
/** The most a limited sender waits to gather: four blocks and their headers. */
const MAX_BATCH_BYTES = 4 * (16 * 1024 + 13);

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

/**
 * Bytes worth waiting for once the buckets run dry: BATCH_MS of the slowest
 * bucket's rate, at most MAX_BATCH_BYTES. Waking for every block instead
 * costs a timer, a write and, on the receiving side, a read per 16 KiB: at
 * 10 MB/s that is 600 wake-ups a second on each side, where a batch of four
 * blocks needs 150. At low rates a batch is one block (no burst is added).
 */
export function batchBytes(buckets: readonly TokenBucket[]): number {
  let rate = Number.POSITIVE_INFINITY;
  for (const b of buckets) if (!b.unlimited) rate = Math.min(rate, b.rate);
  return Math.min(MAX_BATCH_BYTES, (rate * BATCH_MS) / 1000);
}
