/**
 * What a torrent's swarm parts ask of it (the trackers' host is in
 * torrent-inner.ts, loaded with the torrent): its peers (peer-set.ts), its metadata exchange
 * (BEP 9, metadata-exchange.ts), its downloading side (requesting.ts), its
 * choke rounds (upload-slots.ts) and its resume saves (resume-saver.ts).
 * Each is a class over one inner view of the torrent (`TorrentInner`), so
 * their methods sit once on a prototype: as object literals of arrow
 * functions they were 48 closures, their contexts and five objects per
 * torrent, about 4 KiB of every idle seed's heap (4 MiB for a daemon's
 * 1,000 seeds).
 */
import type { Metainfo } from "../metainfo/index.ts";
import type { ExtensionPeer, Identity, PeerConnectionOptions } from "../peer/index.ts";
import type { PieceStore } from "../storage/index.ts";
import type { RandomSource } from "../util/index.ts";
import { isActive } from "./lifecycle.ts";
import type { MetadataExchangeHost } from "./metadata-exchange.ts";
import { connectionOptionsFor, identityFor } from "./options.ts";
import { routePeerEvents } from "./peer-events.ts";
import type { PeerSet, PeerSetHost } from "./peer-set.ts";
import type { RequesterHost } from "./requesting.ts";
import type { ResumeHost } from "./resume-saver.ts";
import { serveBlock } from "./serving.ts";
import { banKey, type SwarmPeer } from "./swarm-peer.ts";
import { type TorrentInner, TorrentPartHost } from "./torrent-inner.ts";
import type { UploadSlotsOptions } from "./upload-slots.ts";

export class PeersHost extends TorrentPartHost implements PeerSetHost {
  /** Made for the first connection (an idle seed has none). */
  #identity: Identity | undefined;
  readonly maxPeers: number;
  readonly dial: PeerSetHost["dial"];
  readonly blocked: PeerSetHost["blocked"];
  constructor(t: TorrentInner) {
    super(t);
    const o = t.options;
    this.maxPeers = o.maxPeers ?? 50;
    this.dial = o.dial;
    this.blocked = o.blocked;
  }
  get identity(): Identity {
    this.#identity ??= identityFor(this.t.options);
    return this.#identity;
  }
  active(): boolean {
    return isActive(this.t.state);
  }
  complete(): boolean {
    return this.t.complete;
  }
  connectionOptions(): PeerConnectionOptions {
    const t = this.t;
    return connectionOptionsFor(t.options, {
      clock: t.clock,
      logger: t.logger,
      extensionRegistry: t.extensions,
      meta: t.meta,
      storage: t.storage,
    });
  }
  attached(peer: SwarmPeer): void {
    const t = this.t;
    // Before the peer tells its pieces: the picker counts them as they come.
    t.needRequester();
    routePeerEvents(peer, {
      clock: t.clock,
      requester: () => t.requester,
      serve: (ref) => void serveBlock(t.storage, peer, ref, t.onWarning),
      slots: t.uploadSlots,
      dhtNode: (host, port) => t.events.emit("dht-node", host, port),
    });
  }
  connected(peer: SwarmPeer): void {
    this.t.peerConnected(peer);
  }
  detached(peer: SwarmPeer, reason: string): void {
    this.t.peerClosed(peer, reason);
  }
  peerless(): void {
    this.t.peerless();
  }
}

export class MetadataHost extends TorrentPartHost implements MetadataExchangeHost {
  infoBytes(): Buffer | undefined {
    return this.t.meta?.infoBytes;
  }
  isPrivate(): boolean {
    return this.t.meta?.private ?? false;
  }
  banKeyOf(conn: ExtensionPeer): string {
    for (const p of this.t.peerSet.values()) if (p.conn === conn) return p.banKey;
    return banKey(conn.remoteAddress ?? "", conn.remotePort ?? 0);
  }
  isBanned(key: string): boolean {
    return this.t.peerSet.bans.isBanned(key);
  }
  verified(info: Buffer): void {
    this.t.metadataVerified(info);
  }
  ban(keys: string[], reason: string): void {
    const t = this.t;
    const added = t.peerSet.bans.ban(keys);
    t.peerSet.closeBanned(added, reason);
    for (const key of added) t.events.emit("peer-banned", key, reason);
  }
}

export class RequesterHostOf extends TorrentPartHost implements RequesterHost {
  readonly meta: Metainfo;
  readonly storage: PieceStore;
  readonly peers: PeerSet;
  readonly random: RandomSource;
  constructor(t: TorrentInner, meta: Metainfo, storage: PieceStore) {
    super(t);
    this.meta = meta;
    this.storage = storage;
    this.peers = t.peerSet;
    this.random = t.options.random ?? Math.random;
  }
  active(): boolean {
    return this.t.state === "downloading";
  }
  verified(index: number): void {
    this.t.pieceVerified(index);
  }
  hashFailed(index: number, banned: string[]): void {
    this.t.events.emit("hash-failed", index, banned);
  }
  banned(keys: string[], reason: string): void {
    for (const key of keys) this.t.events.emit("peer-banned", key, reason);
  }
  completed(): void {
    this.t.completed();
  }
  failed(err: Error): void {
    this.t.failed(err);
  }
  warn(err: unknown): void {
    this.t.warn(err);
  }
}

export class SlotsHost extends TorrentPartHost implements UploadSlotsOptions {
  readonly slots: number | undefined;
  readonly intervalMs: number | undefined;
  readonly random: (() => number) | undefined;
  constructor(t: TorrentInner) {
    super(t);
    const o = t.options;
    this.slots = o.uploadSlots;
    this.intervalMs = o.chokeIntervalMs;
    this.random = o.random;
  }
  peers(): Iterable<SwarmPeer> {
    return this.t.peerSet.values();
  }
  seeding(): boolean {
    return this.t.complete;
  }
}

export class ResumeSaverHost extends TorrentPartHost implements ResumeHost {
  storage(): PieceStore | undefined {
    return this.t.storage;
  }
  warn(err: unknown): void {
    this.t.warn(err);
  }
}
