/**
 * One peer connection: a Transport on one side, a WireFramer and the peer
 * wire protocol (BEP 3, BEP 6 fast, BEP 10 extended) on the other. It keeps
 * choke/interest state both ways, the peer's pieces, our request pipeline,
 * their requests to us (uploader.ts), keep-alive and timeouts, and stats.
 * Every protocol violation ends the connection with a reason: nothing the
 * peer sends makes it throw.
 */
import { EventEmitter } from "node:events";
import { Bitfield } from "../bitfield/index.ts";
import { compactAddress, type Transport } from "../net/index.ts";
import {
  type Clock,
  isShoalError,
  type Logger,
  realClock,
  type ShoalError,
  silentLogger,
} from "../util/index.ts";
import {
  type BlockRef,
  DEFAULT_MAX_MESSAGE_LENGTH,
  type ExtendedHandshake,
  encodeMessage,
  type Handshake,
  type Message,
  MessageId,
  WireFramer,
} from "../wire/index.ts";
import { encodeBlockMessages } from "./block-messages.ts";
import { clientFromPeerId } from "./client-name.ts";
import { Downloader } from "./downloader.ts";
import { PeerError } from "./errors.ts";
import { ExtendedState } from "./extended-state.ts";
import { type ExtensionPeer, ExtensionRegistry } from "./extension-registry.ts";
import { type Geometry, PieceGeometry } from "./geometry.ts";
import { MessageWriter } from "./message-writer.ts";
import type { Negotiated } from "./negotiate.ts";
import { PeerPieces, type PiecesUpdate } from "./peer-pieces.ts";
import { Timers } from "./timers.ts";
import {
  type PeerConnectionEvents,
  type PeerConnectionOptions,
  type PeerSettings,
  type PeerStats,
  peerSettings,
} from "./types.ts";
import { Uploader } from "./uploader.ts";

const TICK_MS = 1000;
/**
 * A have waits up to this long for a write that is coming anyway (a piece
 * being sent, or our next requests while the peer answers some), to go out
 * in the same writev: a verified piece is announced to every connection, and
 * a write of its own costs a system call here and a read on the other side.
 */
const HAVE_DELAY_MS = 50;

/** "opening": built, "ready" not yet emitted (listeners are attached meanwhile). */
type State = "opening" | "ready" | "closed";

