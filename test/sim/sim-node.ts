/**
 * One simulated peer: a whole Client on a host of the simulated network,
 * dialling and listening through the host (src/net's MemoryHost), its data
 * in the peer's PieceStore, its time the swarm's clock and its random
 * choices the peer's own seeded stream.
 */
import { join } from "node:path";
import type { Metainfo } from "../../src/metainfo/index.ts";
import type { MemoryHost } from "../../src/net/index.ts";
import { Client } from "../../src/session/index.ts";
import type { PieceStore } from "../../src/storage/index.ts";
import type { Torrent, TorrentOptions } from "../../src/torrent/index.ts";
import type { Clock, RandomSource } from "../../src/util/index.ts";

export interface SimNodeOptions {
  host: MemoryHost;
  port: number;
  meta: Metainfo;
  store: PieceStore;
  clock: Clock;
  random: RandomSource;
  /** A folder of its own for the client's state (the data stays in `store`). */
  dataDir: string;
  uploadSlots?: number;
  chokeIntervalMs?: number;
  /** Added by info hash alone: the torrent waits in its metadata state for setMetadata. */
  byInfoHash?: boolean;
  /** Added by info hash alone, its metadata fetched from peers (BEP 9), as from a magnet link. */
  magnet?: boolean;
  /** The metainfo it is added with, when not `meta` (a liar's, with other info bytes). */
  addedMeta?: Metainfo;
  /** The client's own upload limit, bytes/s (default none). */
  uploadLimit?: number;
  /** The torrent's most connections (default the engine's). */
  maxPeers?: number;
  /** BEP 11 peer exchange (default the engine's: on). */
  pex?: boolean;
  /** Fetch pieces in order (streaming). */
  sequential?: boolean;
}

export interface SimNode {
  readonly client: Client;
  readonly torrent: Torrent;
  close(): Promise<void>;
}

export async function startNode(o: SimNodeOptions): Promise<SimNode> {
  const torrentDefaults: Partial<TorrentOptions> = {
    trackers: false,
    openStore: async () => o.store,
  };
  if (o.uploadSlots !== undefined) torrentDefaults.uploadSlots = o.uploadSlots;
  if (o.chokeIntervalMs !== undefined) torrentDefaults.chokeIntervalMs = o.chokeIntervalMs;
  if (o.pex !== undefined) torrentDefaults.pex = o.pex;
  if (o.sequential) torrentDefaults.sequential = true;
  // byInfoHash waits to be handed its metadata: it fetches none (BEP 9).
  if (o.byInfoHash) torrentDefaults.metadataExchange = false;
  const client = await Client.start({
    dataDir: o.dataDir,
    downloadDir: join(o.dataDir, "download"),
    port: o.port,
    dialer: o.host,
    listen: async (port) => o.host.listen(port),
    clock: o.clock,
    random: o.random,
    ...(o.uploadLimit !== undefined ? { uploadLimit: o.uploadLimit } : {}),
    ...(o.maxPeers !== undefined ? { maxPeersPerTorrent: o.maxPeers } : {}),
    torrentDefaults,
  });
  const torrent = await client.add(
    o.byInfoHash || o.magnet ? { infoHash: o.meta.infoHash } : (o.addedMeta ?? o.meta),
  );
  return { client, torrent, close: () => client.close() };
}
