/**
 * The swarm state behind the announce handler. The handler is transport-blind
 * and talks only to this interface, so the memory store here can later be
 * joined by one shared between tracker instances.
 *
 * Keys are latin1 strings of the raw 20-byte ids (one char per byte): cheap to
 * hash, and obtainable from a UDP packet or a decoded query without a Buffer.
 */
import type { IpFamily } from "../tracker-proto/index.ts";

/** A peer as stored; compact addresses (BEP 23 / BEP 7 entries) as latin1 strings. */
export interface StoredPeer {
  readonly peerId: string;
  /** 6 chars (IPv4 + port) or "" when the peer has no IPv4 address. */
  readonly addr4: string;
  /** 18 chars (IPv6 + port) or "". */
  readonly addr6: string;
  /** Bytes left; 0 = seeder; -1 = never said. */
  readonly left: number;
  /** Clock time (ms) of the last announce. */
  readonly lastSeen: number;
  /** Who may act for this peer (peer-owner.ts): its key, or its address. */
  readonly owner: number;
}

/** One announce's worth of peer state; reused by the caller between announces. */
export interface PeerUpdate {
  peerId: string;
  /**
   * Who announces (peer-owner.ts); with the peer id, the peer's identity:
   * the same peer id from another owner is another peer. 0 when omitted.
   */
  owner?: number;
  /** IPv4 address as an unsigned 32-bit number; -1 leaves the peer's IPv4 entry as it was. */
  ip4: number;
  /** IPv6 address as 16 latin1 chars; "" leaves the peer's IPv6 entry as it was. */
  ip6: string;
  port: number;
  left: number;
  /** Set by put(): the peer's `left` before this update, or -2 if it was not stored. */
  previousLeft: number;
}

export type PutResult = "added" | "updated" | "swarm_full" | "too_many_swarms";

export interface SwarmCounts {
  seeders: number;
  leechers: number;
  completed: number;
}

export interface SwarmTotals {
  swarms: number;
  peers: number;
  seeders: number;
  leechers: number;
}

/**
 * Peers are (peer id, owner) pairs: every method that names a peer takes its
 * owner too (0 when omitted, as PeerUpdate's).
 */
export interface SwarmStore {
  /** Adds or refreshes a peer, creating the swarm if needed. */
  put(infoHash: string, update: PeerUpdate, now: number): PutResult;
  /** Removes a peer (event=stopped); true if it was there. */
  remove(infoHash: string, peerId: string, owner?: number): boolean;
  /**
   * The stored peer, if any; without an owner, the first peer found with that
   * peer id (for operators and tests: it looks through the swarm).
   */
  get(infoHash: string, peerId: string, owner?: number): StoredPeer | undefined;
  /** Counts one completed download; returns the new total. */
  addCompleted(infoHash: string): number;
  /** Counts for a swarm, or undefined when there is none in memory. */
  counts(infoHash: string): SwarmCounts | undefined;
  /**
   * Up to `want` random peers of one family, never the peer (`exclude`,
   * `excludeOwner`), only leechers when `leechersOnly`: their compact entries
   * (6 or 18 bytes each) are written into `out` from `offset`. Returns how
   * many were written.
   */
  sampleCompact(
    infoHash: string,
    family: IpFamily,
    want: number,
    exclude: string,
    leechersOnly: boolean,
    out: Buffer,
    offset: number,
    excludeOwner?: number,
  ): number;
  /** The same choice as sampleCompact, as peer records (dictionary-form replies). */
  sample(
    infoHash: string,
    family: IpFamily,
    want: number,
    exclude: string,
    leechersOnly: boolean,
    out: StoredPeer[],
    excludeOwner?: number,
  ): number;
  /** Drops peers not seen for the expiry time; returns how many went. */
  expire(now: number): number;
  totals(): SwarmTotals;
  /** Info hashes of the swarms in memory. */
  infoHashes(): IterableIterator<string>;
  /**
   * The peers of a swarm (operator views, snapshots): every one, or the page
   * of `limit` from `offset` (a peer with both families counts once).
   */
  peers(infoHash: string, offset?: number, limit?: number): StoredPeer[];
  /** Changes whenever a swarm is created or dropped (operator views cache by it). */
  readonly generation?: number;
}

/**
 * One announce as a store shared between tracker instances takes it: the
 * peer's update (or its removal) and the reply's peers in one request, as
 * every round trip to the shared store costs the whole announce time.
 */
export interface SharedAnnounce {
  infoHash: string;
  update: PeerUpdate;
  event: "none" | "completed" | "stopped";
  want: number;
  leechersOnly: boolean;
  /** The family sampled first, and the second (0: none; UDP replies carry one, BEP 15). */
  first: IpFamily;
  second: IpFamily | 0;
  /** Compact entries (BEP 23 / BEP 7) rather than peer records with ids. */
  compact: boolean;
  /** Refuse a swarm that is not published (registered-only mode); read in the store itself. */
  registeredOnly: boolean;
}

export interface SharedAnnounceReply {
  result: PutResult | "removed" | "unregistered";
  /** The peer's `left` class before: 0 a seeder, 1 a leecher, -2 not stored. */
  previousLeft: number;
  counts: SwarmCounts;
  /** Compact entries of the first family's peers then the second's (6 or 18 bytes each). */
  compact4: Buffer;
  compact6: Buffer;
  /** Peer records (dictionary form, when not compact). */
  peers4: StoredPeer[];
  peers6: StoredPeer[];
}

/** Receives one announce's reply from a SharedSwarmStore (announceTo). */
export type SharedAnnounceDone<C> = (
  ctx: C,
  reply: SharedAnnounceReply | null,
  err: unknown,
) => void;

/**
 * A swarm store that lives outside the process (Redis): every call is a
 * request, so each is asynchronous and coarse (one per announce, one per
 * scrape). A request that cannot be answered rejects with a
 * SwarmStoreUnavailable: the tracker then answers with a failure reason,
 * never with a peer list it made up.
 */
export interface SharedSwarmStore {
  /**
   * One announce, without a promise per announce (the hot path): `a` is
   * read before this returns, so the caller may reuse it; `done` is
   * called once with `ctx` and the reply, or with null and the error (a
   * StoreUnavailableError when the store did not answer). The reply is the
   * store's, reused: read it before `done` returns.
   */
  announceTo<C>(a: SharedAnnounce, ctx: C, done: SharedAnnounceDone<C>): void;
  /** Counts for each info hash, in order (zeros for a swarm the store does not know). */
  scrape(infoHashes: readonly string[]): Promise<SwarmCounts[]>;
  /** Drops peers not seen for the expiry time; returns how many went (any instance may run it). */
  expire(): Promise<number>;
  totals(): Promise<SwarmTotals>;
  /** Info hashes of swarms with peers, up to `limit`. */
  infoHashes(limit: number): Promise<string[]>;
  peers(infoHash: string, offset: number, limit: number): Promise<StoredPeer[]>;
  /** Whether the store answered its last request. */
  readonly available: boolean;
  close(): Promise<void>;
}