export class PeerConnection extends EventEmitter<PeerConnectionEvents> implements ExtensionPeer {
  readonly #transport: Transport;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #opts: PeerConnectionOptions;
  readonly #set: PeerSettings;
  /** Known once the torrent's metadata is: until then no request goes either way. */
  #geometry: PieceGeometry | undefined;
  readonly #framer: WireFramer;
  readonly #timers: Timers<"tick" | "upload" | "stall" | "download" | "deferred">;
  readonly #downloader: Downloader;
  readonly #uploader: Uploader;
  readonly #connectedAt: number;
  readonly #handshake: Handshake;
  readonly #fast: boolean;
  readonly #extended: boolean;
  readonly #outgoing: boolean;
  readonly #encrypted: boolean;
  readonly #ext: ExtendedState;
  readonly #onRegistryChange = () => this.#guard(() => this.#sendExtendedHandshake());
  #state: State = "opening";
  #closeReason: string | undefined;
  /** Bytes that came before "ready": the negotiation's leftover, then any early chunk. */
  #early: Buffer[];
  // Choke and interest: what we want, and what the peer was last told.
  #amChoking = true;
  #amInterested = false;
  #toldChoking = true;
  #toldInterested = false;
  #peerChoking = true;
  #peerInterested = false;
  readonly #peerHave: PeerPieces;
  #client: string | undefined;
  #ourHave: Bitfield;
  #announced = false;
  #lastReceived: number;
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
    this.#handshake = negotiated.handshake;
    this.#outgoing = negotiated.outgoing;
    this.#encrypted = negotiated.encrypted;
    // BEP 6, BEP 10: an extension is on when both handshakes set its bit.
    this.#fast = negotiated.extensions.fast && negotiated.handshake.extensions.fast;
    this.#extended = negotiated.extensions.extended && negotiated.handshake.extensions.extended;
    this.#early = negotiated.leftover.length > 0 ? [negotiated.leftover] : [];
    this.#opts = opts;
    this.#ext = new ExtendedState(opts.extensionRegistry ?? new ExtensionRegistry());
    this.#set = peerSettings(opts);
    this.#clock = opts.clock ?? realClock;
    this.#log = opts.logger ?? silentLogger;
    this.#timers = new Timers(this.#clock, (fn) => this.#guard(fn));
    this.#writer = new MessageWriter(transport, this.#clock, this.#timers, () => this.closed);
    this.#downloader = new Downloader({
      clock: this.#clock,
      timers: this.#timers,
      settings: this.#set,
      buckets: opts.downloadBuckets ?? [],
      canRequest: () => this.ready && !this.#peerChoking,
      reqq: () => this.#ext.theirs?.reqq,
      writeBlocks: (id, refs) => this.#writeBlocks(id, refs),
      pause: () => this.#transport.pause(),
      resume: () => this.#transport.resume(),
    });
    this.#uploader = new Uploader({
      clock: this.#clock,
      timers: this.#timers,
      buckets: opts.uploadBuckets ?? [],
      maxServing: this.#set.maxServing,
      maxQueued: this.#set.maxQueuedRequests,
      stallMs: this.#set.uploadStallMs,
      stuckMs: this.#set.stalledReaderTimeoutMs,
      // A peer that asks for blocks and never reads them would keep its
      // upload slot while our answers sit in its send buffer: the torrent
      // gives the slot to another, and a long stall closes the connection.
      stalled: () => this.emit("upload-stalled"),
      canServe: () => this.ready && !this.#amChoking,
      serve: (ref) => this.emit("request", ref),
      writev: (chunks, sent) => this.#writer.writev(chunks, sent),
      fast: this.#fast,
      reject: (refs) => this.#writeBlocks(MessageId.reject, refs),
      cancelled: (ref) => this.emit("cancel", ref),
    });
    this.#peerHave = new PeerPieces(g?.pieceCount);
    this.#ourHave = ourPieces(g?.pieceCount ?? 0, opts.bitfield);
    this.#connectedAt = this.#lastReceived = this.#clock.now();
    this.#framer = new WireFramer({
      handshake: false,
      maxMessageLength: maxMessageLength(g?.pieceCount),
    });
    transport.on("data", (chunk) => this.#onData(chunk));
    transport.on("drain", () => this.#guard(() => this.#uploader.onDrain()));
    transport.on("error", (err) =>
      this.#fail(new PeerError("transport", `connection error: ${err.message}`, { cause: err })),
    );
    transport.on("close", () => this.close("the peer closed the connection"));
    if (transport.destroyed) {
      queueMicrotask(() => this.close("the peer closed the connection"));
      return;
    }
    // Open once the caller has attached its listeners; the negotiation left
    // the stream paused so that no byte is read before then.
    queueMicrotask(() => this.#guard(() => this.#open()));
    transport.resume();
  }

  // ---- state -------------------------------------------------------------

  get ready(): boolean {
    return this.#state === "ready";
  }
  get closed(): boolean {
    return this.#state === "closed";
  }
  get closeReason(): string | undefined {
    return this.#closeReason;
  }
  get remoteAddress(): string | undefined {
    return this.#transport.remoteAddress;
  }
  get remotePort(): number | undefined {
    return this.#transport.remotePort;
  }
  get peerId(): Buffer {
    return this.#handshake.peerId;
  }
  /** Their handshake. */
  get handshake(): Handshake {
    return this.#handshake;
  }
  /** We dialled the peer. */
  get outgoing(): boolean {
    return this.#outgoing;
  }

  /** The payload is RC4-encrypted (MSE). */
  get encrypted(): boolean {
    return this.#encrypted;
  }
  /** Both sides speak BEP 6. */
  get fast(): boolean {
    return this.#fast;
  }
  /** Both sides speak BEP 10. */
  get extended(): boolean {
    return this.#extended;
  }
  get amChoking(): boolean {
    return this.#amChoking;
  }
  get amInterested(): boolean {
    return this.#amInterested;
  }
  get peerChoking(): boolean {
    return this.#peerChoking;
  }
  get peerInterested(): boolean {
    return this.#peerInterested;
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
    return {
      downloadRate: this.#downloader.meter.rate(),
      uploadRate: this.#uploader.meter.rate(),
      downloaded: this.#downloader.meter.total,
      uploaded: this.#uploader.meter.total,
      wasted: this.#downloader.wasted,
      connectedAt: this.#connectedAt,
      client: this.client,
      clientVersion: this.#ext.theirs?.v,
      amChoking: this.#amChoking,
      amInterested: this.#amInterested,
      peerChoking: this.#peerChoking,
      peerInterested: this.#peerInterested,
      requestsOutstanding: this.#downloader.outstandingCount,
      requestsQueued: this.#downloader.queuedCount,
      pipelineDepth: this.pipelineDepth,
      peerRequests: this.#uploader.size,
    };
  }

  /** The peer's client, from its peer id (BEP 20); worked out once. */
  get client(): string | undefined {
    if (this.#client === undefined) this.#client = clientFromPeerId(this.#handshake.peerId);
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
    if (this.closed) return;
    if (!this.#announced) {
      this.#ourHave = bf.clone();
      this.#announce();
      return;
    }
    for (const i of bf.indices()) if (!this.#ourHave.has(i)) this.sendHave(i);
  }

  sendHave(index: number): void {
    if (!this.#geometry) throw new RangeError(`have ${index} before the torrent's geometry`);
    this.#geometry.checkIndex(index);
    if (this.closed || !this.#ourHave.set(index)) return;
    if (!this.#announced || !this.ready) return;
    const have = encodeMessage({ type: "have", index });
    const writeComing =
      this.#uploader.writesWithin(this.#clock.now(), HAVE_DELAY_MS) ||
      (!this.#peerChoking && this.#downloader.outstandingCount > 0);
    const wait = writeComing
      ? Math.max(HAVE_DELAY_MS, this.#set.haveDelayMs)
      : this.#set.haveDelayMs;
    if (wait <= 0) {
      this.#write(have);
      return;
    }
    this.#writer.defer(have, wait);
  }

  choke(): void {
    if (this.closed || this.#amChoking) return;
    this.#amChoking = true;
    this.#syncFlags();
    this.#uploader.onChoke();
  }

  unchoke(): void {
    if (this.closed || !this.#amChoking) return;
    this.#amChoking = false;
    this.#syncFlags();
  }

  setInterested(interested: boolean): void {
    if (this.closed) return;
    this.#amInterested = interested;
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
    if (this.#fast) this.#writeBlocks(MessageId.reject, [ref]);
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
    this.#framer.setMaxMessageLength(maxMessageLength(g.pieceCount));
    const announced = this.#announced;
    // Announced already (have-none, or nothing): what we have goes as haves.
    this.#ourHave = announced ? new Bitfield(g.pieceCount) : ourPieces(g.pieceCount, ours);
    this.#guard(() => {
      this.#emitPieces(this.#peerHave.onPieceCount(g.pieceCount));
      if (announced && ours) this.sendBitfield(ours);
    });
  }

  /** Ends the connection; "close" is emitted once, with this reason. */
  close(reason = "closed", error?: ShoalError): void {
    if (this.closed) return;
    this.#state = "closed";
    this.#closeReason = reason;
    this.#timers.clearAll();
    this.#transport.destroy();
    this.#ext.registry.off("change", this.#onRegistryChange);
    this.#log.debug("peer connection closed", { reason, code: error?.code });
    this.emit("close", reason, error);
    this.#ext.closed(this, (err) =>
      this.#log.error("extension failed on close", { error: (err as Error)?.message }),
    );
  }

  // ---- receiving ---------------------------------------------------------

  #onData(chunk: Buffer): void {
    if (this.#state !== "ready") {
      // A chunk is only lent: keep a copy until the connection opens.
      if (!this.closed) this.#early.push(Buffer.from(chunk));
      return;
    }
    this.#lastReceived = this.#clock.now();
    this.#downloader.throttle(chunk.length);
    this.#framer.push(chunk);
    this.#guard(() => {
      while (!this.closed) {
        const frame = this.#framer.next();
        if (!frame) break;
        if (frame.kind === "message") this.#onMessage(frame.message);
      }
    });
  }

  /** Both handshakes are behind us: announce, and read what came with theirs. */
  #open(): void {
    if (this.closed) return;
    this.#state = "ready";
    this.#timers.set("tick", TICK_MS, () => this.#tick());
    if (this.#opts.bitfield) this.#announce();
    this.emit("ready");
    if (this.closed) return;
    this.#announce();
    if (this.#extended) this.#ext.registry.on("change", this.#onRegistryChange);
    this.#syncFlags();
    const early = this.#early;
    this.#early = [];
    for (const chunk of early) this.#onData(chunk);
    this.#downloader.pump();
  }

  #onMessage(m: Message): void {
    switch (m.type) {
      case "keep-alive":
      case "unknown": // BEP 3: ignore what we do not know
        return;
      case "choke": {
        this.#peerChoking = true;
        this.emit("choke", this.#downloader.onChoke(this.#fast));
        return;
      }
      case "unchoke":
        this.#peerChoking = false;
        this.emit("unchoke");
        this.#downloader.pump();
        return;
      case "interested":
      case "not-interested":
        this.#peerInterested = m.type === "interested";
        this.emit(m.type);
        return;
      case "have":
        if (this.#peerHave.onHave(m.index)) this.emit("have", m.index);
        return;
      case "bitfield":
        this.#emitPieces(this.#peerHave.onBitfield(m.bitfield));
        return;
      case "have-all":
      case "have-none":
        this.#requireFast(m.type);
        this.#emitPieces(this.#peerHave.onHaveAll(m.type === "have-all"));
        return;
      case "request":
        this.#onRequest(m);
        return;
      case "piece":
        if (this.#downloader.onPiece(m.index, m.begin, m.block.length)) {
          this.emit("block", { index: m.index, begin: m.begin, data: m.block });
          this.#downloader.schedulePump();
        }
        return;
      case "cancel":
        this.#uploader.onCancel(m);
        return;
      case "reject":
        this.#requireFast("reject");
        if (this.#downloader.onReject(m)) {
          this.emit("reject", { index: m.index, begin: m.begin, length: m.length });
          this.#downloader.pump();
        }
        return;
      case "suggest":
      case "allowed-fast":
        // Advisory (BEP 6): we neither prefer suggested pieces nor request
        // allowed-fast ones while choked. Illegal only without the extension.
        this.#requireFast(m.type);
        return;
      case "port":
        this.emit("port", m.port);
        return;
      case "extended":
        this.#onExtended(m.id, m.payload);
        return;
    }
  }

  #emitPieces(update: PiecesUpdate): void {
    if (update?.bitfield) this.emit("bitfield", update.bitfield);
    else if (update?.haves) {
      this.#log.debug("late bitfield read as haves", { haves: update.haves.length });
      for (const i of update.haves) if (!this.closed) this.emit("have", i);
    }
  }

  #requireFast(what: string): void {
    if (!this.#fast) {
      throw new PeerError(
        "fast_not_negotiated",
        `${what} received, but the fast extension (BEP 6) was not negotiated`,
      );
    }
  }

  #onRequest(ref: BlockRef): void {
    if (!this.#geometry) {
      // Before the metadata we have nothing to serve (and announced nothing).
      if (this.#fast) this.#writeBlocks(MessageId.reject, [ref]);
      return;
    }
    const problem = this.#geometry.blockProblem(ref);
    if (problem) throw new PeerError("bad_request", `request: ${problem}`);
    // BEP 3: requests from a peer we choke are ignored; BEP 6: rejected.
    // The same for a piece we never announced.
    if (this.#amChoking || !this.#ourHave.has(ref.index)) {
      if (this.#fast) this.#writeBlocks(MessageId.reject, [ref]);
      return;
    }
    this.#uploader.accept(ref);
  }

  #onExtended(id: number, payload: Buffer): void {
    if (!this.#extended) return;
    if (id !== 0) {
      this.#ext.dispatch(this, id, payload);
      if (!this.closed) this.emit("extended", id, payload);
      return;
    }
    const h = this.#ext.onHandshake(payload);
    this.emit("extended-handshake", h);
    this.#ext.tellHandshake(this, h);
    this.#downloader.pump();
  }

  // ---- sending -----------------------------------------------------------

  #write(buf: Uint8Array): void {
    this.#writer.write(buf);
  }

  /** Any message after the handshake; our pieces are announced first. */
  #send(m: Message): void {
    if (!this.ready) return;
    this.#announce();
    this.#write(encodeMessage(m));
  }

  /** Requests, cancels or rejects for several blocks, in one write. */
  #writeBlocks(id: number, refs: readonly BlockRef[]): void {
    if (refs.length === 0 || !this.ready) return;
    this.#announce();
    this.#write(encodeBlockMessages(id, refs));
  }

  /** Sends our bitfield (or BEP 6 have-all/none), then our BEP 10 handshake, once. */
  #announce(): void {
    if (this.#announced || !this.ready) return;
    this.#announced = true;
    const have = this.#ourHave;
    // Without a geometry we have nothing (a bitfield of length 0 is "complete").
    if (this.#fast && have.length === 0) this.#write(encodeMessage({ type: "have-none" }));
    else if (this.#fast && have.isComplete()) this.#write(encodeMessage({ type: "have-all" }));
    else if (this.#fast && have.isEmpty()) this.#write(encodeMessage({ type: "have-none" }));
    else if (!have.isEmpty()) {
      this.#write(encodeMessage({ type: "bitfield", bitfield: have.toBuffer() }));
    }
    this.#sendExtendedHandshake();
    // BEP 5: a peer that sets the DHT bit is told our DHT port.
    const dhtPort = this.#opts.dhtPort;
    if (dhtPort !== undefined && this.#handshake.extensions.dht) {
      this.#write(encodeMessage({ type: "port", port: dhtPort }));
    }
  }

  /**
   * BEP 10: our extended handshake: the registered extensions, and what a
   * peer may want to know of us (client, listen port, request queue, the
   * address we see it at).
   */
  #sendExtendedHandshake(): void {
    if (!this.#extended || !this.#announced || this.closed) return;
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
    if (this.#toldInterested !== this.#amInterested) {
      this.#toldInterested = this.#amInterested;
      this.#send({ type: this.#amInterested ? "interested" : "not-interested" });
    }
    if (this.#toldChoking !== this.#amChoking) {
      this.#toldChoking = this.#amChoking;
      this.#send({ type: this.#amChoking ? "choke" : "unchoke" });
    }
  }

  // ---- time and flow -----------------------------------------------------

  #tick(): void {
    const now = this.#clock.now();
    const silent = now - this.#lastReceived;
    if (silent >= this.#set.idleTimeoutMs) {
      const s = Math.round(silent / 1000);
      throw new PeerError("idle_timeout", `nothing received from the peer in ${s} s`);
    }
    // BEP 3: keep-alives, since peers drop connections silent for ~2 minutes.
    if (now - this.#writer.lastSent >= this.#set.keepAliveMs) {
      this.#write(encodeMessage({ type: "keep-alive" }));
    }
    const expired = this.#downloader.expire(now);
    for (const ref of expired) if (!this.closed) this.emit("request-timeout", ref);
    if (expired.length > 0) this.#downloader.pump();
    if (!this.closed) this.#timers.set("tick", TICK_MS, () => this.#tick());
  }

  // ---- errors ------------------------------------------------------------

  /** Runs `fn`; anything it throws closes the connection instead of escaping. */
  #guard(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.#fail(err);
    }
  }

  #fail(err: unknown): void {
    if (this.closed) return;
    if (isShoalError(err)) {
      this.#log.info("closing peer connection", { code: err.code, reason: err.message });
      this.close(err.message, err);
      return;
    }
    // A bug (ours or a listener's): log it loudly, but keep the process alive.
    const message = err instanceof Error ? err.message : String(err);
    this.#log.error("peer connection failed", { error: message, stack: (err as Error)?.stack });
    this.close(`internal error: ${message}`, new PeerError("internal", message, { cause: err }));
  }
}

/** Our pieces for a torrent of `pieceCount` (none without a geometry). */
function ourPieces(pieceCount: number, given: Bitfield | undefined): Bitfield {
  return given?.clone() ?? new Bitfield(pieceCount);
}

/** A bitfield for a torrent of many pieces may exceed the default bound. */
function maxMessageLength(pieceCount = 0): number {
  return Math.max(DEFAULT_MAX_MESSAGE_LENGTH, Math.ceil(pieceCount / 8) + 1);
}
