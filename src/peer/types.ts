import type { Bitfield } from "../bitfield/index.ts";
import type { TokenBucket } from "../ratelimit/index.ts";
import type { Clock, Logger, ShoalError } from "../util/index.ts";
import type { BlockRef, ExtendedHandshake } from "../wire/index.ts";
import type { ExtensionRegistry } from "./extension-registry.ts";
import type { Geometry } from "./geometry.ts";

export interface PeerConnectionOptions {
  /**
   * The torrent's shape; absent before its metadata is known (setGeometry
   * gives it later). Requests either way are checked against it.
   */
  geometry?: Geometry;
  /** Our TCP listen port, for the BEP 10 handshake's `p`. */
  listenPort?: number;
  clock?: Clock;
  logger?: Logger;
  /** Our pieces, announced first (or call sendBitfield in "ready"); needs a geometry. */
  bitfield?: Bitfield;
  /** Buckets a piece we send must pass, e.g. [torrent, global]. */
  uploadBuckets?: readonly TokenBucket[];
  /** Buckets received bytes are charged to; reading pauses while one is empty. */
  downloadBuckets?: readonly TokenBucket[];
  /** BEP 10 extensions we speak (advertised in `m`, their messages dispatched); default none. */
  extensionRegistry?: ExtensionRegistry;
  /** BEP 5: our DHT's port, sent in a `port` message to peers that set the DHT bit. */
  dhtPort?: number;
  /** BEP 10 `v`. */
  clientVersion?: string;
  /** Requests from the peer we queue before calling it abuse; sent as `reqq` (default 500). */
  maxQueuedRequests?: number;
  /** Peer requests handed to the torrent layer at once (default 16). */
  maxServing?: number;
  /** Our outstanding requests to the peer: at most this many (default 250)... */
  maxPipeline?: number;
  /** ...and enough for this many seconds at the peer's measured rate (default 1). */
  pipelineSeconds?: number;
  /** A request unanswered for this long is given up (default 30 s; less for a fast peer). */
  requestTimeoutMs?: number;
  /** The shortest request timeout, however fast the peer (default 5 s). */
  minRequestTimeoutMs?: number;
  /**
   * A have may wait this long to go out with others, or with whatever else
   * is written meanwhile (default 0: at once, unless a write is coming soon).
   */
  haveDelayMs?: number;
  /** Send a keep-alive after this much silence from us (default 90 s). */
  keepAliveMs?: number;
  /** Close after this long without a byte from the peer (default 180 s; BEP 3 says 2 min is common). */
  idleTimeoutMs?: number;
  /**
   * Our piece writes backed up this long with none of them completing: the
   * peer is not reading what it asked for, and its upload slot is better
   * given to another ("upload-stalled"; default 3 s).
   */
  uploadStallMs?: number;
  /** Close a peer whose transport stays backed up with no progress this long (default 60 s). */
  stalledReaderTimeoutMs?: number;
}

export interface Block {
  index: number;
  begin: number;
  /** A view into the received bytes (not copied). */
  data: Buffer;
}

export interface PeerConnectionEvents {
  /** The connection is open; send our bitfield now if not given in the options. */
  ready: [];
  /** Their BEP 10 handshake (sent again later: `m` is merged, the rest replaced). */
  "extended-handshake": [handshake: ExtendedHandshake];
  /** Their pieces: from a bitfield, have-all or have-none (or once the geometry is set). */
  bitfield: [bitfield: Bitfield];
  /** They have a piece they did not have before. */
  have: [index: number];
  /** They choked us; `returned`: our requests they will not serve, to ask elsewhere. */
  choke: [returned: BlockRef[]];
  unchoke: [];
  interested: [];
  "not-interested": [];
  /** Our piece writes to the peer have been backed up for uploadStallMs without progress (once per episode). */
  "upload-stalled": [];
  /** A block we requested. */
  block: [block: Block];
  /** A request of theirs to serve: answer with sendPiece or reject. */
  request: [request: BlockRef];
  /** They cancelled a request we had handed out: sendPiece for it is now ignored. */
  cancel: [request: BlockRef];
  /** BEP 6: they will not serve this request of ours. */
  reject: [request: BlockRef];
  /** A request of ours went unanswered too long; it is cancelled and can go elsewhere. */
  "request-timeout": [request: BlockRef];
  /**
   * A BEP 10 message other than the handshake (id: our id for the
   * extension), after its registered handler (if any) has had it.
   */
  extended: [id: number, payload: Buffer];
  /** BEP 5: their DHT node listens on this port (at the connection's address). */
  port: [port: number];
  /** Once. `error` is set when the peer broke the protocol, timed out or the transport failed. */
  close: [reason: string, error: ShoalError | undefined];
}

export interface PeerStats {
  /** Payload bytes per second of the blocks we asked for. */
  downloadRate: number;
  uploadRate: number;
  downloaded: number;
  uploaded: number;
  /** Blocks received that we no longer wanted, or never asked for. */
  wasted: number;
  /** Clock time the connection was made. */
  connectedAt: number;
  /** From the peer id (BEP 20). */
  client: string | undefined;
  /** Their BEP 10 `v`. */
  clientVersion: string | undefined;
  amChoking: boolean;
  amInterested: boolean;
  peerChoking: boolean;
  peerInterested: boolean;
  requestsOutstanding: number;
  requestsQueued: number;
  pipelineDepth: number;
  /** Their requests we have accepted and not yet answered. */
  peerRequests: number;
}

/** The numeric options with their defaults applied. */
export interface PeerSettings {
  maxQueuedRequests: number;
  maxServing: number;
  maxPipeline: number;
  pipelineSeconds: number;
  requestTimeoutMs: number;
  minRequestTimeoutMs: number;
  haveDelayMs: number;
  keepAliveMs: number;
  idleTimeoutMs: number;
  uploadStallMs: number;
  stalledReaderTimeoutMs: number;
}

export function peerSettings(o: PeerConnectionOptions): PeerSettings {
  return {
    maxQueuedRequests: o.maxQueuedRequests ?? 500,
    maxServing: o.maxServing ?? 16,
    maxPipeline: o.maxPipeline ?? 250,
    pipelineSeconds: o.pipelineSeconds ?? 1,
    requestTimeoutMs: o.requestTimeoutMs ?? 30_000,
    minRequestTimeoutMs: o.minRequestTimeoutMs ?? 5_000,
    haveDelayMs: o.haveDelayMs ?? 0,
    keepAliveMs: o.keepAliveMs ?? 90_000,
    idleTimeoutMs: o.idleTimeoutMs ?? 180_000,
    uploadStallMs: o.uploadStallMs ?? 3_000,
    stalledReaderTimeoutMs: o.stalledReaderTimeoutMs ?? 60_000,
  };
}
