/**
 * The last ten minutes of transfer rates (issue 17's speed graph), one
 * sample a second: the session's always, and a torrent's from the first time
 * someone asks for it (its details opened) until nobody has asked for ten
 * minutes, so a daemon of 5,000 torrents samples the few being watched, not
 * all of them. Kept by the control plane; the page survives a reload with
 * its graph.
 */
import type { ShoalApi } from "./shoal-api.ts";
import type { TorrentRef } from "./types.ts";

/** Ten minutes of one-second samples. */
export const RATE_SAMPLES = 600;
export const RATE_PERIOD_MS = 1000;
/** Torrents watched at most (each costs two rings of RATE_SAMPLES numbers). */
export const MAX_WATCHED_TORRENTS = 64;

export interface RateSeries {
  periodMs: number;
  /** Bytes/s, oldest first, the newest last (at most RATE_SAMPLES). */
  download: number[];
  upload: number[];
}

/** Two fixed rings of samples. */
class Rates {
  readonly #down = new Float64Array(RATE_SAMPLES);
  readonly #up = new Float64Array(RATE_SAMPLES);
  #count = 0;
  #next = 0;

  push(down: number, up: number): void {
    this.#down[this.#next] = down;
    this.#up[this.#next] = up;
    this.#next = (this.#next + 1) % RATE_SAMPLES;
    this.#count = Math.min(RATE_SAMPLES, this.#count + 1);
  }

  series(): RateSeries {
    const start = (this.#next - this.#count + RATE_SAMPLES) % RATE_SAMPLES;
    const pick = (ring: Float64Array) =>
      Array.from({ length: this.#count }, (_, i) => ring[(start + i) % RATE_SAMPLES]!);
    return { periodMs: RATE_PERIOD_MS, download: pick(this.#down), upload: pick(this.#up) };
  }
}

export class RateHistory {
  readonly #api: ShoalApi;
  readonly #session = new Rates();
  /** Info hash → its rates and when it was last asked for (in samples taken). */
  readonly #torrents = new Map<string, { rates: Rates; askedAt: number }>();
  #samples = 0;
  #timer: ReturnType<typeof setInterval> | undefined;

  constructor(api: ShoalApi) {
    this.#api = api;
  }

  /** Samples once a second until close() (the timer does not keep the process alive). */
  start(): void {
    this.#timer ??= setInterval(() => this.sample(), RATE_PERIOD_MS);
    this.#timer.unref();
  }

  close(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** One sample of the session and of each watched torrent; a torrent gone or unasked is dropped. */
  sample(): void {
    this.#samples++;
    const c = this.#api.rates();
    this.#session.push(c.downloadRate, c.uploadRate);
    for (const [hash, w] of this.#torrents) {
      if (this.#samples - w.askedAt > RATE_SAMPLES) {
        this.#torrents.delete(hash);
        continue;
      }
      try {
        const t = this.#api.get(hash);
        w.rates.push(t.downloadRate, t.uploadRate);
      } catch {
        this.#torrents.delete(hash); // removed
      }
    }
  }

  session(): RateSeries {
    return this.#session.series();
  }

  /** A torrent's samples since it was first asked for (the asking starts them). */
  torrent(ref: TorrentRef): RateSeries {
    const hash = this.#api.get(ref).infoHash;
    let w = this.#torrents.get(hash);
    if (w === undefined) {
      if (this.#torrents.size >= MAX_WATCHED_TORRENTS) {
        // The one asked for longest ago makes room.
        let oldest: string | undefined;
        for (const [h, x] of this.#torrents) {
          if (oldest === undefined || x.askedAt < this.#torrents.get(oldest)!.askedAt) oldest = h;
        }
        if (oldest !== undefined) this.#torrents.delete(oldest);
      }
      w = { rates: new Rates(), askedAt: this.#samples };
      this.#torrents.set(hash, w);
    }
    w.askedAt = this.#samples;
    return w.rates.series();
  }
}
