/**
 * One peer connection: a Transport on one side, a WireFramer and the peer
 * wire protocol (BEP 3, BEP 6 fast, BEP 10 extended) on the other. It wires
 * its parts together: choke/interest both ways (choke-state.ts), our pieces
 * (our-pieces.ts) and theirs (peer-pieces.ts), their messages
 * (message-receiver.ts), our request pipeline (downloader.ts), their
 * requests to us (uploader.ts), keep-alive and timeouts (keep-alive.ts), and
 * stats. Every protocol violation ends the connection with a reason: nothing
 * the peer sends makes it throw.
 */
import { EventEmitter } from "node:events";
import type { Bitfield } from "../bitfield/index.ts";
import { compactAddress, type Transport } from "../net/index.ts";
import {
  type Clock,
  type Logger,
  realClock,
  type ShoalError,
  silentLogger,
} from "../util/index.ts";
import {
  type BlockRef,
  type ExtendedHandshake,
  encodeMessage,
  type Handshake,
  type Message,
  MessageId,
} from "../wire/index.ts";
import { encodeBlockMessages } from "./block-messages.ts";
import { ChokeState } from "./choke-state.ts";
import { clientFromPeerId } from "./client-name.ts";
import { Downloader } from "./downloader.ts";
import { ExtendedState } from "./extended-state.ts";
import { type ExtensionPeer, ExtensionRegistry } from "./extension-registry.ts";
import { type Geometry, PieceGeometry } from "./geometry.ts";
import { KeepAlive } from "./keep-alive.ts";
import { MessageReceiver } from "./message-receiver.ts";
import type { MessageWriter } from "./message-writer.ts";
import type { Negotiated } from "./negotiated.ts";
import { OurPieces } from "./our-pieces.ts";
import { PeerLink } from "./peer-link.ts";
import { PeerPieces } from "./peer-pieces.ts";
import { peerStats } from "./peer-stats.ts";
import {
  type PeerConnectionEvents,
  type PeerConnectionOptions,
  type PeerSettings,
  type PeerStats,
  peerSettings,
} from "./types.ts";
import { Uploader } from "./uploader.ts";

const TICK_MS = 1000;

export class PeerConnection extends EventEmitter<PeerConnectionEvents> implements ExtensionPeer {
  readonly #transport: Transport;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #opts: PeerConnectionOptions;
  readonly #set: PeerSettings;
  /** Known once the torrent's metadata is: until then no request goes either way. */
  #geometry: PieceGeometry | undefined;
  readonly #link: PeerLink;
  readonly #downloader: Downloader;
  readonly #uploader: Uploader;
  readonly #connectedAt: number;
  /** Their handshake. */
  readonly handshake: Handshake;
  /** We dialled the peer. */
  readonly outgoing: boolean;
  /** The payload is RC4-encrypted (MSE). */
  readonly encrypted: boolean;
  /** Both sides speak BEP 6. */
  readonly fast: boolean;
  /** Both sides speak BEP 10. */
  readonly extended: boolean;
  readonly #ext: ExtendedState;
  readonly #onRegistryChange = () => this.#link.guard(() => this.#sendExtendedHandshake());
  readonly #chokes = new ChokeState();
  readonly #peerHave: PeerPieces;
  readonly #ours: OurPieces;
  readonly #receiver: MessageReceiver;
  readonly #keepAlive: KeepAlive;
  #client: string | undefined;
  readonly #writer: MessageWriter;

