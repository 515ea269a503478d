/**
 * A torrent's peers: the connections (one per peer), the addresses it knows
 * and dials again when their connections end (known-peers.ts), the dials in
 * flight, incoming connections and bans. Every connection, dialled or
 * accepted, goes through the negotiation step (peer/negotiate.ts) before it
 * becomes a PeerConnection. When the set is full, an idle connection gives
 * way to a newcomer (eviction.ts).
 */
import type { Transport } from "../net/index.ts";
import {
  type EncryptionPolicy,
  type Identity,
  type Negotiated,
  negotiateOutgoing,
  openPeerConnection,
  type PeerConnectionOptions,
} from "../peer/index.ts";
import type { PeerAddress } from "../tracker-proto/index.ts";
import { type Clock, compareBytes, type Logger, type TimerHandle } from "../util/index.ts";
import { BanList } from "./bans.ts";
import { IDLE_GRACE_MS, leastUseful } from "./eviction.ts";
import {
  type KnownPeer,
  KnownPeers,
  type PeerSource,
  USEFUL_CONNECTION_MS,
} from "./known-peers.ts";
import { banKey, SwarmPeer } from "./swarm-peer.ts";

/** What a set without a connection iterates (never written to). */
const NO_PEERS: ReadonlyMap<string, SwarmPeer> = new Map();

/** The close reason of a connection dropped for being idle (never a useful one). */
const EVICTED = "idle: dropped to make room for another peer";
/** Dials cannot go out less than this apart for one torrent's redial timer (no spinning). */
const MIN_REDIAL_WAIT_MS = 1_000;

export interface PeerSetHost {
  clock: Clock;
  logger: Logger;
  infoHash: Buffer;
  /** Who we are to this torrent's peers. */
  identity: Identity;
  /** Most connections for this torrent. */
  maxPeers: number;
  /** Opens an outgoing stream (the session applies its global limits). */
  dial(host: string, port: number): Promise<Transport>;
  /** May we connect now (an active state)? */
  active(): boolean;
  /** We have every piece (seeds are not dialled then). */
  complete(): boolean;
  /** Options for a new connection (geometry and our pieces once known). */
  connectionOptions(): PeerConnectionOptions;
  /** A new connection: the torrent attaches its listeners ("ready" comes after). */
  attached(peer: SwarmPeer): void;
  /** A connection became ready and is the only one to its peer. */
  connected(peer: SwarmPeer): void;
  /** A connection closed and left the set. */
  detached(peer: SwarmPeer, reason: string): void;
  /** No connection is left and no dial is in flight (a re-announce may help). */
  peerless(): void;
  /** The IP filter: an address it blocks is not taken as a candidate (the session refuses its connections). */
  blocked?(ip: string): boolean;
}

export class PeerSet {
  /** Addresses banned for bad data, and those known: made with the first (an idle seed has neither). */
  #bansMade: BanList | undefined;
  #knownMade: KnownPeers | undefined;
  readonly #host: PeerSetHost;
  /** The connections, by id: made with the first (an idle seed holds no table). */
  #peers: Map<string, SwarmPeer> | undefined;
  /** "ip:port" of the dials in flight, from the first dial on. */
  #dialing: Set<string> | undefined;
  #redialTimer: TimerHandle | undefined;
  #redialAt = 0;
  /** Connections closed now must not start dials (a slot freed for an incoming peer). */
  #holdDials = false;
  /** closeAll() is closing everything: those closes are no fault of the peers. */
  #closingAll = false;
  /** connectMore() is running: a nested call (a close it caused) asks for another pass. */
  #connecting = false;
  #connectAgain = false;

  constructor(host: PeerSetHost) {
    this.#host = host;
  }

  get bans(): BanList {
    this.#bansMade ??= new BanList();
    return this.#bansMade;
  }

  /** Addresses banned (bans.size, without making the list). */
  get banCount(): number {
    return this.#bansMade?.size ?? 0;
  }

