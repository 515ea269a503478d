/** What a Torrent is made from, and what it tells. */
import type { Metainfo } from "../metainfo/index.ts";
import type { Transport } from "../net/index.ts";
import type {
  EncryptionPolicy,
  ExtensionRegistry,
  Geometry,
  Identity,
  PeerConnectionOptions,
} from "../peer/index.ts";
import type { TokenBucket } from "../ratelimit/index.ts";
import type { OpenPieceStore, PieceStore } from "../storage/index.ts";
import type { AnnouncerOptions } from "../tracker-client/index.ts";
import type { PeerAddress } from "../tracker-proto/index.ts";
import type { Clock, Logger, RandomSource } from "../util/index.ts";
import type { FilePriority } from "./file-selection.ts";
import type { PeerInfo, TorrentState } from "./types.ts";

export interface TorrentOptions {
  /** The torrent's metainfo; without it, `infoHash` (a magnet link's) and metadata comes later. */
  meta?: Metainfo;
  infoHash?: Uint8Array;
  /** A name to show until the metadata arrives (a magnet link's `dn`). */
  name?: string;
  /** Trackers to announce to before the metadata arrives (a magnet link's `tr`), as BEP 12 tiers. */
  announceList?: string[][];
  /**
   * The user's own tracker tiers (edited through the API), replacing the
   * metadata's and a magnet link's; kept with the session.
   */
  trackerList?: string[][];
  /**
   * BEP 9 ut_metadata: fetch a magnet link's info dictionary from peers and
   * serve ours (default true). Off for tests that hand it over with setMetadata.
   */
  metadataExchange?: boolean;
  /** Peers to connect to at start (a magnet link's `x.pe`). */
  peers?: PeerAddress[];
  /** The download folder: files land at downloadDir/<name>… */
  downloadDir: string;
  peerId: Buffer;
  /** Our TCP listen port (announced to trackers and peers). */
  listenPort: number;
  /** BEP 5: our DHT's port, for the handshake's DHT bit and `port` messages. */
  dhtPort?: number;
  /** MSE on this torrent's connections (default "enabled": both accepted, plaintext dialled). */
  encryption?: EncryptionPolicy;
  /** The IP filter (block lists): blocked addresses are never candidates (the session refuses their connections). */
  blocked?: (ip: string) => boolean;
  /** Opens an outgoing stream (the session applies its global limits). */
  dial: (host: string, port: number) => Promise<Transport>;
  /** Where the data lives (TorrentStorage.open, files under downloadDir, by default). */
  openStore?: OpenPieceStore;
  resumePath?: string;
  /** Or the folder of every torrent's resume data, as `<info hash>.json` (StorageOptions.resumeDir). */
  resumeDir?: string;
  /**
   * A priority per file (selective download; file-selection.ts); absent:
   * every file `normal`. Given before a magnet link's metadata, it is fitted
   * to the file count once known.
   */
  filePriorities?: readonly (FilePriority | undefined)[];
  /**
   * The priority of files the list leaves out (past its end, or holes in
   * it): `normal` by default; `skip` downloads only the files listed
   * (BEP 53's `so=`, `shoal get --only`).
   */
  unlistedFilePriority?: FilePriority;
  /** Fetch pieces in order (streaming). */
  sequential?: boolean;
  /** Fetch the first and last piece of each wanted file first. */
  firstLastPiecePriority?: boolean;
  /**
   * A torrent from an info hash alone: once its metadata arrives it rests
   * paused, its data not opened and no piece asked for, so the user picks
   * its files first (libtorrent's stop-when-ready, Transmission's magnet
   * added without starting). start() then opens the data and downloads.
   */
  pauseAfterMetadata?: boolean;
  /** Recheck all data, ignoring resume data. */
  verify?: boolean;
  /** Write verified pieces with direct I/O where possible (default true; see storage). */
  directIo?: boolean;
  /** Most connections for this torrent. */
  maxPeers?: number;
  uploadSlots?: number;
  chokeIntervalMs?: number;
  /** BEP 11 peer exchange (default on; never for a private torrent, BEP 27). */
  pex?: boolean;
  /** Announce to the torrent's trackers (off for tests that add peers by hand). */
  trackers?: boolean;
  announcer?: Partial<AnnouncerOptions>;
  uploadBuckets?: readonly TokenBucket[];
  downloadBuckets?: readonly TokenBucket[];
  /**
   * The buckets asked for each new connection instead (e.g. [the
   * torrent's, the session's]): a torrent with no peer need not hold any.
   */
  rateBuckets?: RateBuckets;
  clock?: Clock;
  random?: RandomSource;
  logger?: Logger;
  onCheckProgress?: (checked: number, total: number) => void;
}

