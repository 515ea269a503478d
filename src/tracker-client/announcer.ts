/**
 * Announce scheduling for one torrent over its announce-list (BEP 12).
 *
 * Policy (libtorrent's default, announce_to_all_tiers and
 * announce_to_all_trackers both off): each round walks the trackers tier by
 * tier, front of each tier first, and stops at the first tracker that answers;
 * that tracker moves to the front of its tier (BEP 12) and the next round is
 * due after its `interval` (never sooner than its `min interval` or our
 * `minIntervalMs` floor). A tracker that fails is backed off exponentially
 * (30 s … 30 min, jittered) and skipped by rounds until its back-off ends, so
 * a round that starts after an upper tier recovers goes back to it. When every
 * tracker fails, the next round is due when the first back-off ends.
 *
 * Events (BEP 3): `started` to each tracker the first time we announce to it
 * (and again after it failed, since it may have dropped us), `completed` once
 * per tracker after `completed()`, `stopped` on `stop()` to every tracker that
 * may list us; BEP 21's `paused` on the other announces of a partial seed.
 */
import { randomBytes } from "node:crypto";
import { EventEmitter } from "node:events";
import type { UdpNetwork } from "../net/index.ts";
import type { AnnounceEvent, PeerAddress, ScrapeCounts } from "../tracker-proto/index.ts";
import {
  type Clock,
  type Logger,
  randomBytesFrom,
  realClock,
  silentLogger,
  type TimerHandle,
} from "../util/index.ts";
import { backoffDelay } from "./backoff.ts";
import { asTrackerClientError } from "./errors.ts";
import { DEFAULT_HTTP_TIMEOUT_MS, DEFAULT_MAX_REPLY_BYTES } from "./http-get.ts";
import {
  recordFailure,
  recordSuccess,
  statusOf,
  type TrackerEntry,
  TrackerTiers,
} from "./tiers.ts";
import { TrackerTransport } from "./transport.ts";
import type { AnnounceParams, AnnounceResult, AnnounceStats, TrackerStatus } from "./types.ts";
import { UDP_BASE_TIMEOUT_MS } from "./udp-tracker.ts";

/** When a tracker gives no interval (BEP 15 always does; some HTTP trackers do not). */
export const DEFAULT_INTERVAL_S = 1800;
export const DEFAULT_MIN_INTERVAL_MS = 60_000;
/**
 * Intervals are capped: a bogus `interval` must not silence us for days, and
 * timers beyond 2^31 ms fire at once in Node.
 */
export const MAX_INTERVAL_MS = 4 * 3600_000;
/**
 * Retransmissions for UDP announces. BEP 15's full schedule (n = 0..8) waits
 * over two hours before a tracker counts as failed, which would stall the
 * move to the next tracker or tier; 3 gives up after 15+30+60+120 s.
 */
export const DEFAULT_UDP_RETRIES = 3;
/** libtorrent's stop_tracker_timeout: shutdown never waits longer for `stopped`. */
export const DEFAULT_STOP_TIMEOUT_MS = 5_000;
/** What `stopped` is given at least when waiting for `completed` used up the stop timeout. */
const MIN_STOPPED_WAIT_MS = 1_000;
/** Floor on any re-announce, whatever the options say, so nothing can spin. */
const HARD_FLOOR_MS = 1_000;

export interface AnnouncerOptions {
  infoHash: Buffer;
  peerId: Buffer;
  /** TCP port we accept peers on. */
  port: number;
  /** BEP 12 tiers (metainfo's announce-list, or [[announce]]). */
  announceList: readonly (readonly string[])[];
  stats: () => AnnounceStats;
  /**
   * BEP 21: every wanted piece is here but not every piece (files were
   * skipped): regular announces then say `paused`, so a tracker that knows
   * partial seeds need not count us a downloader.
   */
  partialSeed?: () => boolean;
  clock?: Clock;
  /** Shuffles tiers and jitters back-off; Math.random by default. */
  random?: () => number;
  logger?: Logger;
  /** Peers asked for per announce (default 50). */
  numwant?: number;
  /** BEP 3 `key`; 8 random hex digits per announcer when absent (from `random` if given). */
  key?: string;
  /** HTTP request deadline (default 15 s). */
  timeoutMs?: number;
  /** UDP retransmissions (default 3; BEP 15 allows up to 8). */
  udpRetries?: number;
  /** First UDP wait, doubled per retransmission (BEP 15: 15 s). */
  udpBaseTimeoutMs?: number;
  /** Where UDP trackers' sockets come from (default the host's; simulations pass an in-memory one). */
  udp?: UdpNetwork;
  /** Certificates (PEM) to trust for https trackers instead of the system's (a private CA). */
  ca?: string | Buffer;
  /** Floor on the re-announce interval and on `announceNow()` spacing (default 60 s). */
  minIntervalMs?: number;
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  /** Bound on `stop()` (default 5 s). */
  stopTimeoutMs?: number;
  /** HTTP reply size cap (default 2 MiB). */
  maxReplyBytes?: number;
}

