/**
 * The serving side of a connection: the peer's accepted requests, handed to
 * the torrent layer a few at a time, and the answered pieces written once
 * every upload bucket grants them and the transport is not backed up.
 */
import { RateMeter, type TokenBucket } from "../ratelimit/index.ts";
import type { Clock } from "../util/index.ts";
import { type BlockRef, encodePieceHeader } from "../wire/index.ts";
import { consume, delayFor } from "./bandwidth.ts";
import { PeerError } from "./errors.ts";
import { ServeQueue, type ServeStage } from "./serve-queue.ts";
import type { TimerSlots } from "./timers.ts";

export interface UploaderHost {
  clock: Clock;
  timers: TimerSlots<"upload">;
  buckets: readonly TokenBucket[];
  /** Requests handed out and not yet written, at most. */
  maxServing: number;
  /** Requests accepted before the peer is called abusive. */
  maxQueued: number;
  /** May requests be handed out now (open, peer unchoked)? */
  canServe(): boolean;
  /** Hands a request to the torrent layer ("request" event). */
  serve(ref: BlockRef): void;
  /** Writes chunks back to back; false when the transport is backed up. */
  writev(chunks: Uint8Array[], sent?: () => void): boolean;
  /** Both sides speak BEP 6 (requests are answered with a piece or a reject). */
  readonly fast: boolean;
  /** Writes BEP 6 rejects. */
  reject(refs: readonly BlockRef[]): void;
  /** A request handed out was cancelled ("cancel" event). */
  cancelled(ref: BlockRef): void;
}

export class Uploader {
  readonly #host: UploaderHost;
  readonly #queue = new ServeQueue();
  readonly meter: RateMeter;
  #blocked = false;
  #pumping = false;

  constructor(host: UploaderHost) {
    this.#host = host;
    this.meter = new RateMeter(host.clock);
  }

  /** Requests accepted and not yet answered. */
  get size(): number {
    return this.#queue.size;
  }

  /** Takes a validated request from a peer we unchoked; duplicates are ignored. */
  accept(ref: BlockRef): void {
    if (this.#queue.size >= this.#host.maxQueued) {
      throw new PeerError(
        "too_many_requests",
        `the peer queued more than ${this.#host.maxQueued} requests`,
      );
    }
    if (this.#queue.add(ref)) this.pump();
  }

  /** The torrent layer's answer; false if the request is no longer wanted. */
  fulfil(ref: BlockRef, data: Uint8Array, sent?: () => void): boolean {
    if (!this.#queue.fulfil(ref, data, sent)) return false;
    this.flush();
    return true;
  }

  remove(ref: BlockRef): ServeStage | undefined {
    const stage = this.#queue.remove(ref);
    if (stage) this.pump();
    return stage;
  }

  /**
   * We choked the peer. BEP 6: choke first, then reject every pending
   * request; BEP 3: without the fast extension a choke silently discards them.
   */
  onChoke(): void {
    this.#host.timers.clear("upload");
    const dropped = this.#queue.clear();
    if (this.#host.fast) this.#host.reject(dropped);
  }

  /** The peer cancelled a request of its own. */
  onCancel(ref: BlockRef): void {
    const stage = this.#queue.stage(ref);
    if (stage === undefined) return;
    if (this.#host.fast) {
      // BEP 6: a cancelled request still gets exactly one answer: one already
      // being served completes; one still waiting is rejected.
      if (stage === "waiting") {
        this.remove(ref);
        this.#host.reject([ref]);
      }
      return;
    }
    this.remove(ref);
    if (stage === "serving") {
      this.#host.cancelled({ index: ref.index, begin: ref.begin, length: ref.length });
    }
  }

  /** The transport drained. */
  onDrain(): void {
    this.#blocked = false;
    this.flush();
  }

  /** Hands waiting requests out while serving slots are free. */
  pump(): void {
    if (this.#pumping) return;
    this.#pumping = true;
    try {
      while (this.#host.canServe()) {
        const ref = this.#queue.next(this.#host.maxServing);
        if (!ref) break;
        this.#host.serve({ index: ref.index, begin: ref.begin, length: ref.length });
      }
    } finally {
      this.#pumping = false;
    }
  }

  /** Writes answered pieces, header and block as they are (no copy). */
  flush(): void {
    const { timers, buckets } = this.#host;
    while (!this.#blocked && !timers.has("upload") && this.#host.canServe()) {
      const piece = this.#queue.peekOutbox();
      if (!piece) break;
      const size = 13 + piece.data.length;
      const wait = delayFor(buckets, size);
      if (wait > 0) {
        timers.set("upload", wait, () => this.flush());
        break;
      }
      consume(buckets, size);
      this.#queue.shiftOutbox();
      const header = encodePieceHeader(piece.index, piece.begin, piece.data.length);
      if (!this.#host.writev([header, piece.data], piece.sent)) this.#blocked = true;
      this.meter.add(piece.data.length);
    }
    this.pump();
  }
}
