/**
 * BEP 9 `ut_metadata` on a torrent's connections, registered in its BEP 10
 * ExtensionRegistry: fetching the info dictionary of a magnet link's
 * torrent from every peer that advertises `metadata_size`
 * (metadata-fetch.ts assembles and checks it), and serving ours once known.
 *
 * Distrust: a dictionary that fails the info-hash check was sent by liars.
 * Sent by one peer alone, that peer is proven and banned (bans.ts: closed,
 * never dialled again). Sent by several, each becomes a suspect: not asked
 * again while an unsuspected peer can be; if only suspects are left, one at
 * a time sends a whole dictionary alone, which either passes or proves it.
 *
 * Private torrents (BEP 27): libtorrent does not load its ut_metadata
 * plugin for a torrent whose metadata says `private` (create_ut_metadata_plugin),
 * and Transmission neither advertises ut_metadata for one (allow_metadata_xfer
 * = is_public) nor answers requests for it. We do the same: a private
 * torrent's dictionary is never served (requests are rejected) and its
 * `metadata_size` is never advertised (torrent.ts). A magnet link's torrent
 * cannot know it is private before the dictionary arrives, so fetching is
 * the same for every torrent, as in both of them.
 */
import { type Metainfo, parseMetainfo } from "../metainfo/index.ts";
import type { ExtensionHandler, ExtensionPeer } from "../peer/index.ts";
import type { Clock, InfoHash, TimerHandle } from "../util/index.ts";
import {
  decodeUtMetadata,
  encodeUtMetadata,
  isAcceptableMetadataSize,
  METADATA_PIECE_LENGTH,
  metadataPieceCount,
  metadataPieceLength,
} from "../wire/index.ts";
import { UT_METADATA } from "./extension-names.ts";
import { MetadataFetch } from "./metadata-fetch.ts";

export { UT_METADATA };

/** A request not answered in this time goes to another peer. */
export const METADATA_REQUEST_TIMEOUT_MS = 5_000;

/** How often requests in flight are checked for their timeout. */
const TIMEOUT_CHECK_MS = 1_000;

/**
 * Serving: a peer may ask each piece of our dictionary twice (a retry)
 * plus a few, at once, and that many again each minute; beyond it, rejects.
 */
const SERVE_EXTRA = 8;
const SERVE_REFILL_MS = 60_000;

/** Requests past its allowance after which a peer is dropped as abusive. */
export const MAX_REFUSED_REQUESTS = 256;

export interface MetadataExchangeHost {
  infoHash: InfoHash;
  clock: Clock;
  /** The info dictionary's bytes, once known. */
  infoBytes(): Buffer | undefined;
  /** BEP 27: a private torrent's dictionary is never served. */
  isPrivate(): boolean;
  /** The key the torrent bans a connection's peer under. */
  banKeyOf(peer: ExtensionPeer): string;
  isBanned(key: string): boolean;
  /** The dictionary arrived and hashes to the info hash. */
  verified(info: Buffer): void;
  /** These peers sent a dictionary alone that failed the check. */
  ban(keys: string[], reason: string): void;
}

interface PeerState {
  /** One per connection (two connections may share a ban key). */
  readonly id: string;
  readonly key: string;
  /** Their `metadata_size`, when acceptable. */
  size: number | undefined;
  /** Serving allowance left, and when it was last refilled. */
  allowance: number;
  refilledAt: number | undefined;
  refused: number;
}

let nextId = 1;

export class MetadataExchange implements ExtensionHandler {
  readonly #host: MetadataExchangeHost;
  // The tables below are made when a first peer's handshake comes: most
  // torrents (seeds with no peer) never need them.
  #peerTable: Map<ExtensionPeer, PeerState> | undefined;
  /**
   * Connection id → ban key, kept after a connection closes until the
   * dictionary it may have sent part of is checked (a liar that left is
   * still blamed).
   */
  #keyTable: Map<string, string> | undefined;
  /** Peers that sent part of a dictionary that failed its check (by ban key). */
  #suspectSet: Set<string> | undefined;
  #fetch: MetadataFetch | undefined;
  /** When only suspects are left: the one sending the whole dictionary alone. */
  #solo: string | undefined;
  #timer: TimerHandle | undefined;
  /** Dictionaries that failed the info-hash check. */
  failures = 0;

  constructor(host: MetadataExchangeHost) {
    this.#host = host;
  }

