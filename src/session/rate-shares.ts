/**
 * The client's rate limits: a global bucket each way that caps the sum, and
 * each torrent's own bucket, whose rate is re-shared among the torrents
 * moving data every period (max-min fair, within each torrent's own limit).
 */
import { fairShares, TokenBucket } from "../ratelimit/index.ts";
import type { Clock } from "../util/index.ts";

/** A torrent's own buckets and limits; their rates are re-shared every period. */
export interface TorrentLimits {
  up: TokenBucket;
  down: TokenBucket;
  /** bytes/s; 0 = only the global limit. */
  upLimit: number;
  downLimit: number;
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
  readonly #clock: Clock;

  constructor(clock: Clock, uploadLimit: number, downloadLimit: number) {
    this.#clock = clock;
    this.upload = new TokenBucket(clock, uploadLimit);
    this.download = new TokenBucket(clock, downloadLimit);
  }

  /** Limits for a new torrent (bytes/s; 0 = only the global ones). */
  torrentLimits(upLimit = 0, downLimit = 0): TorrentLimits {
    return {
      upLimit,
      downLimit,
      up: new TokenBucket(this.#clock, upLimit),
      down: new TokenBucket(this.#clock, downLimit),
    };
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
        t.limits[dir].setRate(Number.isFinite(rate) ? rate : 0);
      });
    }
  }
}
