/**
 * One torrent's life: checking → downloading → seeding, or paused. Glues the
 * storage (verified pieces), the picker (what to ask for), the peers (the
 * wire), the choker (who to serve) and the announcer (where peers come from).
 * Trusts nothing a peer sends: blocks count only inside a piece whose hash
 * matches, and peers whose data fails are kept off the piece and banned.
 */
import { EventEmitter } from "node:events";
import { type Metainfo, pieceSize } from "../metainfo/index.ts";
import type { Transport } from "../net/index.ts";
import { type Block, type Negotiated, negotiateOutgoing, PeerConnection } from "../peer/index.ts";
import { PiecePicker } from "../picker/index.ts";
import type { TokenBucket } from "../ratelimit/index.ts";
import { type StorageOptions, TorrentStorage } from "../storage/index.ts";
import { Announcer, type AnnouncerOptions } from "../tracker-client/index.ts";
import type { PeerAddress } from "../tracker-proto/index.ts";
import { type Clock, type Logger, realClock, silentLogger, toHex } from "../util/index.ts";
import type { BlockRef } from "../wire/index.ts";
import { BanList } from "./bans.ts";
import { PieceAssembler } from "./piece-assembler.ts";
import { banKey, endpointKey, SwarmPeer } from "./swarm-peer.ts";
import type { PeerInfo, TorrentState, TorrentStats } from "./types.ts";
import { UploadSlots } from "./upload-slots.ts";

export interface TorrentOptions {
  meta: Metainfo;
  /** The download folder: files land at downloadDir/<name>… */
  downloadDir: string;
  peerId: Buffer;
  /** Our TCP listen port (announced to trackers and peers). */
  listenPort: number;
  /** Opens an outgoing connection (the session applies its global limits). */
  dial: (host: string, port: number) => Promise<Transport>;
  resumePath?: string;
  /** Recheck all data, ignoring resume data. */
  verify?: boolean;
  /** Write verified pieces with direct I/O where possible (default true; see storage). */
  directIo?: boolean;
  /** Most connections for this torrent. */
  maxPeers?: number;
  uploadSlots?: number;
  chokeIntervalMs?: number;
  /** Announce to the torrent's trackers (off for tests that add peers by hand). */
  trackers?: boolean;
  announcer?: Partial<AnnouncerOptions>;
  uploadBuckets?: readonly TokenBucket[];
  downloadBuckets?: readonly TokenBucket[];
  clock?: Clock;
  random?: () => number;
  logger?: Logger;
  onCheckProgress?: (checked: number, total: number) => void;
}

export interface TorrentEvents {
  state: [state: TorrentState];
  /** A piece was verified and written. */
  piece: [index: number];
  /** A piece failed its hash; `banned` lists addresses banned for it. */
  "hash-failed": [index: number, banned: string[]];
  complete: [];
  "peer-connected": [peer: PeerInfo];
  /** `peer`: its last figures (totals by source survive the connection). */
  "peer-closed": [id: string, reason: string, peer: PeerInfo];
  /** A problem that did not stop the torrent (a tracker, a disk write). */
  warning: [message: string];
}

const RESUME_SAVE_MS = 30_000;
/**
 * Bytes of whole pieces that may wait for verification and the disk before
 * we stop asking for more: a download faster than the disk would otherwise
 * pile finished pieces up in memory.
 */
const MAX_WRITE_BACKLOG = 16 * 1024 * 1024;
/** Blocks asked for at once when topping up a peer's pipeline. */
const MIN_REQUEST_BATCH = 8;

export class Torrent extends EventEmitter<TorrentEvents> {
  readonly meta: Metainfo;
  readonly storage: TorrentStorage;
  #state: TorrentState = "checking";
  readonly #o: TorrentOptions;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #picker: PiecePicker;
  readonly #uploadSlots: UploadSlots;
  readonly #assembler: PieceAssembler;
  readonly #bans = new BanList();
  readonly #peers = new Map<string, SwarmPeer>();
  /** Addresses to dial ("ip:port" → address), from trackers and by hand. */
  readonly #candidates = new Map<string, PeerAddress>();
  readonly #dialing = new Set<string>();
  #announcer: Announcer | undefined;
  #saveTimer: ReturnType<Clock["setTimeout"]> | undefined;
  #downloaded = 0;
  /** Bytes uploaded over connections since closed (live ones count their own). */
  #uploadedClosed = 0;
  #wasted = 0;
  #hashFailures = 0;
  /** Whole pieces handed to storage and not yet verified and written. */
  #writing = 0;
  #resumeDirty = false;