  get #peers(): Map<ExtensionPeer, PeerState> {
    this.#peerTable ??= new Map();
    return this.#peerTable;
  }

  get #keys(): Map<string, string> {
    this.#keyTable ??= new Map();
    return this.#keyTable;
  }

  get #suspects(): Set<string> {
    this.#suspectSet ??= new Set();
    return this.#suspectSet;
  }

  /** Connected peers that say they have the dictionary, when we do not: whom we fetch it from. */
  get fetchingFrom(): number {
    if (this.#host.infoBytes()) return 0;
    let n = 0;
    for (const s of this.#peerTable?.values() ?? []) if (this.#usable(s)) n++;
    return n;
  }

  // ---- ExtensionHandler ----------------------------------------------------------

  onHandshake(peer: ExtensionPeer, handshake: { metadataSize?: number }): void {
    let state = this.#peers.get(peer);
    if (!state) {
      state = {
        id: `m${nextId++}`,
        key: this.#host.banKeyOf(peer),
        size: undefined,
        allowance: 0,
        refilledAt: undefined,
        refused: 0,
      };
      this.#peers.set(peer, state);
      this.#keys.set(state.id, state.key);
    }
    const size = handshake.metadataSize;
    const speaks = peer.supportsExtension(UT_METADATA);
    state.size = speaks && size !== undefined && isAcceptableMetadataSize(size) ? size : undefined;
    this.#pump();
  }

  onClose(peer: ExtensionPeer): void {
    const state = this.#peers.get(peer);
    if (!state) return;
    this.#peers.delete(peer);
    // Its key is kept only while a dictionary it may have sent part of is pending.
    if (!this.#fetch?.received) this.#keys.delete(state.id);
    this.#fetch?.peerGone(state.id);
    if (this.#solo === state.id) this.#solo = undefined;
    this.#pump();
  }

  onMessage(peer: ExtensionPeer, payload: Buffer): void {
    // A malformed message throws a WireError: the connection closes.
    const m = decodeUtMetadata(payload);
    const state = this.#peers.get(peer);
    if (!state) return; // BEP 10: nothing before their extended handshake
    const now = this.#host.clock.now();
    switch (m.type) {
      case "request":
        this.#serve(peer, state, m.piece, now);
        return;
      case "reject":
        this.#fetch?.rejected(state.id, m.piece, now);
        this.#pump();
        return;
      case "data":
        this.#onData(state, m.piece, m.totalSize, m.data, now);
        return;
      default:
        return; // BEP 9: unknown message types are ignored
    }
  }

  /** Stops the timeout checks (the torrent closed, or its metadata is known). */
  stop(): void {
    if (this.#timer) this.#host.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#fetch = undefined;
  }

  // ---- fetching ------------------------------------------------------------------

  #usable(s: PeerState): boolean {
    return s.size !== undefined && !this.#host.isBanned(s.key);
  }

  #onData(state: PeerState, piece: number, totalSize: number, data: Buffer, now: number): void {
    const fetch = this.#fetch;
    if (!fetch || this.#host.infoBytes()) return;
    if (totalSize !== fetch.size) {
      // Not the size we asked with: that peer's dictionary is not this one.
      fetch.rejected(state.id, piece, now);
      this.#suspects.add(state.key);
      this.#pump();
      return;
    }
    if (fetch.receive(state.id, piece, data) !== "stored") return;
    if (!fetch.complete) {
      this.#pump();
      return;
    }
    const result = fetch.verify();
    if (result.ok) {
      this.#forgetClosed();
      this.stop();
      this.#host.verified(result.info);
      return;
    }
    this.failures++;
    this.#fetch = undefined;
    this.#solo = undefined;
    const keys = [...new Set(result.contributors.map((id) => this.#keyOfId(id)))].filter(
      (k) => k !== undefined,
    );
    this.#forgetClosed();
    if (result.contributors.length === 1) {
      this.#host.ban(keys, "banned: sent metadata that does not match the info hash");
    } else {
      for (const k of keys) this.#suspects.add(k);
    }
    this.#pump();
  }

  #keyOfId(id: string): string | undefined {
    return this.#keys.get(id);
  }

  /** Drops the keys of closed connections (after a check: nothing of theirs is pending). */
  #forgetClosed(): void {
    const open = new Set([...this.#peers.values()].map((s) => s.id));
    for (const id of [...this.#keys.keys()]) if (!open.has(id)) this.#keys.delete(id);
  }

  /** The peers to ask now: the unsuspected, or a single suspect when none is left. */
  #askable(): PeerState[] {
    const usable = [...this.#peers.values()].filter((s) => this.#usable(s));
    const clean = usable.filter((s) => !this.#suspects.has(s.key));
    if (clean.length > 0) {
      this.#solo = undefined;
      return clean;
    }
    if (usable.length === 0) return [];
    let solo = usable.find((s) => s.id === this.#solo);
    if (!solo) {
      solo = usable[0]!;
      this.#solo = solo.id;
      this.#fetch = undefined;
    }
    return [solo];
  }

  /** The size most of the askable peers advertise (the first such peer's on a tie). */
  static #sizeOf(peers: PeerState[]): number | undefined {
    const votes = new Map<number, number>();
    let best: number | undefined;
    for (const p of peers) {
      const n = (votes.get(p.size!) ?? 0) + 1;
      votes.set(p.size!, n);
      if (best === undefined || n > votes.get(best)!) best = p.size;
    }
    return best;
  }

  /** Asks every askable peer for what it may fetch now. */
  #pump(): void {
    if (this.#host.infoBytes()) {
      this.stop();
      return;
    }
    const askable = this.#askable();
    const size = MetadataExchange.#sizeOf(askable);
    if (size === undefined) return;
    const now = this.#host.clock.now();
    // A fetch that has nothing yet follows the size most peers give (one
    // liar's metadata_size cannot hold the others back).
    if (!this.#fetch || (this.#fetch.size !== size && this.#fetch.received === 0)) {
      this.#fetch = new MetadataFetch(this.#host.infoHash, size);
    }
    const fetch = this.#fetch;
    const byId = new Map<string, ExtensionPeer>();
    for (const [peer, s] of this.#peers) {
      if (s.size === fetch.size && askable.includes(s)) byId.set(s.id, peer);
    }
    for (const { peer, piece } of fetch.assign([...byId.keys()], now)) {
      byId.get(peer)!.sendExtension(UT_METADATA, encodeUtMetadata({ type: "request", piece }));
    }
    this.#armTimer();
  }

  #armTimer(): void {
    if (this.#timer || !this.#fetch) return;
    this.#timer = this.#host.clock.setTimeout(() => {
      this.#timer = undefined;
      const fetch = this.#fetch;
      if (!fetch || this.#host.infoBytes()) return;
      fetch.expire(this.#host.clock.now(), METADATA_REQUEST_TIMEOUT_MS);
      this.#pump();
      this.#armTimer();
    }, TIMEOUT_CHECK_MS);
  }

  // ---- serving -------------------------------------------------------------------

  #serve(peer: ExtensionPeer, state: PeerState, piece: number, now: number): void {
    const info = this.#host.isPrivate() ? undefined : this.#host.infoBytes();
    const count = info ? metadataPieceCount(info.length) : 0;
    if (!info || piece >= count || !this.#spend(state, count, now)) {
      if (info && ++state.refused > MAX_REFUSED_REQUESTS) {
        peer.close("asked for the metadata too often");
        return;
      }
      peer.sendExtension(UT_METADATA, encodeUtMetadata({ type: "reject", piece }));
      return;
    }
    const begin = piece * METADATA_PIECE_LENGTH;
    const data = info.subarray(begin, begin + metadataPieceLength(info.length, piece));
    peer.sendExtension(
      UT_METADATA,
      encodeUtMetadata({ type: "data", piece, totalSize: info.length, data }),
    );
  }

  /** Takes one piece from the peer's allowance (full at its first request, and each SERVE_REFILL_MS). */
  #spend(state: PeerState, pieceCount: number, now: number): boolean {
    if (state.refilledAt === undefined || now - state.refilledAt >= SERVE_REFILL_MS) {
      state.allowance = 2 * pieceCount + SERVE_EXTRA;
      state.refilledAt = now;
    }
    if (state.allowance <= 0) return false;
    state.allowance--;
    return true;
  }
}

/**
 * The metainfo of a fetched info dictionary: BEP 9 brings `info` alone, so
 * it is wrapped as a .torrent with nothing else, its bytes untouched (the
 * info hash is over them). Throws MetainfoError for a dictionary we cannot use.
 */
export function metainfoOfInfo(info: Buffer): Metainfo {
  return parseMetainfo(Buffer.concat([Buffer.from("d4:info"), info, Buffer.from("e")]));
}
