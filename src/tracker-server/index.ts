/**
 * tracker-server: a BitTorrent tracker (HTTP BEP 3/7/23/48 and UDP BEP 15/41
 * on one port) with a torrent index, SQLite persistence and operator views.
 *
 * Public API:
 *   Tracker.start(config: TrackerConfig, opts?: { logger, clock, random, wallClock, httpTransport, udpTransport }): Promise<Tracker>
 *     tracker.port, tracker.urls {http, udp}, tracker.stop(), tracker.flush(),
 *     tracker.store (SwarmStore), tracker.index (TorrentIndex), tracker.metrics
 *   resolveConfig(...layers): TrackerConfig   (defaults ← config file ← flags; throws TrackerError)
 *   CONFIG_FIELDS / DEFAULT_CONFIG            (the settings table: JSON key, flag, type, help)
 *   AnnounceHandler, MemorySwarmStore, SwarmStore (transport-blind core, for simulations)
 *   RedisSwarmStore, SharedSwarmStore (swarms shared by several instances through Redis)
 *   ConnectionIds (BEP 15 stateless connection ids)
 *   libuvUdpAvailable() (whether udpTransport "auto" can use libuv's UDP handle)
 */

// Re-exported for the tracker's tests and benchmarks, which choose udpTransport by it.
export { libuvUdpAvailable } from "../net/index.ts";
export {
  AnnounceHandler,
  type AnnounceOutcome,
  type AnnounceSettings,
  type AnnounceSource,
  STORE_UNAVAILABLE_REASON,
  TOO_MANY_SWARMS_REASON,
  UNREGISTERED_REASON,
} from "./announce-handler.ts";
export {
  CONFIG_FIELDS,
  type ConfigField,
  type ConfigKey,
  coerceField,
  DEFAULT_CONFIG,
  resolveConfig,
  type TrackerConfig,
} from "./config.ts";
export { CONNECTION_ID_WINDOW_MS, ConnectionIds } from "./connection-id.ts";
export { DATABASE_FILE } from "./database.ts";
export { StoreUnavailableError, TrackerError, type TrackerErrorCode } from "./errors.ts";
export { type Member, MemberStore, openMembers } from "./members.ts";
export { MemorySwarmStore, type MemorySwarmStoreOptions } from "./memory-swarm-store.ts";
export { TrackerMetrics } from "./metrics.ts";
export { RedisSwarmStore, type RedisSwarmStoreOptions } from "./redis-swarm-store.ts";
export type {
  PeerUpdate,
  PutResult,
  SharedAnnounce,
  SharedAnnounceReply,
  SharedSwarmStore,
  StoredPeer,
  SwarmCounts,
  SwarmStore,
  SwarmTotals,
} from "./swarm-store.ts";
export type { TorrentEntry } from "./torrent-index.ts";
export { Tracker, type TrackerOptions } from "./tracker.ts";
export type { PeerView, SwarmView } from "./views.ts";