  private constructor(o: TorrentOptions, storage: TorrentStorage) {
    super();
    this.#o = o;
    this.meta = o.meta;
    this.storage = storage;
    this.#clock = o.clock ?? realClock;
    this.#log = o.logger ?? silentLogger;
    this.#assembler = new PieceAssembler(storage);
    this.#picker = new PiecePicker({
      pieceCount: o.meta.pieceCount,
      pieceLength: o.meta.pieceLength,
      totalLength: o.meta.totalLength,
      have: storage.have,
      random: o.random ?? Math.random,
    });
    const slots: ConstructorParameters<typeof UploadSlots>[0] = {
      clock: this.#clock,
      peers: () => this.#peers.values(),
      seeding: () => this.complete,
    };
    if (o.uploadSlots !== undefined) slots.slots = o.uploadSlots;
    if (o.chokeIntervalMs !== undefined) slots.intervalMs = o.chokeIntervalMs;
    if (o.random) slots.random = o.random;
    this.#uploadSlots = new UploadSlots(slots);
  }

  /** Opens the torrent's data (verifying what is on disk) and returns it paused. */
  static async open(o: TorrentOptions): Promise<Torrent> {
    const storageOptions: StorageOptions = {};
    if (o.resumePath) storageOptions.resumePath = o.resumePath;
    if (o.verify) storageOptions.verify = true;
    if (o.directIo === false) storageOptions.directIo = false;
    if (o.onCheckProgress) storageOptions.onCheckProgress = o.onCheckProgress;
    const storage = await TorrentStorage.open(o.meta, o.downloadDir, storageOptions);
    const torrent = new Torrent(o, storage);
    torrent.#state = "paused";
    return torrent;
  }

  get state(): TorrentState {
    return this.#state;
  }

  get infoHashHex(): string {
    return this.meta.infoHashHex;
  }

  get complete(): boolean {
    return this.storage.have.isComplete();
  }

  /** Bytes still missing. */
  get left(): number {
    let have = 0;
    for (const i of this.storage.have.indices()) have += pieceSize(this.meta, i);
    return this.meta.totalLength - have;
  }

  /** Payload bytes sent to peers (once actually written, past the rate limits). */
  get uploaded(): number {
    let total = this.#uploadedClosed;
    for (const p of this.#peers.values()) total += p.conn.stats.uploaded;
    return total;
  }

  // ---- lifecycle -----------------------------------------------------------------

  start(): void {
    if (this.#state !== "paused") return;
    this.#setState(this.complete ? "seeding" : "downloading");
    if (this.#o.trackers !== false && this.meta.announceList.length > 0) {
      const announcer = new Announcer({
        infoHash: this.meta.infoHash,
        peerId: this.#o.peerId,
        port: this.#o.listenPort,
        announceList: this.meta.announceList,
        stats: () => ({ uploaded: this.uploaded, downloaded: this.#downloaded, left: this.left }),
        clock: this.#clock,
        logger: this.#log,
        ...this.#o.announcer,
      });
      announcer.on("peers", (peers) => this.addPeers(peers));
      announcer.on("trackerError", (url, message) =>
        this.emit("warning", `tracker ${url}: ${message}`),
      );
      announcer.on("warning", (url, message) =>
        this.emit("warning", `tracker ${url} warns: ${message}`),
      );
      this.#announcer = announcer;
      announcer.start();
    }
    this.#uploadSlots.start();
    this.#scheduleSave();
    this.#connectMore();
  }

  /** Stops transferring: `stopped` to the trackers, every peer closed, resume data saved. */
  async pause(): Promise<void> {
    if (this.#state === "paused" || this.#state === "checking") return;
    this.#setState("paused");
    this.#uploadSlots.stop();
    if (this.#saveTimer) this.#clock.clearTimeout(this.#saveTimer);
    this.#saveTimer = undefined;
    for (const p of [...this.#peers.values()]) p.conn.close("paused");
    const announcer = this.#announcer;
    this.#announcer = undefined;
    await Promise.all([announcer?.stop(), this.storage.saveResume().catch((e) => this.#warn(e))]);
  }

  /** Pauses and closes the files; the torrent cannot be started again. */
  async close(): Promise<void> {
    await this.pause();
    await this.storage.close();
  }

  /** Re-announce now (the shell's `update`). */
  announceNow(): void {
    this.#announcer?.announceNow(true);
  }

  // ---- peers ---------------------------------------------------------------------

  /** Addresses to connect to (from a tracker, PEX, DHT or by hand). */
  addPeers(addresses: readonly PeerAddress[]): void {
    for (const a of addresses) {
      if (a.port <= 0 || a.port > 65535) continue;
      const key = endpointKey(a.ip, a.port);
      if (this.#bans.isBanned(banKey(a.ip, a.port))) continue;
      this.#candidates.set(key, a);
    }
    this.#connectMore();
  }

  /** Whether a connection from this address would be taken (asked before answering it). */
  canAccept(host: string, port: number): boolean {
    if (!this.#active() || this.#peers.size >= this.#maxPeers()) return false;
    return !this.#bans.isBanned(banKey(host, port));
  }

  /** A connection that reached us, negotiated by the session. */
  acceptIncoming(negotiated: Negotiated): boolean {
    const { stream } = negotiated;
    const host = stream.remoteAddress ?? "?";
    if (!this.canAccept(host, stream.remotePort ?? 0)) return false;
    this.#attach(negotiated, host, undefined);
    return true;
  }

  #maxPeers(): number {
    return this.#o.maxPeers ?? 50;
  }

  #active(): boolean {
    return this.#state === "downloading" || this.#state === "seeding";
  }

  #connectMore(): void {
    if (!this.#active()) return;
    for (const [key, a] of this.#candidates) {
      if (this.#peers.size + this.#dialing.size >= this.#maxPeers()) break;
      this.#candidates.delete(key);
      if (this.#dialing.has(key) || this.#connectedTo(key)) continue;
      this.#dialing.add(key);
      this.#o
        .dial(a.ip, a.port)
        .then((transport) =>
          negotiateOutgoing(transport, {
            infoHash: this.meta.infoHash,
            peerId: this.#o.peerId,
            clock: this.#clock,
          }),
        )
        .then((negotiated) => {
          this.#dialing.delete(key);
          if (!this.#active() || this.#connectedTo(key)) return negotiated.stream.destroy();
          this.#attach(negotiated, a.ip, a.port);
        })
        .catch((err: Error) => {
          this.#dialing.delete(key);
          this.#log.debug("dial failed", { peer: key, error: err.message });
          this.#connectMore();
        });
    }
  }

  #connectedTo(key: string): boolean {
    for (const p of this.#peers.values()) if (p.address === key) return true;
    return false;
  }

  #attach(negotiated: Negotiated, host: string, port: number | undefined): void {
    const conn = new PeerConnection(negotiated, {
      geometry: {
        pieceCount: this.meta.pieceCount,
        pieceLength: this.meta.pieceLength,
        totalLength: this.meta.totalLength,
      },
      listenPort: this.#o.listenPort,
      clock: this.#clock,
      logger: this.#log,
      bitfield: this.storage.have,
      ...(this.#o.uploadBuckets ? { uploadBuckets: this.#o.uploadBuckets } : {}),
      ...(this.#o.downloadBuckets ? { downloadBuckets: this.#o.downloadBuckets } : {}),
    });
    const peer = new SwarmPeer(conn, host, port, negotiated.outgoing, this.#clock.now());
    this.#peers.set(peer.id, peer);
    this.#wire(peer);
  }

  #wire(peer: SwarmPeer): void {
    const { conn } = peer;
    conn.on("ready", () => this.#onReady(peer));
    conn.on("extended-handshake", (h) => {
      if (peer.listenPort === undefined && h.p) peer.listenPort = h.p;
    });
    conn.on("bitfield", (bf) => {
      this.#picker.peerHasBitfield(bf);
      this.#onPeerPieces(peer);
    });
    conn.on("have", (index) => {
      this.#picker.peerHas(index);
      this.#onPeerPieces(peer);
    });
    conn.on("unchoke", () => {
      peer.everUnchokedUs = true;
      this.#request(peer);
    });
    conn.on("choke", (returned) => this.#giveBack(peer, returned));
    conn.on("reject", (ref) => this.#giveBack(peer, [ref]));
    conn.on("request-timeout", (ref) => this.#giveBack(peer, [ref]));
    conn.on("block", (block) => this.#onBlock(peer, block));
    conn.on("request", (ref) => this.#serve(peer, ref));
    conn.on("interested", () => this.#uploadSlots.onInterested());
    conn.on("not-interested", () => this.#uploadSlots.onNotInterested(peer));
    conn.on("close", (reason) => this.#onClose(peer, reason));
  }

  #onReady(peer: SwarmPeer): void {
    const { conn } = peer;
    const id = conn.peerId;
    // One connection per peer: a second one (both of us dialled) is dropped.
    for (const other of this.#peers.values()) {
      if (other !== peer && id && other.conn.peerId?.equals(id)) {
        conn.close("already connected to this peer");
        return;
      }
    }
    this.emit("peer-connected", this.#info(peer));
  }

  #onPeerPieces(peer: SwarmPeer): void {
    // Two seeds have nothing to say to each other.
    if (this.complete && peer.have.isComplete()) {
      peer.conn.close("both seeds");
      return;
    }
    const interested = !this.complete && this.storage.have.lacksAnyOf(peer.have);
    if (interested !== peer.conn.amInterested) peer.conn.setInterested(interested);
    if (interested) this.#request(peer);
  }

  /** Tops up the peer's request pipeline from the picker. */
  #request(peer: SwarmPeer): void {
    const { conn } = peer;
    if (!this.#active() || this.complete || conn.peerChoking || !conn.amInterested) return;
    if (this.#writing * this.meta.pieceLength >= MAX_WRITE_BACKLOG && this.#writing >= 2) return;
    const pending = conn.requestsPending;
    const depth = conn.pipelineDepth;
    const room = depth - pending;
    // Top up in batches of a quarter of the pipeline (one write and one picker
    // pass for many blocks: on a fast peer every write is a system call), but
    // never let the pipeline run dry.
    const batch = Math.max(MIN_REQUEST_BATCH, depth >> 2);
    if (room <= 0 || (room < batch && pending > 0)) return;
    for (const r of this.#picker.pick(peer, room)) conn.request(r);
  }

  #giveBack(peer: SwarmPeer, refs: readonly BlockRef[]): void {
    for (const r of refs) this.#picker.requestFailed(peer.id, r.index, r.begin);
    if (refs.length > 0) for (const p of this.#peers.values()) if (p !== peer) this.#request(p);
  }

  #onBlock(peer: SwarmPeer, block: Block): void {
    peer.lastBlockAt = this.#clock.now();
    const outcome = this.#picker.blockReceived(peer.id, block.index, block.begin);
    if (!outcome.accepted) {
      this.#wasted += block.data.length;
      return;
    }
    this.#downloaded += block.data.length;
    for (const id of outcome.cancel) {
      this.#peers
        .get(id)
        ?.conn.cancel({ index: block.index, begin: block.begin, length: block.data.length });
    }
    this.#assembler.add(block.index, block.begin, block.data, peer.id);
    if (outcome.pieceDone) void this.#finishPiece(block.index);
    this.#request(peer);
  }

  async #finishPiece(index: number): Promise<void> {
    const piece = this.#assembler.take(index);
    if (!piece) return;
    let ok: boolean;
    this.#writing++;
    try {
      ok = await this.storage.writePiece(index, piece.data);
    } catch (err) {
      // A disk error: the piece is fetched again later; the torrent goes on.
      this.#warn(err);
      this.#picker.pieceFailed(index);
      for (const p of this.#peers.values()) this.#request(p);
      return;
    } finally {
      this.#writing--;
    }
    if (!ok) {
      this.#hashFailures++;
      this.#picker.pieceFailed(index, piece.contributors);
      const hosts = piece.contributors.map((id) => this.#peers.get(id)?.banKey ?? id);
      const banned = this.#bans.pieceFailed(hosts);
      for (const p of [...this.#peers.values()]) {
        if (banned.includes(p.banKey)) p.conn.close("banned: sent data that failed the piece hash");
      }
      this.emit("hash-failed", index, banned);
      for (const p of this.#peers.values()) this.#request(p);
      return;
    }
    this.#picker.pieceVerified(index);
    this.#resumeDirty = true;
    for (const p of this.#peers.values()) p.conn.sendHave(index);
    this.emit("piece", index);
    if (this.complete) await this.#onComplete();
    else for (const p of this.#peers.values()) this.#onPeerPieces(p);
  }

  async #onComplete(): Promise<void> {
    this.#setState("seeding");
    this.#announcer?.completed();
    for (const p of [...this.#peers.values()]) this.#onPeerPieces(p);
    // Every piece is verified and written (to the disk, or to the page cache
    // where direct I/O was not used): the download is complete for the user
    // now. Flushing the files for the resume data (fdatasync: ~0.5 s per GiB
    // of page cache here) comes after; pause() and close() wait for it, as
    // TorrentStorage serialises saves.
    this.#resumeDirty = false;
    this.emit("complete");
    await this.storage.saveResume().catch((e) => this.#warn(e));
  }

  async #serve(peer: SwarmPeer, ref: BlockRef): Promise<void> {
    if (peer.conn.amChoking || !this.storage.have.has(ref.index)) {
      peer.conn.reject(ref);
      return;
    }
    try {
      const block = await this.storage.readBlock(ref.index, ref.begin, ref.length);
      if (!peer.conn.sendPiece(ref.index, ref.begin, block.data, block.release)) block.release();
    } catch (err) {
      this.#warn(err);
      peer.conn.reject(ref);
    }
  }

  #onClose(peer: SwarmPeer, reason: string): void {
    if (this.#peers.get(peer.id) !== peer) return;
    this.#peers.delete(peer.id);
    this.#uploadedClosed += peer.conn.stats.uploaded;
    this.#picker.peerGone(peer);
    this.emit("peer-closed", peer.id, reason, this.#info(peer));
    for (const p of this.#peers.values()) this.#request(p);
    this.#connectMore();
  }

  // ---- resume data -------------------------------------------------------------

  #scheduleSave(): void {
    this.#saveTimer = this.#clock.setTimeout(async () => {
      if (this.#resumeDirty) {
        this.#resumeDirty = false;
        await this.storage.saveResume().catch((e) => this.#warn(e));
      }
      if (this.#active()) this.#scheduleSave();
    }, RESUME_SAVE_MS);
  }

  // ---- views ---------------------------------------------------------------------

  stats(): TorrentStats {
    let downloadRate = 0;
    let uploadRate = 0;
    for (const p of this.#peers.values()) {
      const s = p.conn.stats;
      downloadRate += s.downloadRate;
      uploadRate += s.uploadRate;
    }
    const left = this.left;
    return {
      infoHash: this.meta.infoHashHex,
      name: this.meta.name,
      state: this.#state,
      totalLength: this.meta.totalLength,
      left,
      progress: 1 - left / this.meta.totalLength,
      piecesHave: this.storage.have.count(),
      pieceCount: this.meta.pieceCount,
      downloaded: this.#downloaded,
      uploaded: this.uploaded,
      wasted: this.#wasted,
      hashFailures: this.#hashFailures,
      downloadRate,
      uploadRate,
      peers: this.#peers.size,
      banned: this.#bans.size,
      trackers: this.#announcer?.status() ?? [],
    };
  }

  peers(): PeerInfo[] {
    const partials = this.#partialProgress();
    return [...this.#peers.values()]
      .filter((p) => p.conn.ready)
      .map((p) => this.#info(p, partials));
  }

  /** Piece index → 0..1 of its blocks received, for the pieces in progress. */
  #partialProgress(): Map<number, number> {
    const out = new Map<number, number>();
    for (const p of this.#picker.partials()) out.set(p.index, p.received / p.blocks);
    return out;
  }

  #info(p: SwarmPeer, partials = this.#partialProgress()): PeerInfo {
    const s = p.conn.stats;
    // Queued requests come first, then the outstanding ones, oldest first:
    // the oldest outstanding block is the one arriving now.
    const pending = p.conn.pendingRequests();
    const down = (pending[s.requestsQueued] ?? pending[0])?.index;
    const up = p.lastRequest;
    return {
      id: p.id,
      address: endpointKey(p.host, p.listenPort ?? p.conn.remotePort ?? 0),
      peerId: p.conn.peerId ? toHex(p.conn.peerId) : undefined,
      client: s.client ?? s.clientVersion,
      outgoing: p.outgoing,
      seed: p.have.isComplete(),
      progress: p.have.count() / this.meta.pieceCount,
      downloadRate: s.downloadRate,
      uploadRate: s.uploadRate,
      downloaded: s.downloaded,
      uploaded: s.uploaded,
      amChoking: s.amChoking,
      amInterested: s.amInterested,
      peerChoking: s.peerChoking,
      peerInterested: s.peerInterested,
      requests: s.requestsOutstanding,
      optimistic: this.#uploadSlots.optimistic === p.id,
      downloadPiece: down,
      downloadPieceProgress:
        down === undefined ? 0 : (partials.get(down) ?? (this.storage.have.has(down) ? 1 : 0)),
      uploadPiece: up?.index,
      uploadPieceProgress: up
        ? Math.min(1, (up.begin + up.length) / pieceSize(this.meta, up.index))
        : 0,
    };
  }

  #setState(state: TorrentState): void {
    if (this.#state === state) return;
    this.#state = state;
    this.emit("state", state);
  }

  #warn(err: unknown): void {
    const message = err instanceof Error ? err.message : String(err);
    this.#log.warn("torrent problem", { infoHash: this.meta.infoHashHex, error: message });
    this.emit("warning", message);
  }
}