  get #known(): KnownPeers {
    this.#knownMade ??= new KnownPeers();
    return this.#knownMade;
  }

  #isBanned(key: string): boolean {
    return this.#bansMade?.isBanned(key) ?? false;
  }

  get size(): number {
    return this.#peers?.size ?? 0;
  }

  /** Dials in flight. */
  get dialing(): number {
    return this.#dialing?.size ?? 0;
  }

  /** Addresses known for the swarm, connected or not. */
  get known(): number {
    return this.#knownMade?.size ?? 0;
  }

  values(): IterableIterator<SwarmPeer> {
    return (this.#peers ?? NO_PEERS).values();
  }

  get(id: string): SwarmPeer | undefined {
    return this.#peers?.get(id);
  }

  /**
   * Addresses to connect to (from a tracker, PEX, DHT or by hand). Known
   * ones keep their history, but one given by hand is dialled at once.
   * `seed`: the source says it is a seed (BEP 11's flag), so it is not
   * dialled while we are one too, until a connection says otherwise.
   */
  add(
    addresses: readonly (PeerAddress & { seed?: boolean })[],
    source: PeerSource = "manual",
  ): void {
    const now = this.#host.clock.now();
    for (const a of addresses) {
      if (a.port <= 0 || a.port > 65535) continue;
      if (this.#isBanned(banKey(a.ip, a.port)) || this.#host.blocked?.(a.ip)) continue;
      const known = this.#known.add(a.ip, a.port, source, now);
      if (known && source === "manual" && !known.busy) known.nextDialAt = now;
      if (known && a.seed && known.lastConnected === undefined) known.seed = true;
    }
    this.connectMore();
  }

  /** The torrent runs (again): every known address is dialled, whatever its wait. */
  start(): void {
    this.#knownMade?.allDue(this.#host.clock.now());
    this.connectMore();
  }

  /**
   * Whether a connection from this address would be taken (asked before
   * answering it): while there is room, or an idle connection to give way.
   */
  canAccept(host: string, port: number): boolean {
    if (!this.#host.active() || this.#isBanned(banKey(host, port))) return false;
    return this.#hasRoom() || leastUseful(this.values(), this.#host.clock.now()) !== undefined;
  }

  /** A connection that reached us, negotiated by the session. */
  accept(negotiated: Negotiated): boolean {
    const { stream } = negotiated;
    const host = stream.remoteAddress ?? "?";
    if (!this.#host.active() || this.#isBanned(banKey(host, stream.remotePort ?? 0))) {
      return false;
    }
    // The slot freed is this newcomer's: no dial may take it first.
    this.#holdDials = true;
    try {
      if (!this.#hasRoom() && !this.#evictIdle()) return false;
    } finally {
      this.#holdDials = false;
    }
    this.#attach(negotiated, host, undefined, undefined);
    return true;
  }

  /** Dials due addresses while there is room, or an idle connection to give way. */
  connectMore(): void {
    if (!this.#host.active() || this.#holdDials) return;
    if (this.#connecting) {
      this.#connectAgain = true;
      return;
    }
    this.#connecting = true;
    try {
      do {
        this.#connectAgain = false;
        this.#dialDue();
      } while (this.#connectAgain && this.#host.active());
    } finally {
      this.#connecting = false;
    }
  }

  /** Closes every connection (they leave the set through their "close"); no redial until start(). */
  closeAll(reason: string): void {
    this.#clearRedial();
    this.#closingAll = true;
    try {
      for (const p of [...this.values()]) p.conn.close(reason);
    } finally {
      this.#closingAll = false;
    }
  }

  /** Closes the connections of banned addresses, and forgets those addresses. */
  closeBanned(keys: readonly string[], reason: string): void {
    if (keys.length === 0) return;
    this.#knownMade?.forget((k) => keys.includes(banKey(k.ip, k.port)));
    for (const p of [...this.values()]) if (keys.includes(p.banKey)) p.conn.close(reason);
  }

  /** Closes the connections to addresses `blocked` says (a new IP filter), and forgets those addresses. */
  closeBlocked(blocked: (ip: string) => boolean, reason: string): void {
    this.#knownMade?.forget((k) => blocked(k.ip));
    for (const p of [...this.values()]) if (blocked(p.host)) p.conn.close(reason);
  }

  #dialDue(): void {
    if (!this.#knownMade) {
      // No address known (an idle seed): nothing is due, and no redial waits.
      this.#clearRedial();
      return;
    }
    const host = this.#host;
    const now = host.clock.now();
    const complete = host.complete();
    let full = false;
    for (const known of this.#known.due(now)) {
      if (known.busy) continue;
      if (complete && known.seed) {
        // Two seeds have nothing to trade: ask again much later (it may have lost data).
        this.#known.failed(known, now);
        continue;
      }
      const connected = this.#connectedTo(known.key);
      if (connected) {
        // It reached us first: its connection stands for the address.
        if (!connected.known) this.#link(connected, known, now);
        else this.#known.deferred(known, now);
        continue;
      }
      if (!this.#hasRoom() && !this.#evictIdle()) {
        full = true;
        break;
      }
      known.busy = true;
      this.#dialing ??= new Set();
      this.#dialing.add(known.key);
      this.#dial(known);
    }
    // Full: a connection may turn idle (and give way) within a grace period.
    this.#scheduleRedial(full ? now + IDLE_GRACE_MS / 2 : this.#known.nextDueAt());
  }

  #scheduleRedial(at: number | undefined): void {
    if (at === undefined || !this.#host.active()) {
      this.#clearRedial();
      return;
    }
    const now = this.#host.clock.now();
    const when = Math.max(at, now + MIN_REDIAL_WAIT_MS);
    if (this.#redialTimer && this.#redialAt <= when) return;
    this.#clearRedial();
    this.#redialAt = when;
    this.#redialTimer = this.#host.clock.setTimeout(() => {
      this.#redialTimer = undefined;
      this.connectMore();
    }, when - now);
  }

  #clearRedial(): void {
    if (this.#redialTimer) this.#host.clock.clearTimeout(this.#redialTimer);
    this.#redialTimer = undefined;
  }

  #hasRoom(): boolean {
    return this.size + this.dialing < this.#host.maxPeers;
  }

  /** Closes the least useful connection, if one is idle (eviction.ts); true if one went. */
  #evictIdle(): boolean {
    const idle = leastUseful(this.values(), this.#host.clock.now());
    if (!idle) return false;
    // Its "close" comes at once: the slot is free on return.
    idle.conn.close(EVICTED);
    return true;
  }

  #dial(known: KnownPeer): void {
    const host = this.#host;
    const policy = host.identity.encryption;
    const negotiated = (encryption: EncryptionPolicy | undefined) =>
      host.dial(known.ip, known.port).then((stream) =>
        negotiateOutgoing(stream, {
          ...host.identity,
          ...(encryption ? { encryption } : {}),
          infoHash: host.infoHash,
          clock: host.clock,
        }),
      );
    negotiated(policy)
      .catch((err: Error & { code?: string }) =>
        // "prefer": a peer that does not speak MSE is dialled again in plaintext.
        policy === "prefer" && err.code === "mse_failed"
          ? negotiated("enabled")
          : Promise.reject(err),
      )
      .then((negotiated) => {
        this.#dialing?.delete(known.key);
        if (!host.active() || this.#redundant(known.key, negotiated)) {
          this.#known.deferred(known, host.clock.now());
          return negotiated.stream.destroy();
        }
        this.#attach(negotiated, known.ip, known.port, known);
      })
      .catch((err: Error & { code?: string }) => {
        this.#dialing?.delete(known.key);
        const now = host.clock.now();
        // The session's own connection limit is no fault of the address.
        if (err.code === "connection_limit") this.#known.deferred(known, now);
        else this.#known.failed(known, now);
        host.logger.debug("dial failed", {
          peer: known.key,
          failures: known.failures,
          error: err.message,
        });
        this.connectMore();
        this.#checkPeerless();
      });
  }

  /**
   * A dial of ours that completed while a connection to that address stands.
   * If that one is the same peer's own dial to us, the pair dialled at once,
   * and the peer ids decide which stays, as in #onReady: the peer decides
   * so too, and may already have closed its dial for ours. Dropping ours for
   * the address alone then left the pair with none until the next redial.
   */
  #redundant(key: string, negotiated: Negotiated): boolean {
    const standing = this.#connectedTo(key);
    if (!standing) return false;
    const theirs = negotiated.handshake.peerId;
    const sameDuel = !standing.outgoing && standing.conn.peerId.equals(theirs);
    return !(sameDuel && this.#outgoingStays(theirs));
  }

  /** Between two connections to one peer, one each way: ours stays when our id is the lower. */
  #outgoingStays(theirs: Uint8Array): boolean {
    return compareBytes(this.#host.identity.peerId, theirs) < 0;
  }

  #connectedTo(key: string): SwarmPeer | undefined {
    for (const p of this.values()) if (p.address === key) return p;
    return undefined;
  }

  #link(peer: SwarmPeer, known: KnownPeer, now: number): void {
    peer.known = known;
    this.#known.connected(known, now);
  }

  #attach(
    negotiated: Negotiated,
    host: string,
    port: number | undefined,
    known: KnownPeer | undefined,
  ): void {
    const now = this.#host.clock.now();
    const conn = openPeerConnection(negotiated, this.#host.connectionOptions());
    const peer = new SwarmPeer(conn, host, port, negotiated.outgoing, now);
    this.#peers ??= new Map();
    this.#peers.set(peer.id, peer);
    if (known) this.#link(peer, known, now);
    conn.on("ready", () => this.#onReady(peer));
    conn.on("extended-handshake", (h) => {
      if (peer.listenPort !== undefined || !h.p) return;
      // BEP 10 `p`: where a peer that reached us listens, to dial it again later.
      peer.listenPort = h.p;
      const listening = this.#known.add(host, h.p, "incoming", this.#host.clock.now());
      if (listening && !listening.busy) this.#link(peer, listening, this.#host.clock.now());
    });
    conn.on("close", (reason) => this.#onClose(peer, reason));
    this.#host.attached(peer);
  }

  #onReady(peer: SwarmPeer): void {
    const { conn } = peer;
    // One connection per peer. When both of us dialled at once, each side
    // sees two and must drop the same one, or the pair is left with none:
    // the one dialled by the peer with the lower id stays. Two of one
    // direction: the newer goes.
    for (const other of this.values()) {
      if (other === peer || !other.conn.peerId.equals(conn.peerId)) continue;
      const keepOutgoing = this.#outgoingStays(conn.peerId);
      const drop =
        other.outgoing !== peer.outgoing && peer.outgoing === keepOutgoing ? other : peer;
      const keep = drop === peer ? other : peer;
      // The address it is known by now stands for the connection that stays.
      if (drop.known && !keep.known) keep.known = drop.known;
      drop.known = undefined;
      drop.conn.close("already connected to this peer");
      if (drop === peer) return;
    }
    this.#host.connected(peer);
  }

  #onClose(peer: SwarmPeer, reason: string): void {
    if (this.#peers?.get(peer.id) !== peer) return;
    this.#peers.delete(peer.id);
    const known = peer.known;
    if (known) {
      const now = this.#host.clock.now();
      known.seed = (peer.conn.pieceCount ?? 0) > 0 && peer.have.isComplete();
      if (this.#closingAll) this.#known.deferred(known, now);
      else this.#known.closed(known, this.#wasUseful(peer, reason, now), now);
    }
    this.#host.detached(peer, reason);
    this.connectMore();
    this.#checkPeerless();
  }

  /** Blocks either way, or a long connection not dropped as idle: worth dialling again soon. */
  #wasUseful(peer: SwarmPeer, reason: string, now: number): boolean {
    if (peer.lastBlockAt !== undefined || peer.lastRequestAt !== undefined) return true;
    return reason !== EVICTED && now - peer.connectedAt >= USEFUL_CONNECTION_MS;
  }

  #checkPeerless(): void {
    if (this.#host.active() && this.size === 0 && this.dialing === 0) {
      this.#host.peerless();
    }
  }
}
