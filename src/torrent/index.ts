/**
 * torrent: one torrent's life (lifecycle.ts): created from its metainfo, or
 * from an info hash alone (a magnet link: the `metadata` state, peers
 * connected, until setMetadata), then checking → downloading → seeding,
 * paused, stopped, or error.
 *
 *   const t = new Torrent({ meta | infoHash, name?, announceList?, peers?,
 *                           downloadDir, peerId, listenPort, dial, ... });
 *   await t.checked(); t.start(); t.pause(); await t.setMetadata(meta); await t.close();
 *   t.acceptIncoming(negotiated)   // after peer's negotiateIncoming, routed by info hash
 *   t.extensions.register({ name: "ut_metadata", handler })   // BEP 10
 *
 * Events: "state"(state, previous) "metadata" "piece" "hash-failed" "peer-banned"
 *         "complete" "peer-connected" "peer-closed" "dht-node"(host, port) "warning"
 */
export { TorrentError, type TorrentErrorCode } from "./errors.ts";
export { FILE_PRIORITIES, type FilePriority } from "./file-selection.ts";
export type { PeerSource } from "./known-peers.ts";
export { isActive } from "./lifecycle.ts";
export type { RateBuckets, TorrentEvents, TorrentObserver, TorrentOptions } from "./options.ts";
export { MAX_AVAILABILITY, type PieceActivity } from "./piece-activity.ts";
export { Torrent } from "./torrent.ts";
export type { PeerInfo, TorrentState, TorrentStats } from "./types.ts";
