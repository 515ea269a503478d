/**
 * A torrent's peers: the connections (one per peer), the addresses waiting
 * to be dialled, the dials in flight, incoming connections and bans. Every
 * connection, dialled or accepted, goes through the negotiation step
 * (peer/negotiate.ts) before it becomes a PeerConnection. When the set is
 * full, an idle connection gives way to a newcomer (eviction.ts).
 */
import type { Transport } from "../net/index.ts";
import {
  type Identity,
  type Negotiated,
  negotiateOutgoing,
  PeerConnection,
  type PeerConnectionOptions,
} from "../peer/index.ts";
import type { PeerAddress } from "../tracker-proto/index.ts";
import { type Clock, compareBytes, formatEndpoint, type Logger } from "../util/index.ts";
import { BanList } from "./bans.ts";
import { leastUseful } from "./eviction.ts";
import { banKey, SwarmPeer } from "./swarm-peer.ts";

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
  /** Options for a new connection (geometry and our pieces once known). */
  connectionOptions(): PeerConnectionOptions;
  /** A new connection: the torrent attaches its listeners ("ready" comes after). */
  attached(peer: SwarmPeer): void;
  /** A connection became ready and is the only one to its peer. */
  connected(peer: SwarmPeer): void;
  /** A connection closed and left the set. */
  detached(peer: SwarmPeer, reason: string): void;
}

export class PeerSet {
  readonly bans = new BanList();
  readonly #host: PeerSetHost;
  readonly #peers = new Map<string, SwarmPeer>();
  /** Addresses to dial ("ip:port" → address), from trackers and by hand. */
  readonly #candidates = new Map<string, PeerAddress>();
  readonly #dialing = new Set<string>();
  /** Connections closed now must not start dials (a slot freed for an incoming peer). */
  #holdDials = false;
  /** connectMore() is running: a nested call (a close it caused) asks for another pass. */
  #connecting = false;
  #connectAgain = false;

  constructor(host: PeerSetHost) {
    this.#host = host;
  }

  get size(): number {
    return this.#peers.size;
  }

  values(): IterableIterator<SwarmPeer> {
    return this.#peers.values();
  }

  get(id: string): SwarmPeer | undefined {
    return this.#peers.get(id);
  }

  /** Addresses to connect to (from a tracker, PEX, DHT or by hand). */
  add(addresses: readonly PeerAddress[]): void {
    for (const a of addresses) {
      if (a.port <= 0 || a.port > 65535) continue;
      if (this.bans.isBanned(banKey(a.ip, a.port))) continue;
      this.#candidates.set(formatEndpoint(a.ip, a.port), a);
    }
    this.connectMore();
  }

  /**
   * Whether a connection from this address would be taken (asked before
   * answering it): while there is room, or an idle connection to give way.
   */
  canAccept(host: string, port: number): boolean {
    if (!this.#host.active() || this.bans.isBanned(banKey(host, port))) return false;
    return (
      this.#hasRoom() || leastUseful(this.#peers.values(), this.#host.clock.now()) !== undefined
    );
  }

  /** A connection that reached us, negotiated by the session. */
  accept(negotiated: Negotiated): boolean {
    const { stream } = negotiated;
    const host = stream.remoteAddress ?? "?";
    if (!this.#host.active() || this.bans.isBanned(banKey(host, stream.remotePort ?? 0))) {
      return false;
    }
    // The slot freed is this newcomer's: no dial may take it first.
    this.#holdDials = true;
    try {
      if (!this.#hasRoom() && !this.#evictIdle()) return false;
    } finally {
      this.#holdDials = false;
    }
    this.#attach(negotiated, host, undefined);
    return true;
  }

  /** Dials candidates while there is room, or an idle connection to give way. */
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
        this.#dialCandidates();
      } while (this.#connectAgain && this.#host.active());
    } finally {
      this.#connecting = false;
    }
  }

  #dialCandidates(): void {
    for (const [key, a] of this.#candidates) {
      if (this.#dialing.has(key) || this.#connectedTo(key)) {
        this.#candidates.delete(key);
        continue;
      }
      if (!this.#hasRoom() && !this.#evictIdle()) break;
      this.#candidates.delete(key);
      this.#dialing.add(key);
      this.#dial(key, a);
    }
  }

  /** Closes every connection (they leave the set through their "close"). */
  closeAll(reason: string): void {
    for (const p of [...this.#peers.values()]) p.conn.close(reason);
  }

  /** Closes the connections of banned addresses. */
  closeBanned(keys: readonly string[], reason: string): void {
    for (const p of [...this.#peers.values()]) if (keys.includes(p.banKey)) p.conn.close(reason);
  }

  #hasRoom(): boolean {
    return this.#peers.size + this.#dialing.size < this.#host.maxPeers;
  }

  /** Closes the least useful connection, if one is idle (eviction.ts); true if one went. */
  #evictIdle(): boolean {
    const idle = leastUseful(this.#peers.values(), this.#host.clock.now());
    if (!idle) return false;
    // Its "close" comes at once: the slot is free on return.
    idle.conn.close("idle: dropped to make room for another peer");
    return true;
  }

  #dial(key: string, a: PeerAddress): void {
    const host = this.#host;
    host
      .dial(a.ip, a.port)
      .then((stream) =>
        negotiateOutgoing(stream, {
          ...host.identity,
          infoHash: host.infoHash,
          clock: host.clock,
        }),
      )
      .then((negotiated) => {
        this.#dialing.delete(key);
        if (!host.active() || this.#connectedTo(key)) return negotiated.stream.destroy();
        this.#attach(negotiated, a.ip, a.port);
      })
      .catch((err: Error) => {
        this.#dialing.delete(key);
        host.logger.debug("dial failed", { peer: key, error: err.message });
        this.connectMore();
      });
  }

  #connectedTo(key: string): boolean {
    for (const p of this.#peers.values()) if (p.address === key) return true;
    return false;
  }

  #attach(negotiated: Negotiated, host: string, port: number | undefined): void {
    const conn = new PeerConnection(negotiated, this.#host.connectionOptions());
    const peer = new SwarmPeer(conn, host, port, negotiated.outgoing, this.#host.clock.now());
    this.#peers.set(peer.id, peer);
    conn.on("ready", () => this.#onReady(peer));
    conn.on("extended-handshake", (h) => {
      if (peer.listenPort === undefined && h.p) peer.listenPort = h.p;
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
    for (const other of this.#peers.values()) {
      if (other === peer || !other.conn.peerId.equals(conn.peerId)) continue;
      const keepOutgoing = compareBytes(this.#host.identity.peerId, conn.peerId) < 0;
      const drop =
        other.outgoing !== peer.outgoing && peer.outgoing === keepOutgoing ? other : peer;
      drop.conn.close("already connected to this peer");
      if (drop === peer) return;
    }
    this.#host.connected(peer);
  }

  #onClose(peer: SwarmPeer, reason: string): void {
    if (this.#peers.get(peer.id) !== peer) return;
    this.#peers.delete(peer.id);
    this.#host.detached(peer, reason);
    this.connectMore();
  }
}
