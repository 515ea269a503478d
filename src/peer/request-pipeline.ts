/**
 * Our requests to one peer: queued (handed to us by the picker, not yet
 * sent), outstanding (sent, awaiting a piece or, with BEP 6, a reject) and
 * recently given up (cancelled, timed out, dropped by a choke): a piece for
 * one of those is wasted bandwidth but no sign of a misbehaving peer.
 * Pure bookkeeping; the connection decides when to send.
 */
import { BLOCK_LENGTH } from "../util/index.ts";
import type { BlockRef } from "../wire/index.ts";

export interface OutstandingRequest extends BlockRef {
  /** Clock time the request was written. */
  sentAt: number;
}

/** What a received piece, or reject, answers. */
export type Answer = "requested" | "given-up" | "unknown";

/** A block's identity as a Map key: a number where it fits exactly, else a string. */
export type BlockKey = number | string;

/** Below this index, (index, begin / 16 KiB, length - 1) packs into an exact number. */
const MAX_PACKED_INDEX = 2 ** 22;

/**
 * A block's identity: a peer answers exactly the (index, begin, length) we
 * asked. Usual blocks (16 KiB aligned, at most 16 KiB, begin below 2^31)
 * pack into one number, as index·2^31 + begin/16 KiB·2^14 + length − 1
 * (below 2^53, so exact): Map lookups on it cost a quarter of those on a
 * built string, and there is one per block sent and received. Anything
 * else is a string, which no number equals.
 */
export function blockKey(index: number, begin: number, length: number): BlockKey {
  if (
    index >= 0 &&
    index < MAX_PACKED_INDEX &&
    begin >= 0 &&
    begin < 2 ** 31 &&
    begin % BLOCK_LENGTH === 0 &&
    length >= 1 &&
    length <= BLOCK_LENGTH
  ) {
    return (index * 131072 + begin / BLOCK_LENGTH) * BLOCK_LENGTH + (length - 1);
  }
  return `${index}:${begin}:${length}`;
}

const keyOf = (r: BlockRef) => blockKey(r.index, r.begin, r.length);

/** How many given-up requests to remember (oldest forgotten first). */
const MAX_GIVEN_UP = 2048;

export class RequestPipeline {
  readonly #queued = new Map<BlockKey, BlockRef>();
  /** In send order, so the oldest is first. */
  readonly #outstanding = new Map<BlockKey, OutstandingRequest>();
  #outstandingBytes = 0;
  /** Key → when it was given up. */
  readonly #givenUp = new Map<BlockKey, number>();

  get queuedCount(): number {
    return this.#queued.size;
  }

  get outstandingCount(): number {
    return this.#outstanding.size;
  }

  get outstandingBytes(): number {
    return this.#outstandingBytes;
  }

  queued(): BlockRef[] {
    return [...this.#queued.values()];
  }

  outstanding(): OutstandingRequest[] {
    return [...this.#outstanding.values()];
  }

  /** Queues a request; false if it is already queued or outstanding. */
  add(ref: BlockRef): boolean {
    const key = keyOf(ref);
    if (this.#queued.has(key) || this.#outstanding.has(key)) return false;
    this.#queued.set(key, { index: ref.index, begin: ref.begin, length: ref.length });
    return true;
  }

  /** Moves queued requests to outstanding until `depth` are out; returns those to send. */
  takeToSend(depth: number, now: number): BlockRef[] {
    const out: BlockRef[] = [];
    for (const [key, ref] of this.#queued) {
      if (this.#outstanding.size >= depth) break;
      this.#queued.delete(key);
      this.#outstanding.set(key, { ...ref, sentAt: now });
      this.#outstandingBytes += ref.length;
      out.push(ref);
    }
    return out;
  }

  /**
   * Withdraws a request: "queued" (never sent, nothing to tell the peer),
   * "outstanding" (send a cancel), or undefined if we had no such request.
   */
  cancel(ref: BlockRef, now: number): "queued" | "outstanding" | undefined {
    const key = keyOf(ref);
    if (this.#queued.delete(key)) return "queued";
    if (this.#takeOutstanding(key)) {
      this.#giveUp(key, now);
      return "outstanding";
    }
    return undefined;
  }

  /** A piece arrived for (index, begin, length). */
  answer(index: number, begin: number, length: number): Answer {
    const key = blockKey(index, begin, length);
    if (this.#takeOutstanding(key)) return "requested";
    if (this.#givenUp.delete(key)) return "given-up";
    return "unknown";
  }

  /** Every outstanding request, now given up (a choke without the fast extension). */
  dropOutstanding(now: number): BlockRef[] {
    const out = this.outstanding().map(({ index, begin, length }) => ({ index, begin, length }));
    for (const key of this.#outstanding.keys()) this.#giveUp(key, now);
    this.#outstanding.clear();
    this.#outstandingBytes = 0;
    return out;
  }

  /** Every queued request, removed. */
  takeQueued(): BlockRef[] {
    const out = this.queued();
    this.#queued.clear();
    return out;
  }

  /** Outstanding requests sent at or before `now - timeoutMs`, now given up. */
  expire(now: number, timeoutMs: number): BlockRef[] {
    const out: BlockRef[] = [];
    for (const [key, r] of this.#outstanding) {
      // Send order: the first one still in time ends the scan.
      if (now - r.sentAt < timeoutMs) break;
      this.#takeOutstanding(key);
      this.#giveUp(key, now);
      out.push({ index: r.index, begin: r.begin, length: r.length });
    }
    return out;
  }

  /** Forgets given-up requests older than `maxAgeMs`. */
  prune(now: number, maxAgeMs: number): void {
    for (const [key, at] of this.#givenUp) {
      if (now - at < maxAgeMs) break;
      this.#givenUp.delete(key);
    }
  }

  #takeOutstanding(key: BlockKey): boolean {
    const r = this.#outstanding.get(key);
    if (!r) return false;
    this.#outstanding.delete(key);
    this.#outstandingBytes -= r.length;
    return true;
  }

  #giveUp(key: BlockKey, now: number): void {
    this.#givenUp.delete(key);
    this.#givenUp.set(key, now);
    if (this.#givenUp.size > MAX_GIVEN_UP) {
      this.#givenUp.delete(this.#givenUp.keys().next().value!);
    }
  }
}