export interface TorrentEvents {
  /** Every transition of the state machine (lifecycle.ts). */
  state: [state: TorrentState, previous: TorrentState];
  /** The metadata arrived and matched the info hash (checking follows). */
  metadata: [meta: Metainfo];
  /** A piece was verified and written. */
  piece: [index: number];
  /** A piece failed its hash; `banned` lists addresses banned for it. */
  "hash-failed": [index: number, banned: string[]];
  /** A peer proven to send bad data is banned for the session (bans.ts): its address, why. */
  "peer-banned": [address: string, reason: string];
  complete: [];
  "peer-connected": [peer: PeerInfo];
  /** `peer`: its last figures (totals by source survive the connection). */
  "peer-closed": [id: string, reason: string, peer: PeerInfo];
  /** BEP 5: a peer's DHT node listens at host:port (for a DHT to add). */
  "dht-node": [host: string, port: number];
  /** A problem that did not stop the torrent (a tracker, a disk write). */
  warning: [message: string];
}

/**
 * One receiver of every event a torrent emits, told before its listeners
 * (Torrent.observe): how the session follows each of a thousand torrents.
 * Six listeners made each torrent an emitter's listener table (an object in
 * V8's dictionary mode, about 0.9 KiB with its property store) and six
 * closures; an observer is one small object.
 */
export interface TorrentObserver {
  torrentEvent<K extends keyof TorrentEvents>(event: K, args: TorrentEvents[K]): void;
}

/** A connection's rate limit buckets each way, asked for when it is made (TorrentOptions.rateBuckets). */
export interface RateBuckets {
  upload(): readonly TokenBucket[];
  download(): readonly TokenBucket[];
}

/** Who we are on a torrent's connections. */
export function identityFor(o: TorrentOptions): Identity {
  const id: Identity = { peerId: o.peerId };
  if (o.dhtPort !== undefined) id.dhtPort = o.dhtPort;
  if (o.encryption !== undefined) id.encryption = o.encryption;
  return id;
}

export function geometryOf(meta: Metainfo): Geometry {
  return {
    pieceCount: meta.pieceCount,
    pieceLength: meta.pieceLength,
    totalLength: meta.totalLength,
  };
}

/** A new connection's options: the geometry and our pieces once known. */
export function connectionOptionsFor(
  o: TorrentOptions,
  now: {
    clock: Clock;
    logger: Logger;
    extensionRegistry: ExtensionRegistry;
    meta: Metainfo | undefined;
    storage: PieceStore | undefined;
  },
): PeerConnectionOptions {
  const opts: PeerConnectionOptions = {
    listenPort: o.listenPort,
    clock: now.clock,
    logger: now.logger,
    extensionRegistry: now.extensionRegistry,
    // A verified piece is announced to every connection: haves gathered for
    // 0.1 s go out in one write (and one read on the other side), not one each.
    haveDelayMs: 100,
  };
  if (now.meta) opts.geometry = geometryOf(now.meta);
  if (now.storage) opts.bitfield = now.storage.have;
  if (o.dhtPort !== undefined) opts.dhtPort = o.dhtPort;
  if (o.uploadBuckets) opts.uploadBuckets = o.uploadBuckets;
  if (o.downloadBuckets) opts.downloadBuckets = o.downloadBuckets;
  if (o.rateBuckets) {
    opts.uploadBuckets = o.rateBuckets.upload();
    opts.downloadBuckets = o.rateBuckets.download();
  }
  return opts;
}
