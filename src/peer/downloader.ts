/**
 * The requesting side of a connection: our request pipeline to the peer, its
 * depth and timeouts from the measured rate, what a received piece or reject
 * answers, wasted bytes, and the download buckets (reading pauses while one
 * is empty).
 */
import { RateMeter, type TokenBucket } from "../ratelimit/index.ts";
import { BLOCK_LENGTH, type Clock } from "../util/index.ts";
import { type BlockRef, MessageId } from "../wire/index.ts";
import { consume, delayFor, exhausted } from "./bandwidth.ts";
import { PeerError } from "./errors.ts";
import { PipelineHorizon, pipelineDepth, requestTimeout } from "./pipeline-policy.ts";
import { RequestPipeline } from "./request-pipeline.ts";
import type { TimerSlots } from "./timers.ts";
import type { PeerSettings } from "./types.ts";

/** Unsolicited piece bytes tolerated before we call it abuse (plus a tenth of what was useful). */
const UNSOLICITED_ALLOWANCE = 1024 * 1024;

export interface DownloaderHost {
  clock: Clock;
  timers: TimerSlots<"download">;
  settings: PeerSettings;
  buckets: readonly TokenBucket[];
  /** May requests go out now (open, the peer unchokes us)? */
  canRequest(): boolean;
  /** The peer's BEP 10 reqq, if it sent one. */
  reqq(): number | undefined;
  writeBlocks(id: number, refs: readonly BlockRef[]): void;
  pause(): void;
  resume(): void;
}

const strip = ({ index, begin, length }: BlockRef): BlockRef => ({ index, begin, length });

export class Downloader {
  readonly #host: DownloaderHost;
  readonly #pipeline = new RequestPipeline();
  readonly meter: RateMeter;
  /** Seconds of blocks to keep requested: short while a download limit binds. */
  readonly #horizon: PipelineHorizon;
  #wasted = 0;
  #unsolicited = 0;
  #readPaused = false;
  #pumpScheduled = false;

  constructor(host: DownloaderHost) {
    this.#host = host;
    this.meter = new RateMeter(host.clock);
    this.#horizon = new PipelineHorizon(
      host.settings.pipelineSeconds,
      host.buckets.some((b) => !b.unlimited),
      host.clock.now(),
    );
  }

  get wasted(): number {
    return this.#wasted;
  }
  get outstandingCount(): number {
    return this.#pipeline.outstandingCount;
  }
  /** Requests not yet answered: outstanding plus queued. */
  get pendingCount(): number {
    return this.#pipeline.outstandingCount + this.#pipeline.queuedCount;
  }
  get queuedCount(): number {
    return this.#pipeline.queuedCount;
  }

  /** How many requests may be outstanding now. */
  depth(): number {
    const { maxPipeline } = this.#host.settings;
    const seconds = this.#horizon.seconds(this.#host.clock.now());
    return pipelineDepth(this.meter.rate(), seconds, maxPipeline, this.#host.reqq());
  }

  /** Unanswered requests, queued then outstanding. */
  pending(): BlockRef[] {
    return [...this.#pipeline.queued(), ...this.#pipeline.outstanding()].map(strip);
  }

  request(ref: BlockRef): boolean {
    if (!this.#pipeline.add(ref)) return false;
    this.schedulePump();
    return true;
  }

  /**
   * Pumps once the current burst of work is done (end of this microtask
   * queue): requests made one by one, or answers to every block of a received
   * chunk, then leave in one write instead of one syscall each.
   */
  schedulePump(): void {
    if (this.#pumpScheduled) return;
    this.#pumpScheduled = true;
    queueMicrotask(() => {
      this.#pumpScheduled = false;
      this.pump();
    });
  }

  cancel(ref: BlockRef): boolean {
    const where = this.#pipeline.cancel(ref, this.#host.clock.now());
    if (where === "outstanding") this.#host.writeBlocks(MessageId.cancel, [ref]);
    return where !== undefined;
  }

  /** Sends queued requests up to the pipeline depth, in one write. */
  pump(): void {
    if (!this.#host.canRequest()) return;
    const refs = this.#pipeline.takeToSend(this.depth(), this.#host.clock.now());
    this.#host.writeBlocks(MessageId.request, refs);
  }

  /** The peer choked us: the requests to re-request elsewhere. */
  onChoke(fast: boolean): BlockRef[] {
    const returned = this.#pipeline.takeQueued();
    // BEP 6: a fast peer answers each outstanding request with a piece or a
    // reject; without it, BEP 3 says a choke discards them all.
    if (!fast) returned.push(...this.#pipeline.dropOutstanding(this.#host.clock.now()));
    return returned;
  }

  /** A piece arrived; true if it answers a request of ours (deliver it). */
  onPiece(index: number, begin: number, length: number): boolean {
    const answer = this.#pipeline.answer(index, begin, length);
    if (answer === "requested") {
      this.meter.add(length);
      return true;
    }
    this.#wasted += length;
    if (answer === "given-up") return false;
    // Never asked for. BEP 6 would close a fast peer at once; we allow a
    // little (answers to long-forgotten requests) before calling it abuse.
    this.#unsolicited += length;
    if (this.#unsolicited > UNSOLICITED_ALLOWANCE + this.meter.total / 10) {
      throw new PeerError(
        "unsolicited_pieces",
        `the peer sent ${this.#unsolicited} bytes of blocks we never requested`,
      );
    }
    return false;
  }

  /** A BEP 6 reject; true if it refuses a request still outstanding. */
  onReject(ref: BlockRef): boolean {
    // A reject for a request we gave up, or never sent, needs nothing more.
    return this.#pipeline.answer(ref.index, ref.begin, ref.length) === "requested";
  }

  /**
   * Gives up requests unanswered for too long (cancelling them on the wire)
   * and returns them.
   */
  expire(now: number): BlockRef[] {
    const { minRequestTimeoutMs: min, requestTimeoutMs: max } = this.#host.settings;
    const timeout = requestTimeout(this.meter.rate(), this.#pipeline.outstandingBytes, min, max);
    const expired = this.#pipeline.expire(now, timeout);
    this.#host.writeBlocks(MessageId.cancel, expired);
    this.#pipeline.prune(now, 2 * max);
    return expired;
  }

  /** Charges received bytes to the download buckets; stops reading while one is empty. */
  throttle(bytes: number): void {
    const { buckets } = this.#host;
    if (buckets.length === 0) return;
    consume(buckets, bytes);
    if (this.#readPaused || !exhausted(buckets)) return;
    this.#horizon.limited(this.#host.clock.now());
    this.#readPaused = true;
    this.#host.pause();
    const retry = () => {
      const wait = delayFor(buckets, BLOCK_LENGTH + 13);
      if (wait > 0) {
        this.#host.timers.set("download", wait, retry);
        return;
      }
      this.#readPaused = false;
      this.#host.resume();
    };
    retry();
  }
}
