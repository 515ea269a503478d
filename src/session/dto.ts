/**
 * What front ends see of the session: plain JSON-serialisable objects
 * (numbers, strings, booleans, arrays; no Buffers, no class instances), the
 * same for the CLI, the shell, the daemon's HTTP API and the web UI. Absent
 * values are absent keys. Rates are bytes/s; limits are bytes/s with 0 for
 * none; times are ms since the Unix epoch; durations are seconds.
 */
import type { DhtStats } from "../dht/index.ts";

/** A torrent's place in its life (the torrent module's lifecycle). */
export type TorrentStateName =
  | "metadata"
  | "checking"
  | "downloading"
  | "seeding"
  | "paused"
  | "stopped"
  | "error";

/** Rate limits, bytes/s; 0 = none (for a torrent: only the global ones apply). */
export interface Limits {
  upload: number;
  download: number;
}

/** The session's rates and those of each torrent moving data now (bytes/s). */
export interface ActiveRates {
  downloadRate: number;
  uploadRate: number;
  /** [info hash (hex), download rate, upload rate] of each torrent whose rates are not both 0. */
  torrents: Array<[infoHash: string, downloadRate: number, uploadRate: number]>;
}

export interface TorrentSummary {
  /** The short id of this session (1, 2, …). */
  id: number;
  /** 40 lower-case hex digits. */
  infoHash: string;
  name: string;
  state: TorrentStateName;
  /** Why it is in the `error` state. */
  error?: string;
  /** False until a magnet link's metadata arrives (sizes are 0 until then). */
  hasMetadata: boolean;
  /** Before a magnet link's metadata arrives: the connected peers it is being fetched from (BEP 9). */
  metadataPeers?: number;
  /** Bytes of the whole torrent. */
  size: number;
  pieceCount: number;
  pieceLength: number;
  /** Verified pieces. */
  piecesHave: number;
  /** 0..1 of the torrent verified. */
  progress: number;
  /** Bytes still missing. */
  left: number;
  /** Payload bytes received in accepted blocks since the torrent was started this session. */
  downloaded: number;
  /** Payload bytes sent since the torrent was started this session. */
  uploaded: number;
  /** Received bytes that were not wanted (duplicates, unrequested). */
  wasted: number;
  hashFailures: number;
  /** Uploaded ÷ downloaded, where data that was here already counts as downloaded. */
  ratio: number;
  downloadRate: number;
  uploadRate: number;
  /** Seconds left at the current rate, while downloading and receiving. */
  eta?: number;
  /** Connected peers, and how many of them are seeds. */
  peers: number;
  seeds: number;
  /** Addresses banned for sending bad data. */
  banned: number;
  addedAt: number;
  /** Files land at downloadDir/<name>… */
  downloadDir: string;
  /** The torrent's own limits. */
  limits: Limits;
  /** Bytes of the files wanted (all but the skipped ones), and of them still missing. */
  sizeWanted: number;
  leftWanted: number;
  /** Pieces fetched in order (streaming). */
  sequential: boolean;
  /** The first and last piece of each wanted file fetched first. */
  firstLastPiecePriority: boolean;
  /** Its place in the queue (0 first). */
  queuePosition: number;
  /** Waiting for its turn in the download or seed queue (its state is then `paused`). */
  queued: boolean;
  labels: string[];
  /** Bytes sent and received over every run (restarts included). */
  uploadedEver: number;
  downloadedEver: number;
  /** Its own seeding goals: a number is its own, null none; absent: the session's. */
  ratioLimit?: number | null;
  idleLimitMinutes?: number | null;
}

/** The session's queue limits and seeding goals (0: none). */
export interface ManageSettingsView {
  maxActiveDownloads: number;
  maxActiveSeeds: number;
  stalledMinutes: number;
  ratioLimit: number;
  idleLimitMinutes: number;
}

/** A torrent with what a details view shows besides its summary. */
export interface TorrentDetail extends TorrentSummary {
  /** The magnet link (BEP 9) of the torrent. */
  magnet: string;
  /** The verified pieces as a BEP 3 bitfield (first piece in the high bit), base64. */
  pieces: string;
  private: boolean;
  comment?: string;
  createdBy?: string;
  /** Seconds since the Unix epoch, as the .torrent says. */
  creationDate?: number;
  /** Where the session keeps its copy of the .torrent, when it keeps one. */
  torrentFile?: string;
  trackers: TrackerView[];
}