  /**
   * A connection over a negotiated stream (negotiate.ts): both handshakes are
   * behind it. "ready" follows once the caller has attached its listeners.
   */
  constructor(negotiated: Negotiated, opts: PeerConnectionOptions) {
    super();
    const g = opts.geometry;
    this.#geometry = g && new PieceGeometry(g.pieceCount, g.pieceLength, g.totalLength);
    const transport = negotiated.stream;
    this.#transport = transport;
    this.handshake = negotiated.handshake;
    this.outgoing = negotiated.outgoing;
    this.encrypted = negotiated.encrypted;
    // BEP 6, BEP 10: an extension is on when both handshakes set its bit.
    this.fast = negotiated.extensions.fast && negotiated.handshake.extensions.fast;
    this.extended = negotiated.extensions.extended && negotiated.handshake.extensions.extended;
    this.#opts = opts;
    this.#ext = new ExtendedState(opts.extensionRegistry ?? new ExtensionRegistry());
    this.#set = peerSettings(opts);
    this.#clock = opts.clock ?? realClock;
    this.#log = opts.logger ?? silentLogger;
    this.#link = new PeerLink(negotiated, {
      clock: this.#clock,
      logger: this.#log,
      pieceCount: g?.pieceCount,
      hooks: {
        open: () => this.#open(),
        received: (bytes) => {
          this.#keepAlive.lastReceived = this.#clock.now();
          this.#downloader.throttle(bytes);
        },
        message: (m) => this.#receiver.receive(m),
        drain: () => this.#uploader.onDrain(),
        closed: (reason, error) => this.#closed(reason, error),
      },
    });
    const timers = this.#link.timers;
    this.#writer = this.#link.writer;
    this.#downloader = new Downloader({
      clock: this.#clock,
      timers,
      settings: this.#set,
      buckets: opts.downloadBuckets ?? [],
      canRequest: () => this.ready && !this.#chokes.peerChoking,
      reqq: () => this.#ext.theirs?.reqq,
      writeBlocks: (id, refs) => this.#writeBlocks(id, refs),
      pause: () => this.#transport.pause(),
      resume: () => this.#transport.resume(),
    });
    this.#uploader = new Uploader({
      clock: this.#clock,
      timers,
      buckets: opts.uploadBuckets ?? [],
      maxServing: this.#set.maxServing,
      maxQueued: this.#set.maxQueuedRequests,
      stallMs: this.#set.uploadStallMs,
      stuckMs: this.#set.stalledReaderTimeoutMs,
      // A peer that asks for blocks and never reads them would keep its
      // upload slot while our answers sit in its send buffer: the torrent
      // gives the slot to another, and a long stall closes the connection.
      stalled: () => this.emit("upload-stalled"),
      canServe: () => this.ready && !this.#chokes.amChoking,
      serve: (ref) => this.emit("request", ref),
      writev: (chunks, sent) => this.#writer.writev(chunks, sent),
      fast: this.fast,
      reject: (refs) => this.#writeBlocks(MessageId.reject, refs),
      cancelled: (ref) => this.emit("cancel", ref),
    });
    this.#peerHave = new PeerPieces(g?.pieceCount);
    const writer = this.#writer;
    this.#ours = new OurPieces(
      {
        clock: this.#clock,
        writer,
        fast: this.fast,
        haveDelayMs: this.#set.haveDelayMs,
        ready: () => this.ready,
        closed: () => this.closed,
        writeComing: (ms) =>
          this.#uploader.writesWithin(this.#clock.now(), ms) ||
          (!this.#chokes.peerChoking && this.#downloader.outstandingCount > 0),
        announced: () => this.#announced(),
      },
      g?.pieceCount ?? 0,
      opts.bitfield,
    );
    this.#receiver = new MessageReceiver({
      peer: this,
      log: this.#log,
      fast: this.fast,
      extended: this.extended,
      chokes: this.#chokes,
      theirPieces: this.#peerHave,
      ourPieces: this.#ours,
      downloader: this.#downloader,
      uploader: this.#uploader,
      ext: this.#ext,
      geometry: () => this.#geometry,
      writeBlocks: (id, refs) => this.#writeBlocks(id, refs),
    });
    this.#keepAlive = new KeepAlive(this.#clock, writer, this.#set);
    this.#connectedAt = this.#clock.now();
  }

  // ---- state -------------------------------------------------------------

  get ready(): boolean {
    return this.#link.ready;
  }
  get closed(): boolean {
    return this.#link.closed;
  }
  get closeReason(): string | undefined {
    return this.#link.closeReason;
  }
  get remoteAddress(): string | undefined {
    return this.#transport.remoteAddress;
  }
  get remotePort(): number | undefined {
    return this.#transport.remotePort;
  }
  get peerId(): Buffer {
    return this.handshake.peerId;
  }
  get amChoking(): boolean {
    return this.#chokes.amChoking;
  }
  get amInterested(): boolean {
    return this.#chokes.amInterested;
  }
  get peerChoking(): boolean {
    return this.#chokes.peerChoking;
  }
  get peerInterested(): boolean {
    return this.#chokes.peerInterested;
  }
  /** The peer's pieces (do not modify; replaced when their bitfield arrives). */
  get peerBitfield(): Bitfield {
    return this.#peerHave.pieces;
  }
  /** The torrent's piece count, once known. */
  get pieceCount(): number | undefined {
    return this.#geometry?.pieceCount;
  }
  /** Their BEP 10 extension ids (name → id to send with), merged over handshakes. */
  get peerExtensions(): ReadonlyMap<string, number> {
    return this.#ext.theirIds;
  }
  get peerExtendedHandshake(): ExtendedHandshake | undefined {
    return this.#ext.theirs;
  }

  /** How many of our requests may be outstanding now. */
  get pipelineDepth(): number {
    return this.#downloader.depth();
  }

  /** Our piece writes have been backed up, none completing, for uploadStallMs or more. */
  get uploadStalled(): boolean {
    return this.#uploader.backedUpFor(this.#clock.now()) >= this.#set.uploadStallMs;
  }

  get stats(): PeerStats {
    const ext = this.#ext.theirs;
    const c = this.#connectedAt;
    return peerStats(this.#downloader, this.#uploader, this.#chokes, c, this.client, ext?.v);
  }

  /** The peer's client, from its peer id (BEP 20); worked out once. */
  get client(): string | undefined {
    if (this.#client === undefined) this.#client = clientFromPeerId(this.handshake.peerId);
    return this.#client;
  }

  /** Our requests not yet answered (outstanding and queued): cheaper than `stats`. */
  get requestsPending(): number {
    return this.#downloader.pendingCount;
  }

  /** Our unanswered requests, queued then outstanding (to ask elsewhere after a close). */
  pendingRequests(): BlockRef[] {
    return this.#downloader.pending();
  }

  // ---- our side ----------------------------------------------------------

  /**
   * Announces our pieces: BEP 6 have-all / have-none when both sides are fast,
   * else a bitfield (none at all when empty, which BEP 3 allows). Only the
   * first message may announce; called later, it sends `have`s for what is new.
   */
  sendBitfield(bf: Bitfield): void {
    this.#ours.sendBitfield(bf);
  }

  sendHave(index: number): void {
    if (!this.#geometry) throw new RangeError(`have ${index} before the torrent's geometry`);
    this.#geometry.checkIndex(index);
    this.#ours.sendHave(index);
  }

  choke(): void {
    if (this.closed || this.#chokes.amChoking) return;
    this.#chokes.amChoking = true;
    this.#syncFlags();
    this.#uploader.onChoke();
  }

  unchoke(): void {
    if (this.closed || !this.#chokes.amChoking) return;
    this.#chokes.amChoking = false;
    this.#syncFlags();
  }

  setInterested(interested: boolean): void {
    if (this.closed) return;
    this.#chokes.amInterested = interested;
    this.#syncFlags();
  }

  /**
   * Queues a request for a block; it goes out while the peer unchokes us and
   * fewer than `pipelineDepth` are outstanding. False if already pending.
   */
  request(ref: BlockRef): boolean {
    const problem = this.#geometry ? this.#geometry.blockProblem(ref) : "no geometry yet";
    if (problem) throw new RangeError(problem);
    return !this.closed && this.#downloader.request(ref);
  }

  /** Withdraws a request: dropped if unsent, else a cancel goes out. False if unknown. */
  cancel(ref: BlockRef): boolean {
    return !this.closed && this.#downloader.cancel(ref);
  }

  /**
   * Answers a request handed out by a "request" event. Header and block are
   * written as they are (no copy) once the upload buckets allow; `sent` is
   * called once `block` is no longer needed (written, or dropped by a cancel
   * or choke), at most once and possibly never. False if the request is no
   * longer wanted (cancelled, or we choked): `sent` is then not called.
   */
  sendPiece(index: number, begin: number, block: Uint8Array, sent?: () => void): boolean {
    if (this.closed) return false;
    return this.#uploader.fulfil({ index, begin, length: block.length }, block, sent);
  }

  /** Declines a request handed out by a "request" event (BEP 6 reject; nothing without it). */
  reject(ref: BlockRef): boolean {
    if (this.closed || !this.#uploader.remove(ref)) return false;
    if (this.fast) this.#writeBlocks(MessageId.reject, [ref]);
    return true;
  }

  /** Sends a BEP 10 message with the peer's id for the extension. */
  sendExtended(id: number, payload: Uint8Array): void {
    this.#send({ type: "extended", id, payload: Buffer.from(payload) });
  }

  /** They named `name` in their BEP 10 handshake. */
  supportsExtension(name: string): boolean {
    return this.#ext.theirIds.has(name);
  }

  /** Sends a BEP 10 message of extension `name` with their id for it; false if they lack it. */
  sendExtension(name: string, payload: Uint8Array): boolean {
    const id = this.#ext.theirIds.get(name);
    if (id === undefined || !this.ready) return false;
    this.sendExtended(id, payload);
    return true;
  }

  /**
   * The torrent's shape, once its metadata is known (a connection made in a
   * magnet link's metadata phase has none): what the peer said of its pieces
   * so far is checked now (a bad bitfield closes the connection, as it would
   * have on arrival), and our pieces `ours` are announced with haves.
   */
  setGeometry(geometry: Geometry, ours?: Bitfield): void {
    if (this.#geometry) throw new RangeError("the connection's geometry is already set");
    const g = new PieceGeometry(geometry.pieceCount, geometry.pieceLength, geometry.totalLength);
    if (ours && ours.length !== g.pieceCount) {
      throw new RangeError(`a bitfield of ${ours.length} for ${g.pieceCount} pieces`);
    }
    if (this.closed) return;
    this.#geometry = g;
    this.#link.setPieceCount(g.pieceCount);
    const announced = this.#ours.announced;
    // Announced already (have-none, or nothing): what we have goes as haves.
    this.#ours.setPieceCount(g.pieceCount, ours);
    this.#link.guard(() => {
      this.#receiver.pieces(this.#peerHave.onPieceCount(g.pieceCount));
      if (announced && ours) this.sendBitfield(ours);
    });
  }

  /** Ends the connection; "close" is emitted once, with this reason. */
  close(reason = "closed", error?: ShoalError): void {
    this.#link.close(reason, error);
  }

  #closed(reason: string, error: ShoalError | undefined): void {
    this.#ext.registry.off("change", this.#onRegistryChange);
    this.emit("close", reason, error);
    this.#ext.closed(this, (err) =>
      this.#log.error("extension failed on close", { error: (err as Error)?.message }),
    );
  }

  /** Both handshakes are behind us: announce, and read what came with theirs. */
  #open(): void {
    this.#link.timers.set("tick", TICK_MS, () => this.#tick());
    if (this.#opts.bitfield) this.#ours.announce();
    this.emit("ready");
    if (this.closed) return;
    this.#ours.announce();
    if (this.extended) this.#ext.registry.on("change", this.#onRegistryChange);
    this.#syncFlags();
    this.#link.readEarly();
    this.#downloader.pump();
  }

  // ---- sending -----------------------------------------------------------

  #write(buf: Uint8Array): void {
    this.#writer.write(buf);
  }

  /** Any message after the handshake; our pieces are announced first. */
  #send(m: Message): void {
    if (!this.ready) return;
    this.#ours.announce();
    this.#write(encodeMessage(m));
  }

  /** Requests, cancels or rejects for several blocks, in one write. */
  #writeBlocks(id: number, refs: readonly BlockRef[]): void {
    if (refs.length === 0 || !this.ready) return;
    this.#ours.announce();
    this.#write(encodeBlockMessages(id, refs));
  }

  /** Our pieces went out (our-pieces.ts): our BEP 10 handshake follows, then our DHT port. */
  #announced(): void {
    this.#sendExtendedHandshake();
    // BEP 5: a peer that sets the DHT bit is told our DHT port.
    const dhtPort = this.#opts.dhtPort;
    if (dhtPort !== undefined && this.handshake.extensions.dht) {
      this.#write(encodeMessage({ type: "port", port: dhtPort }));
    }
  }

  /**
   * BEP 10: our extended handshake: the registered extensions, and what a
   * peer may want to know of us (client, listen port, request queue, the
   * address we see it at).
   */
  #sendExtendedHandshake(): void {
    if (!this.extended || !this.#ours.announced || this.closed) return;
    const payload = this.#ext.ourHandshake({
      v: this.#opts.clientVersion ?? "shoal/0.1.0",
      reqq: this.#set.maxQueuedRequests,
      p: this.#opts.listenPort,
      yourip: compactAddress(this.#transport.remoteAddress),
    });
    this.#write(encodeMessage({ type: "extended", id: 0, payload }));
  }

  /** Tells the peer our choke and interest where they differ from what it knows. */
  #syncFlags(): void {
    if (!this.ready) return;
    this.#chokes.sync((type) => this.#send({ type }));
  }

  // ---- time and flow -----------------------------------------------------

  #tick(): void {
    const now = this.#clock.now();
    this.#keepAlive.check(now);
    const expired = this.#downloader.expire(now);
    for (const ref of expired) if (!this.closed) this.emit("request-timeout", ref);
    if (expired.length > 0) this.#downloader.pump();
    if (!this.closed) this.#link.timers.set("tick", TICK_MS, () => this.#tick());
  }
}
