/**
 * The serving side of a connection: the peer's accepted requests, handed to
 * the torrent layer a few at a time, and the answered pieces written once
 * every upload bucket grants them and the transport is not backed up.
 */
import { RateMeter, type TokenBucket } from "../ratelimit/index.ts";
import type { Clock } from "../util/index.ts";
import { type BlockRef, encodePieceHeader } from "../wire/index.ts";
import { batchBytes, consume, delayFor } from "./bandwidth.ts";
import { PeerError } from "./errors.ts";
import { ServeQueue, type ServeStage } from "./serve-queue.ts";
import type { TimerSlots } from "./timers.ts";

/** Pieces written in one writev at most (an unlimited upload sends what the socket takes). */
const MAX_BATCH_PIECES = 16;

export interface UploaderHost {
  clock: Clock;
  timers: TimerSlots<"upload" | "stall">;
  buckets: readonly TokenBucket[];
  /** Requests handed out and not yet written, at most. */
  maxServing: number;
  /** Requests accepted before the peer is called abusive. */
  maxQueued: number;
  /** May requests be handed out now (open, peer unchoked)? */
  canServe(): boolean;
  /** Backed up this long with no write completing, the peer counts as not reading. */
  stallMs: number;
  /** ...and this long, it is dropped. */
  stuckMs: number;
  /** The peer stopped reading (once per stall). */
  stalled(): void;
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
  /** Clock time the transport backed up, while it stays so (reset by each write it completes). */
  #blockedSince: number | undefined;
  #pumping = false;
  /** Clock time the "upload" timer fires, while it is set. */
  #wakeAt = 0;
  readonly #onSent = () => this.#progressed();
  /** stalled() was called for the current stall. */
  #stallTold = false;

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
      // BEP 6: a cancelled request still gets exactly one answer: one being
      // read completes; one still waiting is rejected, and so is one read
      // and waiting in the outbox for the upload limit. Sent, it would spend
      // the limit on a block the peer has had from someone else (an endgame
      // copy): bench/swarm.ts's peers sent about 28 MiB of such copies in a
      // 2 GiB swarm, a quarter second of the whole swarm's upload.
      if (stage === "waiting" || stage === "outbox") {
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
    this.#blockedSince = undefined;
    this.#stallTold = false;
    this.#host.timers.clear("stall");
    this.flush();
  }

  /**
   * How long the transport has been backed up with nothing drained (0 when
   * it is not): a peer that asks for blocks and does not read them keeps
   * our answers in its send buffer, not on the wire.
   */
  backedUpFor(now: number): number {
    return this.#blockedSince === undefined ? 0 : now - this.#blockedSince;
  }

  /** One of our writes left the transport: the peer reads, however slowly. */
  #progressed(): void {
    if (this.#blockedSince === undefined) return;
    this.#blockedSince = this.#host.clock.now();
    this.#stallTold = false;
  }

  /**
   * While backed up: tells of a stall once it lasts stallMs, and drops the
   * peer once it lasts stuckMs (the timer re-arms for whichever comes next,
   * so progress costs no timer).
   */
  #checkStall(): void {
    if (this.#blockedSince === undefined) return;
    const { clock, stallMs, stuckMs } = this.#host;
    const stuck = clock.now() - this.#blockedSince;
    if (stuck >= stuckMs) {
      const s = Math.round(stuck / 1000);
      throw new PeerError("stalled_reader", `the peer read none of our data in ${s} s`);
    }
    const stalled = stuck >= stallMs;
    this.#host.timers.set("stall", (stalled ? stuckMs : stallMs) - stuck, () => this.#checkStall());
    if (stalled && !this.#stallTold) {
      this.#stallTold = true;
      this.#host.stalled();
    }
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

  /**
   * A piece write is due within `ms` (or the socket is backed up, so a write
   * now would queue behind it anyway): small messages may wait to go out in
   * the same writev instead of a system call (and a read on the peer's side)
   * of their own.
   */
  writesWithin(now: number, ms: number): boolean {
    if (this.#queue.outboxBytes === 0 || !this.#host.canServe()) return false;
    return this.#blocked || !this.#host.timers.has("upload") || this.#wakeAt - now <= ms;
  }

  /**
   * Writes answered pieces, header and block as they are (no copy), as many
   * as the buckets grant in one writev. Once they run dry it waits for a
   * batch's worth of credit (bandwidth.ts), not one block's.
   */
  flush(): void {
    const { timers, buckets } = this.#host;
    while (!this.#blocked && !timers.has("upload") && this.#host.canServe()) {
      const chunks: Uint8Array[] = [];
      const sent: (() => void)[] = [];
      for (let n = 0; n < MAX_BATCH_PIECES; n++) {
        const piece = this.#queue.peekOutbox();
        if (!piece) break;
        const size = 13 + piece.data.length;
        const wait = delayFor(buckets, size);
        if (wait > 0) {
          const want = Math.max(size, Math.min(this.#queue.outboxBytes, batchBytes(buckets)));
          const delay = Math.max(wait, delayFor(buckets, want));
          this.#wakeAt = this.#host.clock.now() + delay;
          timers.set("upload", delay, () => this.flush());
          break;
        }
        consume(buckets, size);
        this.#queue.shiftOutbox();
        chunks.push(encodePieceHeader(piece.index, piece.begin, piece.data.length), piece.data);
        if (piece.sent) sent.push(piece.sent);
        this.meter.add(piece.data.length);
      }
      if (chunks.length === 0) break;
      sent.push(this.#onSent);
      if (!this.#host.writev(chunks, allOf(sent))) {
        this.#blocked = true;
        if (this.#blockedSince === undefined) {
          this.#blockedSince = this.#host.clock.now();
          timers.set("stall", this.#host.stallMs, () => this.#checkStall());
        }
      }
    }
    this.pump();
  }
}

/** One callback for several (the transport takes one per write). */
function allOf(callbacks: (() => void)[]): (() => void) | undefined {
  if (callbacks.length <= 1) return callbacks[0];
  return () => {
    for (const f of callbacks) f();
  };
}
