import type { IpFilter } from "../net/index.ts";
import type { Logger } from "../util/index.ts";
import type { AnnounceHandler } from "./announce-handler.ts";
import type { TrackerConfig } from "./config.ts";
import type { TrackerMetrics } from "./metrics.ts";
import type { PrivateAccess } from "./private-access.ts";
import type { SharedTorrentIndex } from "./shared-index.ts";
import type { StoreStats } from "./store-stats.ts";
import type { SwarmStore } from "./swarm-store.ts";
import type { TorrentIndex } from "./torrent-index.ts";

/** What the HTTP routes and operator views read: the tracker's parts, wired. */
export interface TrackerContext {
  config: TrackerConfig;
  handler: AnnounceHandler;
  store: SwarmStore;
  index: TorrentIndex;
  metrics: TrackerMetrics;
  logger: Logger;
  /** Completed downloads for an info hash (latin1), whether or not its swarm is in memory. */
  completedOf(infoHash: string): number;
  /** Clock time now (ms), to show how long ago peers announced. */
  now(): number;
  /** The HTTP front end's connections, body bytes held and connections waiting on unread replies (/stats). */
  httpStats?(): { connections: number; bodyBytes: number; waiting: number };
  /** The index shared with other instances (publishing goes through it), when swarms are shared. */
  sharedIndex?: SharedTorrentIndex | undefined;
  /** The shared swarm store's figures for /metrics. */
  storeStats?: StoreStats | undefined;
  /** A private tracker's gate (--private): members and their passkeys. */
  access?: PrivateAccess | undefined;
  /** --ip-filter: announces from these addresses are refused. */
  ipFilter?: IpFilter | undefined;
}
