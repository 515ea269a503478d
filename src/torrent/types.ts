import type { TrackerStatus } from "../tracker-client/index.ts";
import type { PeerSource } from "./known-peers.ts";

/** See lifecycle.ts. */
export type TorrentState =
  | "metadata"
  | "checking"
  | "downloading"
  | "seeding"
  | "paused"
  | "stopped"
  | "error";

export interface TorrentStats {
  infoHash: string;
  /** The torrent's name (before its metadata: the name given, or the info hash). */
  name: string;
  state: TorrentState;
  /** Why the torrent is in the `error` state. */
  error?: string;
  /** 0 (as are `left` and `pieceCount`) until a magnet link's metadata arrives. */
  totalLength: number;
  /** Bytes still missing. */
  left: number;
  /** 0..1 of verified data. */
  progress: number;
  piecesHave: number;
  pieceCount: number;
  /** Payload bytes received in accepted blocks (this session). */
  downloaded: number;
  uploaded: number;
  /** Bytes received that were not wanted (duplicates, unrequested). */
  wasted: number;
  hashFailures: number;
  downloadRate: number;
  uploadRate: number;
  peers: number;
  /** Before a magnet link's metadata arrives: the connected peers it is fetched from (BEP 9). */
  metadataPeers: number;
  banned: number;
  trackers: TrackerStatus[];
}

export interface PeerInfo {
  id: string;
  /** ip:port (the listen port when known). */
  address: string;
  peerId: string | undefined;
  client: string | undefined;
  outgoing: boolean;
  /** The connection is RC4-encrypted (MSE). */
  encrypted: boolean;
  /** Where we heard of its address (a tracker, PEX, …); "incoming" for one that reached us unknown. */
  source: PeerSource;
  seed: boolean;
  /** 0..1 of the torrent the peer has. */
  progress: number;
  downloadRate: number;
  uploadRate: number;
  downloaded: number;
  uploaded: number;
  amChoking: boolean;
  amInterested: boolean;
  peerChoking: boolean;
  peerInterested: boolean;
  requests: number;
  optimistic: boolean;
  /** The piece of the oldest block we asked the peer for that has not arrived (what it sends now). */
  downloadPiece: number | undefined;
  /** 0..1 of that piece's blocks received so far, from any peer (1 once verified). */
  downloadPieceProgress: number;
  /** The piece of the newest block the peer asked us for. */
  uploadPiece: number | undefined;
  /** 0..1 of that piece up to the end of that block (peers ask for a piece's blocks in order). */
  uploadPieceProgress: number;
}