export interface PeerView {
  /** The connection's id within the torrent. */
  id: string;
  /** host:port ([v6]:port), the listen port when known. */
  address: string;
  /** 40 hex digits, once the handshake told it. */
  peerId?: string;
  /** The client software, from its peer id or extended handshake. */
  client?: string;
  /** We dialled it (else it dialled us). */
  outgoing: boolean;
  /** The connection is RC4-encrypted (MSE). */
  encrypted: boolean;
  /** Where its address came from: tracker, pex, magnet, manual, incoming, dht, lsd. */
  source: string;
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
  /** Our requests waiting for its answer. */
  requests: number;
  /** It holds our optimistic unchoke. */
  optimistic: boolean;
  /** The piece it is sending us now, and how much of that piece we have (0..1). */
  downloadPiece?: number;
  downloadPieceProgress: number;
  /** The piece it last asked us for, and how far up that piece it has asked (0..1). */
  uploadPiece?: number;
  uploadPieceProgress: number;
}

export interface FileView {
  /** The file's index in the torrent. */
  index: number;
  /** Path from the download folder, with `/` between components. */
  path: string;
  length: number;
  /** Bytes of the file inside verified pieces. */
  bytesCompleted: number;
  /** 0..1. */
  progress: number;
  /** A BEP 47 padding file: never written. */
  padding: boolean;
  /** skip (not downloaded nor created), low, normal or high. */
  priority: FilePriorityName;
  /** Its priority is not `skip`. */
  wanted: boolean;
}

/** A file's priority (selective download). */
export type FilePriorityName = "skip" | "low" | "normal" | "high";

export type TrackerStateName = "idle" | "announcing" | "working" | "failed" | "unsupported";

export interface TrackerView {
  /** Its place in the torrent's list, tier by tier from 0 (what edits name it by, as Transmission's ids). */
  id: number;
  url: string;
  /** Its BEP 12 tier. */
  tier: number;
  /** `idle` also while the torrent does not announce (paused). */
  state: TrackerStateName;
  /** Seconds since its last answer or failure, and until the next announce. */
  lastAnnounceAgo?: number;
  nextAnnounceIn?: number;
  lastError?: string;
  lastWarning?: string;
  /** Swarm counts from its last reply. */
  seeders?: number;
  leechers?: number;
  /** Completed downloads it counts. */
  downloaded?: number;
  /** Peers in its last reply. */
  peersReceived: number;
}

export interface ClientView {
  /** Our peer id, 40 hex digits. */
  peerId: string;
  /** Where peers reach us. */
  port: number;
  /** Where torrents' files go unless told otherwise. */
  downloadDir: string;
  downloadRate: number;
  uploadRate: number;
  /** The global limits. */
  limits: Limits;
  /** Torrents by state, and in all. */
  torrents: number;
  downloading: number;
  seeding: number;
  paused: number;
  /** Peer connections over all torrents. */
  peers: number;
  /** The DHT node's id, table size and counters (BEP 5), when the DHT is on. */
  dht?: DhtStats;
}

/** Everything that happens to the session's torrents, for subscribers. */
export type SessionEvent =
  | { type: "added"; id: number; infoHash: string; name: string }
  | { type: "metadata"; id: number; infoHash: string; name: string }
  | {
      type: "state";
      id: number;
      infoHash: string;
      state: TorrentStateName;
      previous: TorrentStateName;
    }
  | { type: "completed"; id: number; infoHash: string; name: string }
  | { type: "error"; id: number; infoHash: string; name: string; message: string }
  | { type: "warning"; id?: number; infoHash?: string; message: string }
  | { type: "removed"; id: number; infoHash: string; name: string }
  /** A seeding goal was reached: the torrent is paused. */
  | { type: "finished"; id: number; infoHash: string; name: string; reason: "ratio" | "idle" }
  | { type: "peer-connected"; id: number; infoHash: string; peer: PeerView }
  | { type: "peer-closed"; id: number; infoHash: string; reason: string; peer: PeerView };

export type SessionEventType = SessionEvent["type"];

/**
 * A torrent's live piece map (issue 17), compact for large torrents: about
 * 1.5 bytes of JSON per piece, whatever the torrent's size.
 */
export interface PieceActivityView {
  pieceCount: number;
  piecesHave: number;
  /** BEP 3 bitfield of verified pieces (first piece in the high bit), base64. */
  have: string;
  /** One byte per piece, base64: how many connected peers hold it (255 means 255 or more). */
  availability: string;
  /** The pieces being fetched, in order, with the peers (host:port) asked for their blocks. */
  inFlight: { piece: number; peers: string[] }[];
}
