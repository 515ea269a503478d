/**
 * A tracker's parts when its swarms live in a shared store (issue 19): the
 * Redis swarm store, the mirror the operator views read, the shared torrent
 * index, and the secrets every instance derives alike (peer owners, UDP
 * connection ids). tracker.ts wires these in place of the memory store.
 */
import { createHash } from "node:crypto";
import type { Clock, Logger } from "../util/index.ts";
import type { TrackerConfig } from "./config.ts";
import { ConnectionIds } from "./connection-id.ts";
import { PeerOwners } from "./peer-owner.ts";
import type { PrivateAccess } from "./private-access.ts";
import { RedisSwarmStore, redisUrlForDisplay } from "./redis-swarm-store.ts";
import { SharedTorrentIndex } from "./shared-index.ts";
import { SharedMembers } from "./shared-members.ts";
import { SharedStoreMirror } from "./shared-store-mirror.ts";
import type { TorrentIndex } from "./torrent-index.ts";

/** How often the operator views' mirror and the copy of the index are refreshed. */
export const SHARED_REFRESH_MS = 1000;

/** A key derived from the shared secret for one use, the same on every instance. */
function derivedSecret(config: TrackerConfig, use: string): Buffer {
  const first = (config.sharedSecret ?? "").split(",")[0]!;
  return createHash("sha256").update(`shoal ${use}\0${first}`).digest().subarray(0, 16);
}

export class SharedParts {
  readonly store: RedisSwarmStore;
  readonly mirror: SharedStoreMirror;
  readonly index: SharedTorrentIndex;
  /** Every instance computes the same owner for the same client. */
  readonly owners: PeerOwners;
  /** A private tracker's members, shared with the other instances (--private). */
  readonly members: SharedMembers | undefined;
  readonly #config: TrackerConfig;
  readonly #logger: Logger;
  readonly #index: TorrentIndex;

  constructor(
    config: TrackerConfig,
    index: TorrentIndex,
    wallClock: () => number,
    logger: Logger,
    access?: PrivateAccess,
  ) {
    this.#config = config;
    this.#logger = logger;
    this.#index = index;
    this.store = new RedisSwarmStore({
      url: config.store,
      prefix: config.storePrefix,
      expiryMs: config.interval * config.peerExpiry * 1000,
      maxSwarms: config.maxSwarms,
      maxPeersPerSwarm: config.maxPeersPerSwarm,
      now: wallClock,
      logger,
    });
    this.mirror = new SharedStoreMirror(this.store);
    this.index = new SharedTorrentIndex(this.store.client, config.storePrefix, index, logger);
    this.owners = new PeerOwners(derivedSecret(config, "peer owner"));
    if (access) {
      const members = new SharedMembers(
        this.store.client,
        config.storePrefix,
        access.members,
        logger,
        (n) => {
          access.inflated += n;
        },
      );
      access.report = (member, r) => members.report(member, r);
      this.members = members;
    }
  }

  /** UDP connection ids every instance accepts: the shared secrets, on wall time. */
  connectionIds(clock: Clock, wallClock: () => number): ConnectionIds {
    return new ConnectionIds(
      {
        now: wallClock,
        setTimeout: (fn, ms) => clock.setTimeout(fn, ms),
        clearTimeout: (t) => clock.clearTimeout(t),
      },
      { secrets: (this.#config.sharedSecret ?? "").split(",") },
    );
  }

  /**
   * Connects, waiting a few seconds at most: a tracker whose Redis is not up
   * yet starts anyway, answers failure reasons, and recovers by itself.
   */
  async connect(): Promise<void> {
    if (!(await this.store.connect())) {
      this.#logger.warn("swarm store not reachable yet; announces fail until it is", {
        store: redisUrlForDisplay(this.#config.store),
      });
      return;
    }
    await this.refresh();
  }

  /** Expiry in the shared store; returns how many peers went. */
  sweep(): Promise<number> {
    return this.store.expire();
  }

  /** The index from the other instances, then the views' copy of the swarms. */
  async refresh(): Promise<void> {
    const created = await this.index.sync();
    if (created > 0) this.#logger.debug("torrents from the shared index", { torrents: created });
    await this.members?.sync();
    await this.mirror.refresh(this.#index.keys());
  }

  close(): Promise<void> {
    return this.store.close();
  }
}
