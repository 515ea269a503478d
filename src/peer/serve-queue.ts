/**
 * The peer's requests to us. A request waits here until the torrent layer
 * has a serving slot for it ("request" event), then is served (the torrent
 * reads the block) and finally sits in the outbox with its data until the
 * upload buckets and the socket let it go. Handing requests out a few at a
 * time keeps disk reads in step with what the connection can actually send.
 */
import type { BlockRef } from "../wire/index.ts";
import { type BlockKey, blockKey } from "./request-pipeline.ts";

export interface OutgoingPiece extends BlockRef {
  data: Uint8Array;
  /** Called once `data` is no longer needed: written by the transport, or dropped. */
  sent?: (() => void) | undefined;
}

export type ServeStage = "waiting" | "serving" | "outbox";

const keyOf = (r: BlockRef) => blockKey(r.index, r.begin, r.length);

export class ServeQueue {
  readonly #waiting = new Map<BlockKey, BlockRef>();
  readonly #serving = new Map<BlockKey, BlockRef>();
  readonly #outbox = new Map<BlockKey, OutgoingPiece>();
  #outboxBytes = 0;

  /** Requests accepted and not yet answered. */
  get size(): number {
    return this.#waiting.size + this.#serving.size + this.#outbox.size;
  }

  /** Block bytes answered and waiting in the outbox. */
  get outboxBytes(): number {
    return this.#outboxBytes;
  }

  /** False if the peer already has this exact request queued (a duplicate). */
  add(ref: BlockRef): boolean {
    const key = keyOf(ref);
    if (this.stage(ref)) return false;
    this.#waiting.set(key, { index: ref.index, begin: ref.begin, length: ref.length });
    return true;
  }

  stage(ref: BlockRef): ServeStage | undefined {
    const key = keyOf(ref);
    if (this.#waiting.has(key)) return "waiting";
    if (this.#serving.has(key)) return "serving";
    if (this.#outbox.has(key)) return "outbox";
    return undefined;
  }

  /** The next request to hand out, if fewer than `maxInService` are being served. */
  next(maxInService: number): BlockRef | undefined {
    if (this.#serving.size + this.#outbox.size >= maxInService) return undefined;
    const first = this.#waiting.entries().next();
    if (first.done) return undefined;
    const [key, ref] = first.value;
    this.#waiting.delete(key);
    this.#serving.set(key, ref);
    return ref;
  }

  /** The data for a request being served; false if it is no longer wanted. */
  fulfil(ref: BlockRef, data: Uint8Array, sent?: () => void): boolean {
    const key = keyOf(ref);
    const served = this.#serving.get(key);
    if (!served) return false;
    this.#serving.delete(key);
    this.#outbox.set(key, { ...served, data, sent });
    this.#outboxBytes += data.length;
    return true;
  }

  peekOutbox(): OutgoingPiece | undefined {
    const first = this.#outbox.values().next();
    return first.done ? undefined : first.value;
  }

  shiftOutbox(): OutgoingPiece | undefined {
    const piece = this.peekOutbox();
    if (piece) {
      this.#outbox.delete(keyOf(piece));
      this.#outboxBytes -= piece.data.length;
    }
    return piece;
  }

  /** Removes a request wherever it is; returns where it was. */
  remove(ref: BlockRef): ServeStage | undefined {
    const key = keyOf(ref);
    const stage = this.stage(ref);
    this.#waiting.delete(key);
    this.#serving.delete(key);
    const piece = this.#outbox.get(key);
    if (piece) {
      piece.sent?.();
      this.#outbox.delete(key);
      this.#outboxBytes -= piece.data.length;
    }
    return stage;
  }

  /** Removes everything (we choked the peer); returns the requests. */
  clear(): BlockRef[] {
    const strip = ({ index, begin, length }: BlockRef) => ({ index, begin, length });
    const out = [
      ...[...this.#waiting.values()].map(strip),
      ...[...this.#serving.values()].map(strip),
      ...[...this.#outbox.values()].map(strip),
    ];
    for (const piece of this.#outbox.values()) piece.sent?.();
    this.#waiting.clear();
    this.#serving.clear();
    this.#outbox.clear();
    this.#outboxBytes = 0;
    return out;
  }
}
