/**
 * The torrent index shared by tracker instances on one Redis: the Redis hash
 * `<prefix>torrents` (info hash → the exact .torrent bytes published) is the
 * single source of truth. Publishing writes there first (HSETNX: the first
 * upload of a torrent wins, the bytes never change), then into this
 * instance's TorrentIndex; sync() copies in what other instances published
 * (each instance runs it every second), and copies up what this instance
 * holds that Redis lost (a Redis restarted without persistence is refilled
 * from any instance with a data dir).
 *
 * Registered-only mode does not wait for sync(): the announce script reads
 * the Redis hash itself, so a torrent published on one instance is served by
 * every other at once.
 */
import type { Redis } from "ioredis";
import { parseMetainfo } from "../metainfo/index.ts";
import type { Logger } from "../util/index.ts";
import { StoreUnavailableError } from "./errors.ts";
import type { PublishResult, TorrentIndex } from "./torrent-index.ts";

/** Torrents copied per sync request: a sync stays bounded however far behind it is. */
const SYNC_BATCH = 500;
/**
 * Between full syncs, a sync reads only the hash's length (HLEN) and
 * compares the index as a whole only when it or this index's size changed:
 * listing every key each second costs Redis and every instance O(torrents).
 */
const FULL_SYNC_EVERY = 30;

export class SharedTorrentIndex {
  readonly #redis: Redis;
  readonly #key: string;
  readonly #index: TorrentIndex;
  readonly #logger: Logger;
  /** Sizes of Redis's hash and of this index after the last full sync (-1: none yet). */
  #remoteSize = -1;
  #localSize = -1;
  #sinceFull = 0;

  constructor(redis: Redis, prefix: string, index: TorrentIndex, logger: Logger) {
    this.#redis = redis;
    this.#key = `${prefix}torrents`;
    this.#index = index;
    this.#logger = logger;
  }

  /**
   * Validates, stores in Redis, then in this instance's index. Throws
   * MetainfoError for a torrent that is not usable, StoreUnavailableError
   * when Redis does not take it (nothing is published then).
   */
  async publish(torrent: Buffer): Promise<PublishResult> {
    const metainfo = parseMetainfo(torrent);
    try {
      await this.#redis.hsetnx(this.#key, Buffer.from(metainfo.infoHash), torrent);
    } catch (err) {
      throw new StoreUnavailableError(
        `cannot publish now, the shared index is unavailable: ${(err as Error).message}`,
        { cause: err },
      );
    }
    return this.#index.publish(torrent);
  }

  /** Brings this index and Redis's into agreement; returns how many torrents came in. */
  async sync(): Promise<number> {
    if (++this.#sinceFull < FULL_SYNC_EVERY && this.#localSize === this.#index.size) {
      if ((await this.#redis.hlen(this.#key)) === this.#remoteSize) return 0;
    }
    this.#sinceFull = 0;
    const remote = await this.#redis.hkeysBuffer(this.#key);
    const remoteKeys = new Set(remote.map((k) => k.toString("latin1")));
    const missing = remote.filter((k) => !this.#index.has(k.toString("latin1")));
    let added = 0;
    for (let i = 0; i < missing.length; i += SYNC_BATCH) {
      const batch = missing.slice(i, i + SYNC_BATCH);
      const bytes = await this.#redis.hmgetBuffer(this.#key, ...batch);
      for (const b of bytes) {
        if (!b) continue;
        try {
          if (this.#index.publish(b).created) added++;
        } catch (err) {
          this.#logger.warn("skipped an unusable torrent in the shared index", {
            err: String((err as Error).message),
          });
        }
      }
    }
    // What Redis lost (restarted without persistence) comes back from here.
    const up: Buffer[] = [];
    for (const key of this.#index.keys()) {
      if (remoteKeys.has(key)) continue;
      const b = this.#index.bytes(key);
      if (b) up.push(Buffer.from(key, "latin1"), b);
      if (up.length >= 2 * SYNC_BATCH) break;
    }
    for (let i = 0; i < up.length; i += 2) await this.#redis.hsetnx(this.#key, up[i]!, up[i + 1]!);
    if (up.length > 0) {
      this.#logger.info("restored torrents to the shared index", { torrents: up.length / 2 });
    }
    // Unsettled (more to copy either way than one sync takes): compare in full next time too.
    const settled = added === missing.length && up.length < 2 * SYNC_BATCH;
    this.#remoteSize = settled ? remote.length + up.length / 2 : -1;
    this.#localSize = this.#index.size;
    return added;
  }
}
