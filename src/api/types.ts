/**
 * What the api takes and gives besides the session's views (dto.ts, re-exported
 * here so a front end imports its types from one place). Every value is plain
 * JSON: a .torrent file travels as base64 text, torrents are named by a
 * reference (their short id, or a unique prefix of their info hash).
 */
import type {
  ClientView,
  FilePriorityName,
  Limits,
  SessionEvent,
  TorrentSummary,
} from "../session/index.ts";
import type { TorrentListing } from "../tracker-client/index.ts";

export type {
  ClientView,
  FilePriorityName,
  FileView,
  Limits,
  ManageSettingsView,
  PeerView,
  PieceActivityView,
  SessionEvent,
  SessionEventType,
  TorrentDetail,
  TorrentStateName,
  TorrentSummary,
  TrackerStateName,
  TrackerView,
} from "../session/index.ts";

/** A torrent's short id (`2`, or `"2"`) or a unique prefix of its info hash (`"3fa2"`). */
export type TorrentRef = string | number;

/** Adding a torrent: exactly one of `torrent`, `path`, `magnet`, `infoHash`. */
export interface AddRequest {
  /** The .torrent file's contents, base64. */
  torrent?: string;
  /** A .torrent file on the machine the session runs on. */
  path?: string;
  /** A magnet URI (BEP 9). */
  magnet?: string;
  /** An http(s) URL of a .torrent file, fetched by the session. */
  url?: string;
  /** An info hash (40 hex digits): the torrent starts in its metadata state. */
  infoHash?: string;
  /** With `infoHash`: a name to show until the metadata arrives, and trackers to ask. */
  name?: string;
  trackers?: string[];
  /** Peers to connect to, `host:port` or `[v6]:port`. */
  peers?: string[];
  /** Where its files go (default: the session's download folder). */
  downloadDir?: string;
  /** Add it without starting it. */
  paused?: boolean;
  /**
   * A magnet link or info hash: run only until the metadata arrives, then
   * pause before any piece (choose its files, then resume); kept with the
   * session, so a restart before the metadata still pauses it. A .torrent
   * is added paused.
   */
  pauseAfterMetadata?: boolean;
  /** Its own limits, bytes/s (0: only the global ones). */
  uploadLimit?: number;
  downloadLimit?: number;
  /** Hash every piece on disk, ignoring resume data. */
  verify?: boolean;
  /** Download only these files (indices; BEP 53's `so=`): the others are skipped. */
  files?: number[];
  /** Or a priority per file (files past the list: normal). */
  filePriorities?: FilePriorityName[];
  /** Fetch pieces in order (streaming). */
  sequential?: boolean;
  /** Fetch the first and last piece of each wanted file first. */
  firstLastPiecePriority?: boolean;
  /** Labels to file it under. */
  labels?: string[];
}

/** Adding a torrent of the tracker's index: its info hash, or a unique prefix of it. */
export interface AddFromIndexRequest
  extends Omit<
    AddRequest,
    "torrent" | "path" | "magnet" | "url" | "infoHash" | "name" | "trackers"
  > {
  infoHash: string;
}

/** Field names of TorrentSummary, for `list({ fields })`. */
export type SummaryField = keyof TorrentSummary;

export interface ListRequest {
  /** Only these fields of each torrent (all when absent). */
  fields?: readonly string[];
}

export interface RemoveRequest {
  /** Also delete the torrent's files and resume data. */
  deleteData?: boolean;
}

export type LimitsRequest = Partial<Limits>;

export interface MoveRequest {
  /** The folder its files go to (absolute). */
  downloadDir: string;
}

/** Which pieces a torrent has. */
export interface PieceMap {
  pieceCount: number;
  piecesHave: number;
  /** BEP 3 bitfield of verified pieces (first piece in the high bit), base64. */
  bitfield: string;
}

/** The client's view with this session's totals. */
export interface SessionStats extends ClientView {
  /** Payload bytes over every torrent since each was started this session. */
  downloaded: number;
  uploaded: number;
  /** Seconds since the session started. */
  secondsActive: number;
}

export interface WaitRequest {
  /** Give up (ApiError `timeout`) after this long. */
  timeoutMs?: number;
}

/** Publishing to the tracker's index: a torrent of the session, or a .torrent's bytes. */
export interface PublishRequest {
  ref?: TorrentRef;
  /** The .torrent file's contents, base64. */
  torrent?: string;
}

export interface PublishResult {
  /** False when the index had it already. */
  created: boolean;
  infoHash: string;
  name: string;
  magnet: string;
}

/** One torrent the tracker's index offers (`added`: when published, ISO 8601). */
export interface IndexEntry extends Omit<TorrentListing, "magnet"> {
  /** True when the session has it. */
  have: boolean;
}

export type ApiEvent = SessionEvent;
export type ApiListener = (event: ApiEvent) => void;

// ---- managing torrents (issue 16) -------------------------------------------------

/**
 * Changing files' priorities: `indices` (all files when absent) get
 * `priority`; or, with `wanted` alone, are skipped (false) or, if skipped,
 * set to normal (true). Transmission's files-wanted / files-unwanted /
 * priority-high map onto it.
 */
export interface FilesRequest {
  indices?: number[];
  priority?: FilePriorityName;
  wanted?: boolean;
}

export interface PieceOrderRequest {
  sequential?: boolean;
  firstLastPiecePriority?: boolean;
}

/** Moving a torrent in the queue: to a place (0 first), or a step. */
export interface QueueMoveRequest {
  to: number | "top" | "up" | "down" | "bottom";
}

export interface LabelsRequest {
  /** The torrent's labels from now on (an empty list clears them). */
  labels: string[];
}

/** A torrent's own seeding goals: a number is its own, null none, "global" the session's. */
export interface SeedingGoalsRequest {
  ratioLimit?: number | null | "global";
  idleLimitMinutes?: number | null | "global";
}
