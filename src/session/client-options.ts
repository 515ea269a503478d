/** What a Client is made from, what its operations take, and what it tells. */

import type { IpFilter, UdpNetwork } from "../net/index.ts";
import type { EncryptionPolicy } from "../peer/index.ts";
import type { FilePriority, Torrent, TorrentOptions } from "../torrent/index.ts";
import type { Clock, Logger, PeerId, RandomSource } from "../util/index.ts";
import type { ClientDhtOptions } from "./dht-source.ts";
import type { SessionEvent } from "./dto.ts";
import type { Dialer, Listen } from "./transports.ts";

export interface ClientOptions {
  /** Where resume data and session state live. */
  dataDir: string;
  /** Default download folder for added torrents. */
  downloadDir: string;
  /** Port to accept peers on; 0 picks a free one. */
  port?: number;
  /** Address to listen on (default all interfaces). */
  host?: string;
  /** Opens streams to peers (default TCP). */
  dialer?: Dialer;
  /** Accepts streams from peers (default TCP). */
  listen?: Listen;
  /**
   * Local service discovery (BEP 14): announce the torrents that are not
   * private on the LAN by multicast and take the peers heard of there.
   * Off by default (DESIGN.md: LAN multicast is opt-in): no socket is
   * opened and nothing is sent. Absent: the persisted session's setting
   * (with `persist`), else off; a given one wins and is kept.
   */
  lsd?: boolean;
  /**
   * Message Stream Encryption on peer connections (peer/negotiate.ts):
   * "disabled", "enabled" (default: both accepted, plaintext dialled),
   * "prefer" (encrypted dialled, plaintext when the peer has no MSE) or
   * "required" (plaintext peers refused).
   */
  encryption?: EncryptionPolicy;
  /** Block lists (net's IpFilter): their addresses are refused both ways; setIpFilter changes it live. */
  ipFilter?: IpFilter;
  /** Where UDP sockets come from (LSD's multicast); the host's network by default. */
  udp?: UdpNetwork;
  /** Most peer connections over all torrents. */
  maxConnections?: number;
  /** Most peer connections per torrent. */
  maxPeersPerTorrent?: number;
  /**
   * Global limits in bytes/s; 0 means unlimited. Absent: the persisted
   * session's (with `persist`), else unlimited. Given ones win and are kept.
   */
  uploadLimit?: number;
  downloadLimit?: number;
  /**
   * Keep the session on disk: the torrents with their settings and states
   * in <dataDir>/session.json, their .torrent files in <dataDir>/torrents,
   * the global limits; restore() adds the torrents back on the next start.
   */
  persist?: boolean;
  /**
   * With `persist`: keep the session file each write replaces as
   * session.json.prev, and recover a damaged session.json from it (the
   * daemon's choice; session-store.ts).
   */
  keepLastGoodSession?: boolean;
  /**
   * With `persist`: on close, keep every torrent's .torrent copy and resume
   * data in one file for the next start to read at once (the daemon's
   * choice; restore-pack.ts). Any client removes such a pack when it starts.
   */
  restorePack?: boolean;
  /** Take <dataDir>/lock: one shoal per data dir (data-dir-lock.ts). */
  lock?: boolean;
  peerId?: PeerId;
  clock?: Clock;
  /**
   * Every random choice (our peer id when not given, each torrent's piece
   * picks, choke draws and tracker order); Math.random and crypto by
   * default, a seeded source makes a simulation repeat.
   */
  random?: RandomSource;
  logger?: Logger;
  /**
   * Run a DHT node (BEP 5) as a peer source for public torrents. It
   * contacts only the nodes named here, in torrents and by peers, and the
   * ones it saved in <dataDir>/dht.json. Absent: no DHT.
   */
  /**
   * Torrents added from now on download here and move to their download
   * folder when complete (incomplete-dir.ts); absent: straight there.
   */
  incompleteDir?: string;
  dht?: ClientDhtOptions;
  /**
   * Queues and seeding goals (queue.ts, seeding-goals.ts): at most this
   * many torrents download / seed at once (0: no limit), a torrent that
   * transferred nothing for `stalledMinutes` not counted; seeding stops at
   * `ratioLimit` or after `idleSeedingLimitMinutes` without uploading (0:
   * never). Absent: the persisted session's (with `persist`), else none;
   * given ones win and are kept.
   */
  maxActiveDownloads?: number;
  maxActiveSeeds?: number;
  stalledMinutes?: number;
  ratioLimit?: number;
  idleSeedingLimitMinutes?: number;
  /**
   * A watch folder (watch-folder.ts): every `.torrent` put there is added,
   * then renamed `<name>.added` (deleted with `watchDeleteAdded`); one that
   * is not a torrent is renamed `<name>.invalid`, with a log line.
   */
  watchDir?: string;
  watchDeleteAdded?: boolean;
  /** How often the watch folder is scanned (default 2 s). */
  watchIntervalMs?: number;
  /**
   * A program and its arguments run when a torrent completes, with the
   * torrent's details in SHOAL_TORRENT_* environment variables
   * (completion-command.ts); no shell.
   */
  completionCommand?: readonly string[];
  /** Passed to every torrent (tests shorten tracker intervals with it). */
  torrentDefaults?: Partial<TorrentOptions>;
}

export interface AddOptions {
  downloadDir?: string;
  /** This torrent's own limits in bytes/s (0 or absent: only the global ones apply). */
  uploadLimit?: number;
  downloadLimit?: number;
  verify?: boolean;
  /** Leave it paused instead of starting it. */
  paused?: boolean;
  /**
   * A magnet link or info hash: run only to fetch its metadata (BEP 9), then
   * rest paused before its data is opened or any piece requested, so its
   * files can be chosen; kept with the session until the metadata is here.
   * A .torrent has its metadata already: it is added paused.
   */
  pauseAfterMetadata?: boolean;
  /** MSE for this torrent's connections, over the client's policy. */
  encryption?: EncryptionPolicy;
  /**
   * A priority per file (selective download); files past the list (or holes
   * in it) get `unlistedFilePriority`, `normal` by default (`skip`: only
   * the files listed, as BEP 53's `so=`).
   */
  filePriorities?: readonly (FilePriority | undefined)[];
  unlistedFilePriority?: FilePriority;
  /** Fetch pieces in order (streaming). */
  sequential?: boolean;
  /** Fetch the first and last piece of each wanted file first. */
  firstLastPiecePriority?: boolean;
  /** Labels to file it under. */
  labels?: readonly string[];
  /** Peers to connect to besides the ones trackers give. */
  peers?: readonly { host: string; port: number }[];
  onCheckProgress?: (checked: number, total: number) => void;
}

export interface RemoveOptions {
  /** Also delete the torrent's files (and its resume data). */
  deleteData?: boolean;
}

export interface RestoreResult {
  /** Info hashes of the torrents added back, in the session's order. */
  restored: string[];
  /** What could not come back, one line each. */
  warnings: string[];
}

export interface ClientEvents {
  added: [torrent: Torrent];
  removed: [infoHash: string];
  /** Every change of every torrent, as plain data (dto.ts). */
  event: [event: SessionEvent];
}
