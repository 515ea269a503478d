/**
 * The client's rate limits: a global bucket each way that caps the sum, and
 * each torrent's own bucket, whose rate is re-shared among the torrents
 * moving data every period (max-min fair, within each torrent's own limit).
 */
import { fairShares, TokenBucket } from "../ratelimit/index.ts";
import type { RateBuckets } from "../torrent/index.ts";
import type { Clock } from "../util/index.ts";

/**
 * A torrent's own limits and buckets; the buckets' rates are re-shared
 * every period under a global limit. Each bucket is made for the first
 * connection that asks (rateBuckets), with the rate it was last given: an
 * idle seed holds none (two buckets and two lists were about 0.3 KiB of
 * every torrent). A bucket made late starts full, as an idle one is.
 */
export class TorrentLimits implements RateBuckets {
  /** bytes/s; 0 = only the global limit. */
  upLimit: number;
  downLimit: number;
  readonly #shares: RateShares;
  #up: TokenBucket | undefined;
  #down: TokenBucket | undefined;
  /** The rates the buckets are to have (bytes/s; 0 = none), until they are made. */
  #upRate: number;
  #downRate: number;

  constructor(shares: RateShares, upLimit: number, downLimit: number) {
    this.#shares = shares;
    this.upLimit = upLimit;
    this.downLimit = downLimit;
    this.#upRate = upLimit;
    this.#downRate = downLimit;
  }

  get up(): TokenBucket {
    this.#up ??= new TokenBucket(this.#shares.clock, this.#upRate);
    return this.#up;
  }

  get down(): TokenBucket {
    this.#down ??= new TokenBucket(this.#shares.clock, this.#downRate);
    return this.#down;
  }

  /** Sets a bucket's rate (bytes/s; 0 = none), kept for it until it is made. */
  setRate(dir: "up" | "down", rate: number): void {
    const bucket = dir === "up" ? this.#up : this.#down;
    if (bucket) bucket.setRate(rate);
    else if (dir === "up") this.#upRate = rate;
    else this.#downRate = rate;
  }

  /** A new connection's upload buckets: the torrent's, then the session's. */
  upload(): readonly TokenBucket[] {
    return [this.up, this.#shares.upload];
  }

  download(): readonly TokenBucket[] {
    return [this.down, this.#shares.download];
  }
}

/** What a torrent moves now (bytes/s), for sharing. */
export interface TorrentDemand {
  limits: TorrentLimits;
  uploadRate: number;
  downloadRate: number;
}

export class RateShares {
  readonly upload: TokenBucket;
  readonly download: TokenBucket;
  readonly clock: Clock;

  constructor(clock: Clock, uploadLimit: number, downloadLimit: number) {
    this.clock = clock;
    this.upload = new TokenBucket(clock, uploadLimit);
    this.download = new TokenBucket(clock, downloadLimit);
  }

  /** Limits for a new torrent (bytes/s; 0 = only the global ones). */
  torrentLimits(upLimit = 0, downLimit = 0): TorrentLimits {
    return new TorrentLimits(this, upLimit, downLimit);
  }

  /** The global limits in force (bytes/s; 0 = none). */
  get limits(): { upload: number; download: number } {
    const rate = (b: TokenBucket) => (b.unlimited ? 0 : b.rate);
    return { upload: rate(this.upload), download: rate(this.download) };
  }

  setGlobal(limits: { upload?: number; download?: number }): void {
    if (limits.upload !== undefined) this.upload.setRate(limits.upload);
    if (limits.download !== undefined) this.download.setRate(limits.download);
  }

  /**
   * Splits the global rates among the torrents moving data (max-min fair):
   * each gets an equal share, and what one leaves unused goes to the others.
   * Each torrent's bucket gets its share (within its own limit); the global
   * bucket still caps the sum.
   */
  share(torrents: readonly TorrentDemand[]): void {
    const cap = (limit: number) => (limit > 0 ? limit : Number.POSITIVE_INFINITY);
    for (const dir of ["up", "down"] as const) {
      const global = dir === "up" ? this.upload : this.download;
      const demands = torrents.map((t) => ({
        used: dir === "up" ? t.uploadRate : t.downloadRate,
        cap: cap(dir === "up" ? t.limits.upLimit : t.limits.downLimit),
      }));
      const shares = fairShares(global.unlimited ? Number.POSITIVE_INFINITY : global.rate, demands);
      torrents.forEach((t, i) => {
        const rate = shares[i]!;
        t.limits.setRate(dir, Number.isFinite(rate) ? rate : 0);
      });
    }
  }
}
