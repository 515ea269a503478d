/**
 * The session's rate limits and rates: the global limits, each torrent's
 * own, the global ones shared out among the torrents moving data
 * (rate-shares.ts), and the session's rates, the sum of its torrents'.
 */
import type { Clock } from "../util/index.ts";
import type { ActiveRates, Limits } from "./dto.ts";
import { RateShares, type TorrentLimits } from "./rate-shares.ts";
import type { TorrentEntry } from "./registry.ts";

export interface SessionLimitsHost {
  /** The session's torrents, in the order they were added. */
  entries(): readonly TorrentEntry[];
  /** Connections open now over every torrent (connections.ts): every peer has one. */
  connections(): number;
}

export class SessionLimits {
  readonly shares: RateShares;
  readonly #host: SessionLimitsHost;

  constructor(clock: Clock, upload: number, download: number, host: SessionLimitsHost) {
    this.shares = new RateShares(clock, upload, download);
    this.#host = host;
  }

  /** The global limits in force (bytes/s; 0 = none). */
  get global(): Limits {
    return this.shares.limits;
  }

  /**
   * A global limit is set. Without one, each torrent's buckets are its own
   * limits, set whenever a limit changes: nothing to share out, not every
   * second nor per torrent added.
   */
  get globallyLimited(): boolean {
    const { upload, download } = this.shares.limits;
    return upload > 0 || download > 0;
  }

  /** Limits for a new torrent (bytes/s; 0 = only the global ones). */
  torrentLimits(upLimit: number, downLimit: number): TorrentLimits {
    return this.shares.torrentLimits(upLimit, downLimit);
  }

  setGlobal(limits: { upload?: number; download?: number }): void {
    this.shares.setGlobal(limits);
    this.share();
  }

  setTorrent(entry: TorrentEntry, limits: { upload?: number; download?: number }): void {
    const l = entry.limits;
    if (limits.upload !== undefined) l.upLimit = limits.upload;
    if (limits.download !== undefined) l.downLimit = limits.download;
    this.share();
  }

  /** The limits in force: global, and each torrent's own. */
  all(): Limits & { torrents: Record<string, Limits> } {
    const torrents: Record<string, Limits> = {};
    for (const e of this.#host.entries()) {
      torrents[e.infoHashHex] = { upload: e.limits.upLimit, download: e.limits.downLimit };
    }
    return { ...this.shares.limits, torrents };
  }

  /** The session's rates (bytes/s), the sum of every torrent's (see activeRates). */
  rates(): { downloadRate: number; uploadRate: number } {
    const { downloadRate, uploadRate } = this.activeRates();
    return { downloadRate, uploadRate };
  }

  /**
   * The session's rates and each torrent moving data, in one walk. Read every
   * second (the daemon's rate history): without a connection no torrent has
   * a peer to move data with, and a thousand idle seeds are not walked.
   */
  activeRates(): ActiveRates {
    let downloadRate = 0;
    let uploadRate = 0;
    const torrents: ActiveRates["torrents"] = [];
    if (this.#host.connections() === 0) return { downloadRate, uploadRate, torrents };
    for (const e of this.#host.entries()) {
      const r = e.torrent.rates();
      if (r.downloadRate === 0 && r.uploadRate === 0) continue;
      downloadRate += r.downloadRate;
      uploadRate += r.uploadRate;
      torrents.push([e.infoHashHex, r.downloadRate, r.uploadRate]);
    }
    return { downloadRate, uploadRate, torrents };
  }

  /** Shares the global limits out among the torrents by their rates now (walks every torrent). */
  share(): void {
    this.shares.share(
      this.#host.entries().map((e) => {
        const r = e.torrent.rates();
        return { limits: e.limits, uploadRate: r.uploadRate, downloadRate: r.downloadRate };
      }),
    );
  }
}
