/**
 * What a torrent shows of itself: its figures (TorrentStats) and its peers
 * (PeerInfo), as plain data for front ends. Before a magnet link's metadata
 * arrives sizes and piece counts are 0.
 */
import { type Metainfo, pieceSize } from "../metainfo/index.ts";
import type { PieceStore } from "../storage/index.ts";
import type { TrackerStatus } from "../tracker-client/index.ts";
import { formatEndpoint, toHex } from "../util/index.ts";
import type { PeerSet } from "./peer-set.ts";
import type { Requester } from "./requesting.ts";
import type { SwarmPeer } from "./swarm-peer.ts";
import type { PeerInfo, TorrentState, TorrentStats } from "./types.ts";

/** What views read of a torrent's peers. */
export type PeersView = Pick<PeerSet, "values" | "size" | "banCount">;

/** What a set without a connection iterates (never written to). */
const NO_PEERS: ReadonlyMap<string, SwarmPeer> = new Map();

/** The peers of a torrent that never had a set made (an idle seed, whose swarm modules may not be loaded): none. */
export const NO_PEER_SET: PeersView = {
  size: 0,
  banCount: 0,
  values: () => NO_PEERS.values(),
};

/** The parts of a torrent its views read. */
export interface TorrentView {
  infoHashHex: string;
  name: string;
  state: TorrentState;
  error: string | undefined;
  meta: Metainfo | undefined;
  storage: PieceStore | undefined;
  peers: PeersView;
  requester: Requester | undefined;
  /** Peers the metadata is being fetched from (BEP 9), before it is known. */
  metadataPeers: number;
  uploaded: number;
  left: number;
  /** The peer holding the optimistic unchoke. */
  optimistic: string | undefined;
  trackers: TrackerStatus[];
}

/** The rates and the peer count alone: what a session's totals read of every torrent each second. */
export function torrentRates(
  v: TorrentView,
): Pick<TorrentStats, "downloadRate" | "uploadRate" | "peers"> {
  let downloadRate = 0;
  let uploadRate = 0;
  for (const p of v.peers.values()) {
    const s = p.conn.stats;
    downloadRate += s.downloadRate;
    uploadRate += s.uploadRate;
  }
  return { downloadRate, uploadRate, peers: v.peers.size };
}

export function torrentStats(v: TorrentView): TorrentStats {
  const { downloadRate, uploadRate } = torrentRates(v);
  const total = v.meta?.totalLength ?? 0;
  const left = v.left;
  const stats: TorrentStats = {
    infoHash: v.infoHashHex,
    name: v.name,
    state: v.state,
    totalLength: total,
    left,
    progress: total > 0 ? 1 - left / total : 0,
    piecesHave: v.storage?.have.count() ?? 0,
    pieceCount: v.meta?.pieceCount ?? 0,
    downloaded: v.requester?.downloaded ?? 0,
    uploaded: v.uploaded,
    wasted: v.requester?.wasted ?? 0,
    hashFailures: v.requester?.hashFailures ?? 0,
    downloadRate,
    uploadRate,
    peers: v.peers.size,
    metadataPeers: v.metadataPeers,
    banned: v.peers.banCount,
    trackers: v.trackers,
  };
  if (v.error !== undefined) stats.error = v.error;
  return stats;
}

/** The peers past their handshakes. */
export function peerInfos(v: TorrentView): PeerInfo[] {
  const partials = v.requester?.partialProgress() ?? new Map<number, number>();
  return [...v.peers.values()].filter((p) => p.conn.ready).map((p) => peerInfo(v, p, partials));
}

export function peerInfo(
  v: TorrentView,
  p: SwarmPeer,
  partials = v.requester?.partialProgress() ?? new Map<number, number>(),
): PeerInfo {
  const s = p.conn.stats;
  // Queued requests come first, then the outstanding ones, oldest first:
  // the oldest outstanding block is the one arriving now.
  const pending = p.conn.pendingRequests();
  const down = (pending[s.requestsQueued] ?? pending[0])?.index;
  const up = p.lastRequest;
  const pieceCount = v.meta?.pieceCount ?? 0;
  return {
    id: p.id,
    address: formatEndpoint(p.host, p.listenPort ?? p.conn.remotePort ?? 0),
    peerId: toHex(p.conn.peerId),
    client: s.client ?? s.clientVersion,
    outgoing: p.outgoing,
    encrypted: p.conn.encrypted,
    source: p.known?.source ?? "incoming",
    seed: pieceCount > 0 && p.have.isComplete(),
    progress: pieceCount > 0 ? p.have.count() / pieceCount : 0,
    downloadRate: s.downloadRate,
    uploadRate: s.uploadRate,
    downloaded: s.downloaded,
    uploaded: s.uploaded,
    amChoking: s.amChoking,
    amInterested: s.amInterested,
    peerChoking: s.peerChoking,
    peerInterested: s.peerInterested,
    requests: s.requestsOutstanding,
    optimistic: v.optimistic === p.id,
    downloadPiece: down,
    downloadPieceProgress:
      down === undefined ? 0 : (partials.get(down) ?? (v.storage?.have.has(down) ? 1 : 0)),
    uploadPiece: up?.index,
    uploadPieceProgress:
      up && v.meta ? Math.min(1, (up.begin + up.length) / pieceSize(v.meta, up.index)) : 0,
  };
}
