/**
 * The last ten minutes of transfer rates (issue 17's speed graph), one
 * sample a second: the session's, and each torrent's that moved data in that
 * time, so a torrent's details show its last ten minutes whenever they are
 * opened. One walk a second finds the torrents moving data (the session's
 * activeRates), and none while no peer is connected: an idle daemon of 5,000
 * torrents walks none of them. Kept by the control plane; the page survives
 * a reload with its graph.
 */
import type { ShoalApi } from "./shoal-api.ts";
import type { TorrentRef } from "./types.ts";

/** Ten minutes of one-second samples. */
export const RATE_SAMPLES = 600;
export const RATE_PERIOD_MS = 1000;
/** Torrents tracked at most (each costs two Float32Array rings: 4.8 KB). */
export const MAX_TRACKED_TORRENTS = 256;

export interface RateSeries {
  periodMs: number;
  /** Bytes/s, oldest first, the newest last (at most RATE_SAMPLES). */
  download: number[];
  upload: number[];
}

/**
 * Two rings of samples, slot n % RATE_SAMPLES holding the session's n-th
 * sample, so every ring lines up with the session's. Rates are rounded to
 * whole bytes/s: a Float32Array holds those exactly up to 16 MiB/s, and
 * the JSON carries no float32 digits.
 */
class Rates {
  readonly down = new Float32Array(RATE_SAMPLES);
  readonly up = new Float32Array(RATE_SAMPLES);

  set(sample: number, down: number, up: number): void {
    const slot = sample % RATE_SAMPLES;
    this.down[slot] = Math.round(down);
    this.up[slot] = Math.round(up);
  }
}

/** A torrent being tracked: its rings, and the last sample in which it moved data. */
interface Tracked {
  rates: Rates;
  activeAt: number;
  /** Samples up to this one are unknown (see RateHistory's #unknownUntil). */
  knownAfter: number;
}

export class RateHistory {
  readonly #api: ShoalApi;
  readonly #session = new Rates();
  readonly #torrents = new Map<string, Tracked>();
  /** Samples taken; the n-th is at slot n % RATE_SAMPLES. */
  #samples = 0;
  /**
   * Up to this sample a torrent not tracked may have moved data unrecorded:
   * one moving data while MAX_TRACKED_TORRENTS others were could not be
   * tracked, or one evicted had moved data within the window. Before it an
   * untracked torrent's zeros are true (it was idle), after it they are not
   * known, and its series starts after it.
   */
  #unknownUntil = 0;
  #timer: ReturnType<typeof setInterval> | undefined;
  readonly #unsubscribe: () => void;

  constructor(api: ShoalApi) {
    this.#api = api;
    // A removed torrent's samples go with it: it holds no slot meanwhile,
    // and added again it starts with zeros like any other newcomer.
    this.#unsubscribe = api.subscribe(
      (e) => {
        if (e.type === "removed") this.#torrents.delete(e.infoHash);
      },
      { types: ["removed"] },
    );
  }

  /** Samples once a second until close() (the timer does not keep the process alive). */
  start(): void {
    this.#timer ??= setInterval(() => this.sample(), RATE_PERIOD_MS);
    this.#timer.unref();
  }

  close(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    this.#unsubscribe();
  }

  /**
   * One sample of the session and of each torrent moving data or tracked.
   * A torrent idle for the whole window is dropped: its series is zeros,
   * which is what an untracked one answers. A removed one was dropped when
   * it was removed (the constructor's subscription).
   */
  sample(): void {
    const n = ++this.#samples;
    const now = this.#api.activeRates();
    this.#session.set(n, now.downloadRate, now.uploadRate);
    for (const [hash, t] of this.#torrents) {
      if (n - t.activeAt >= RATE_SAMPLES) this.#torrents.delete(hash);
      else t.rates.set(n, 0, 0); // overwritten below if it moved data
    }
    // The tracked ones first, so none moving data now is evicted for a newcomer.
    const newcomers: typeof now.torrents = [];
    for (const moving of now.torrents) {
      const t = this.#torrents.get(moving[0]);
      if (t === undefined) newcomers.push(moving);
      else {
        t.activeAt = n;
        t.rates.set(n, moving[1], moving[2]);
      }
    }
    for (const [hash, down, up] of newcomers) {
      if (!this.#makeRoom(n)) {
        // Every tracked torrent moved data in this sample: the rest go unrecorded.
        this.#unknownUntil = n;
        break;
      }
      // A fresh ring: its earlier samples are zeros, back to the session's
      // first (or to #unknownUntil). It was idle then, or it would be tracked.
      const t: Tracked = { rates: new Rates(), activeAt: n, knownAfter: this.#unknownUntil };
      t.rates.set(n, down, up);
      this.#torrents.set(hash, t);
    }
  }

  /** Evicts the torrent idle longest if one is idle this sample; false when none is. */
  #makeRoom(n: number): boolean {
    if (this.#torrents.size < MAX_TRACKED_TORRENTS) return true;
    let idlest: [string, Tracked] | undefined;
    for (const entry of this.#torrents) {
      if (idlest === undefined || entry[1].activeAt < idlest[1].activeAt) idlest = entry;
    }
    if (idlest === undefined || idlest[1].activeAt === n) return false;
    this.#torrents.delete(idlest[0]);
    this.#unknownUntil = Math.max(this.#unknownUntil, idlest[1].activeAt);
    return true;
  }

  /** Torrents tracked now (at most MAX_TRACKED_TORRENTS). */
  get trackedTorrents(): number {
    return this.#torrents.size;
  }

  session(): RateSeries {
    return this.#series(this.#session, 0);
  }

  /**
   * A torrent's last ten minutes, lined up with the session's. A torrent
   * tracked since after its first sample, or not tracked at all, was idle
   * before (it would have been tracked had it moved data): those samples are
   * zeros, as far back as they are known.
   */
  torrent(ref: TorrentRef): RateSeries {
    const hash = this.#api.get(ref).infoHash;
    const t = this.#torrents.get(hash);
    return this.#series(t?.rates, t ? t.knownAfter : this.#unknownUntil);
  }

  /** The samples after `knownAfter` within the window; zeros where rates is undefined. */
  #series(rates: Rates | undefined, knownAfter: number): RateSeries {
    const n = this.#samples;
    const count = Math.min(RATE_SAMPLES, n - knownAfter);
    const pick = (ring: Float32Array | undefined) =>
      Array.from({ length: count }, (_, i) => ring?.[(n - count + 1 + i) % RATE_SAMPLES] ?? 0);
    return { periodMs: RATE_PERIOD_MS, download: pick(rates?.down), upload: pick(rates?.up) };
  }
}