export interface AnnouncerEvents {
  /** Peers from a successful announce (only when there are some). */
  peers: [peers: PeerAddress[], trackerUrl: string];
  /** After every announce attempt, successful or not. */
  announce: [status: TrackerStatus];
  /** The tracker's `warning message`. */
  warning: [trackerUrl: string, message: string];
  /** An announce failed (not named "error": EventEmitter throws on unheard "error"s). */
  trackerError: [trackerUrl: string, message: string];
}

export class Announcer extends EventEmitter<AnnouncerEvents> {
  readonly #o: AnnouncerOptions;
  readonly #clock: Clock;
  readonly #random: () => number;
  readonly #log: Logger;
  readonly #key: string;
  readonly #tiers: TrackerTiers;
  readonly #minIntervalMs: number;
  readonly #transport: TrackerTransport;
  #running = false;
  #timer: TimerHandle | undefined;
  #nextRoundAt: number | undefined;
  #round: Promise<void> | undefined;
  #roundAbort: AbortController | undefined;
  /** `completed()` arrived during a round: run another right after it. */
  #rerun = false;
  #completed = false;
  /** The tracker the last successful round used. */
  #current: TrackerEntry | undefined;

  constructor(opts: AnnouncerOptions) {
    super();
    this.#o = opts;
    this.#clock = opts.clock ?? realClock;
    this.#random = opts.random ?? Math.random;
    this.#log = opts.logger ?? silentLogger;
    // From the random source when one is given, so a seeded simulation repeats.
    this.#key =
      opts.key ?? (opts.random ? randomBytesFrom(opts.random)(4) : randomBytes(4)).toString("hex");
    this.#tiers = new TrackerTiers(opts.announceList, this.#random);
    this.#minIntervalMs = Math.max(opts.minIntervalMs ?? DEFAULT_MIN_INTERVAL_MS, 0);
    this.#transport = new TrackerTransport({
      clock: this.#clock,
      timeoutMs: opts.timeoutMs ?? DEFAULT_HTTP_TIMEOUT_MS,
      maxReplyBytes: opts.maxReplyBytes ?? DEFAULT_MAX_REPLY_BYTES,
      udpBaseTimeoutMs: opts.udpBaseTimeoutMs ?? UDP_BASE_TIMEOUT_MS,
      udpRetries: opts.udpRetries ?? DEFAULT_UDP_RETRIES,
      ...(opts.udp ? { udp: opts.udp } : {}),
      ...(opts.ca !== undefined ? { ca: opts.ca } : {}),
    });
  }

  get running(): boolean {
    return this.#running;
  }

  /** Announces `started` now, then keeps re-announcing until `stop()`. */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    for (const e of this.#tiers.ordered()) {
      if (e.kind !== "unsupported") continue;
      const why = "unsupported tracker scheme (only http, https and udp are supported)";
      e.lastError = why;
      this.#log.info("skipping tracker", { url: e.url, reason: why });
      this.emit("trackerError", e.url, why);
    }
    this.#kick();
  }

  /** The download finished: announce `completed` now (BEP 3). */
  completed(): void {
    this.#completed = true;
    if (!this.#running) return;
    if (this.#round) this.#rerun = true;
    else this.#kick();
  }

  /**
   * A manual re-announce (the shell's `update`). Trackers in back-off are
   * retried. Unless `force`, it waits until the working tracker's
   * `min interval` (and our `minIntervalMs`) since the last announce has passed,
   * as Transmission does; `force` announces at once, like libtorrent's
   * force_reannounce with ignore_min_interval.
   */
  announceNow(force = false): void {
    if (!this.#running) return;
    for (const e of this.#tiers.ordered()) {
      if (e.state === "failed") e.retryAt = undefined;
    }
    if (this.#round) return;
    const now = this.#clock.now();
    let at = now;
    const cur = this.#current;
    if (!force && cur?.lastAnnounce !== undefined) {
      at = Math.max(
        now,
        cur.lastAnnounce + Math.max((cur.minInterval ?? 0) * 1000, this.#minIntervalMs),
      );
    }
    if (at <= now) this.#kick();
    else if (this.#nextRoundAt === undefined || at < this.#nextRoundAt) this.#schedule(at);
  }

  /**
   * Sends `stopped` to every tracker that may list us, in parallel; then no
   * timer or socket is left. A `completed` announce still in flight is let
   * finish first. The whole stop waits at most `stopTimeoutMs` (at least a
   * second is left for `stopped`).
   */
  async stop(): Promise<void> {
    const wasRunning = this.#running;
    const deadline = this.#clock.now() + (this.#o.stopTimeoutMs ?? DEFAULT_STOP_TIMEOUT_MS);
    if (wasRunning) await this.#landCompleted(deadline);
    this.#running = false;
    this.#rerun = false;
    this.#clearTimer();
    this.#roundAbort?.abort();
    if (this.#round) await this.#round.catch(() => {});
    if (wasRunning) await this.#sendStopped(deadline);
    for (const e of this.#tiers.ordered()) {
      this.#transport.close(e);
      e.registered = false;
      e.completedSent = false;
      if (e.state !== "unsupported") e.state = "idle";
      e.retryAt = undefined;
    }
    this.#current = undefined;
    this.#completed = false;
  }

  /** Resolves once no announce round is in flight (tests, orderly shutdowns). */
  async idle(): Promise<void> {
    while (this.#round) await this.#round.catch(() => {});
  }

  /**
   * BEP 48 / BEP 15 scrape of this torrent: the working tracker first, then
   * the others in announce order; undefined if none answers.
   */
  async scrape(): Promise<ScrapeCounts | undefined> {
    const order = this.#tiers.ordered().filter((e) => e.kind !== "unsupported");
    if (this.#current) order.unshift(...order.splice(order.indexOf(this.#current), 1));
    const infoHash = this.#o.infoHash;
    for (const e of order) {
      try {
        const files = await this.#transport.scrape(e, infoHash);
        const mine = files.find((f) => f.infoHash.equals(infoHash));
        if (!mine) continue;
        e.seeders = mine.complete;
        e.leechers = mine.incomplete;
        e.downloaded = mine.downloaded;
        return mine;
      } catch (err) {
        this.#log.debug("scrape failed", { url: e.url, error: (err as Error).message });
      }
    }
    return undefined;
  }

  /** Every tracker in the order announces try them. Times are the clock's (ms). */
  status(): TrackerStatus[] {
    return this.#tiers.ordered().map((e) => {
      const next =
        e === this.#current && this.#running
          ? this.#nextRoundAt
          : e.state === "failed"
            ? e.retryAt
            : undefined;
      return statusOf(e, next);
    });
  }

  /** The order of a tier's URLs as announces try them (BEP 12 shuffle, move-to-front). */
  tierOrder(tier: number): string[] {
    return this.#tiers.tierUrls(tier);
  }

  #kick(): void {
    if (!this.#running || this.#round) return;
    this.#clearTimer();
    const round = this.#runRound().finally(() => {
      if (this.#round === round) this.#round = undefined;
      if (this.#rerun && this.#running) {
        this.#rerun = false;
        this.#kick();
      }
    });
    this.#round = round;
  }

  #schedule(at: number): void {
    this.#clearTimer();
    this.#nextRoundAt = at;
    this.#timer = this.#clock.setTimeout(
      () => {
        this.#timer = undefined;
        this.#kick();
      },
      Math.max(0, at - this.#clock.now()),
    );
  }

  #clearTimer(): void {
    if (this.#timer) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#nextRoundAt = undefined;
  }

  async #runRound(): Promise<void> {
    const abort = new AbortController();
    this.#roundAbort = abort;
    for (const e of this.#tiers.ordered()) {
      if (!this.#running) return;
      if (e.kind === "unsupported") continue;
      if (e.state === "failed" && e.retryAt !== undefined && e.retryAt > this.#clock.now())
        continue;
      const ok = await this.#announceTo(e, abort.signal);
      if (!this.#running) return;
      if (ok) {
        this.#tiers.moveToFront(e);
        if (this.#current && this.#current !== e && this.#current.state === "working") {
          this.#current.state = "idle";
        }
        this.#current = e;
        this.#schedule(this.#clock.now() + this.#intervalMs(e));
        return;
      }
    }
    // Nobody answered: come back when the first back-off ends.
    this.#current = undefined;
    let retry: number | undefined;
    for (const e of this.#tiers.ordered()) {
      if (e.state === "failed" && e.retryAt !== undefined)
        retry = Math.min(retry ?? e.retryAt, e.retryAt);
    }
    if (retry !== undefined) this.#schedule(Math.max(retry, this.#clock.now() + HARD_FLOOR_MS));
  }

  #intervalMs(e: TrackerEntry): number {
    const interval = (e.interval || DEFAULT_INTERVAL_S) * 1000;
    const min = (e.minInterval ?? 0) * 1000;
    const wanted = Math.min(Math.max(interval, min), MAX_INTERVAL_MS);
    return Math.max(wanted, this.#minIntervalMs, HARD_FLOOR_MS);
  }

  #eventFor(e: TrackerEntry): AnnounceEvent {
    if (!e.registered) return "started";
    if (this.#completed && !e.completedSent) return "completed";
    // libtorrent does the same (announce_with_tracker: finished, not a seed).
    if (this.#o.partialSeed?.()) return "paused";
    return "none";
  }

  #params(e: TrackerEntry, event: AnnounceEvent): AnnounceParams {
    const s = this.#o.stats();
    const p: AnnounceParams = {
      infoHash: this.#o.infoHash,
      peerId: this.#o.peerId,
      port: this.#o.port,
      uploaded: s.uploaded,
      downloaded: s.downloaded,
      left: s.left,
      event,
      numwant: event === "stopped" ? 0 : (this.#o.numwant ?? 50),
      key: this.#key,
    };
    if (e.trackerId !== undefined) p.trackerId = e.trackerId;
    return p;
  }

  /** One announce to one tracker; true when it answered. */
  async #announceTo(e: TrackerEntry, signal: AbortSignal): Promise<boolean> {
    const event = this.#eventFor(e);
    const previous = e.state;
    e.state = "announcing";
    // A started that may have reached the tracker needs a stopped later, even if we abort.
    if (event === "started") e.registered = true;
    let result: AnnounceResult;
    try {
      result = await this.#transport.announce(e, this.#params(e, event), signal);
    } catch (err) {
      if (!this.#running) {
        e.state = previous === "announcing" ? "idle" : previous;
        return false;
      }
      const error = asTrackerClientError(err, e.url);
      recordFailure(e, error.message, this.#clock.now(), (n) => this.#backoff(n));
      this.#log.warn("announce failed", {
        url: e.url,
        event,
        code: error.code,
        error: error.message,
        failures: e.failures,
      });
      this.emit("trackerError", e.url, error.message);
      this.emit("announce", statusOf(e, e.retryAt));
      return false;
    }
    this.#record(e, event, result);
    return true;
  }

  #record(e: TrackerEntry, event: AnnounceEvent, r: AnnounceResult): void {
    recordSuccess(e, event, r, this.#clock.now());
    this.#log.debug("announced", { url: e.url, event, peers: r.peers.length });
    if (r.warning !== undefined) this.emit("warning", e.url, r.warning);
    this.emit("announce", statusOf(e, this.#clock.now() + this.#intervalMs(e)));
    if (r.peers.length > 0) this.emit("peers", r.peers, e.url);
  }

  #backoff(failures: number): number {
    const opts: { baseMs?: number; maxMs?: number } = {};
    if (this.#o.backoffBaseMs !== undefined) opts.baseMs = this.#o.backoffBaseMs;
    if (this.#o.backoffMaxMs !== undefined) opts.maxMs = this.#o.backoffMaxMs;
    return backoffDelay(failures, this.#random, opts);
  }

  /**
   * BEP 3: a tracker counts a finished download only from its `completed`
   * event. A client that closes as soon as the download ends (`shoal get`
   * without --seed) stops while that announce is in flight: aborting it would
   * leave the tracker's `downloaded` count short. Waits until a tracker took
   * the `completed` (or the rounds give up, or `deadline` passes).
   */
  async #landCompleted(deadline: number): Promise<void> {
    const landed = () => this.#tiers.ordered().some((e) => e.completedSent);
    while (this.#completed && this.#round && !landed()) {
      const waitMs = deadline - this.#clock.now();
      if (waitMs <= 0) return;
      let timer: TimerHandle | undefined;
      const expired = await Promise.race([
        this.#round.then(
          () => false,
          () => false,
        ),
        new Promise<boolean>((resolve) => {
          timer = this.#clock.setTimeout(() => resolve(true), waitMs);
        }),
      ]);
      if (timer) this.#clock.clearTimeout(timer);
      if (expired) return;
    }
  }

  async #sendStopped(deadline: number): Promise<void> {
    const targets = this.#tiers.ordered().filter((e) => e.registered && e.kind !== "unsupported");
    if (targets.length === 0) return;
    const floor = Math.min(MIN_STOPPED_WAIT_MS, this.#o.stopTimeoutMs ?? DEFAULT_STOP_TIMEOUT_MS);
    const timeoutMs = Math.max(deadline - this.#clock.now(), floor);
    const abort = new AbortController();
    const sends = targets.map(async (e) => {
      const params = this.#params(e, "stopped");
      try {
        await this.#transport.announce(e, params, abort.signal, timeoutMs);
        e.lastAnnounce = this.#clock.now();
        this.#log.debug("announced", { url: e.url, event: "stopped" });
      } catch (err) {
        this.#log.debug("stopped announce failed", { url: e.url, error: (err as Error).message });
      }
    });
    let timer: TimerHandle | undefined;
    await Promise.race([
      Promise.allSettled(sends),
      new Promise<void>((resolve) => {
        timer = this.#clock.setTimeout(resolve, timeoutMs);
      }),
    ]);
    if (timer) this.#clock.clearTimeout(timer);
    abort.abort();
  }
}
