/**
 * One torrent's life (lifecycle.ts): from a magnet link's info hash alone
 * (`metadata`, peers connected, no pieces known) or from its metainfo, then
 * checking the data on disk, downloading, seeding; paused, stopped, or in
 * error when its data cannot be opened. Glues the peers (peer-set.ts), the
 * downloading side (requesting.ts), the serving side (serving.ts, the
 * choke rounds of upload-slots.ts), the storage and the announcer.
 */
import { EventEmitter } from "node:events";
import { type Metainfo, pieceSize } from "../metainfo/index.ts";
import { type EncryptionPolicy, ExtensionRegistry, type Negotiated } from "../peer/index.ts";
import type { PieceStore } from "../storage/index.ts";
import type { PeerAddress } from "../tracker-proto/index.ts";
import {
  asInfoHash,
  type Clock,
  type InfoHash,
  type Logger,
  realClock,
  silentLogger,
  toHex,
} from "../util/index.ts";
import { openNow, openStore } from "./checking.ts";
import { DeferredExtension } from "./deferred-extension.ts";
import { TorrentError } from "./errors.ts";
import { PEX_EXTENSION, UT_METADATA } from "./extension-names.ts";
import {
  checkPriorities,
  type FilePriority,
  fitPriorities,
  piecePriorities,
  type Selection,
  type SelectionOptions,
  selectionOptions,
} from "./file-selection.ts";
import type { FileStreamOptions, FileStreams } from "./file-stream.ts";
import type { PeerSource } from "./known-peers.ts";
import { checkTransition, isActive } from "./lifecycle.ts";
import type { MetadataExchange } from "./metadata-exchange.ts";
import {
  geometryOf,
  type TorrentEvents,
  type TorrentObserver,
  type TorrentOptions,
} from "./options.ts";
import type { PeerSet } from "./peer-set.ts";
import { type PieceActivity, pieceActivity } from "./piece-activity.ts";
import type { Requester } from "./requesting.ts";
import type { ResumeSaver } from "./resume-saver.ts";
import { checkStreamable } from "./streamable.ts";
import { loadSwarm, swarmLoaded, swarmNow } from "./swarm-loader.ts";
import type { SwarmPeer } from "./swarm-peer.ts";
import { type TorrentInner, TrackersHost } from "./torrent-inner.ts";
import { ownTiers, TorrentTrackers } from "./torrent-trackers.ts";
import type { PeerInfo, TorrentState, TorrentStats } from "./types.ts";
import type { UploadSlots } from "./upload-slots.ts";
import {
  NO_PEER_SET,
  type PeersView,
  peerInfo,
  peerInfos,
  type TorrentView,
  torrentRates,
  torrentStats,
} from "./views.ts";

export class Torrent extends EventEmitter<TorrentEvents> {
  readonly infoHash: InfoHash;
  readonly infoHashHex: string;
  /** See `extensions`: made for the first connection (or the first caller). */
  #extensionsMade: ExtensionRegistry | undefined;
  /** BEP 9's metadata_size for the extended handshake, once the metadata is known. */
  #metadataSize: number | undefined;
  readonly #o: TorrentOptions;
  readonly #clock: Clock;
  readonly #log: Logger;
  /** The peers (peer-set.ts): made by the first address or connection (#peers); an idle seed has none. */
  #peersMade: PeerSet | undefined;
  /** The choke rounds (upload-slots.ts), made for the first peer (#uploadSlots); running while active. */
  #uploadSlotsMade: UploadSlots | undefined;
  #uploadSlotsRunning = false;
  /** BEP 9: the info dictionary fetched from peers (a magnet link's), and served. */
  /** Made with the extensions (the first connection): a seed with no peer serves nobody. */
  #metadataExchangeMade: MetadataExchange | undefined;
  #state: TorrentState;
  /** Why the torrent is in the `error` state. */
  #error: Error | undefined;
  /** The user wants it running (start) rather than paused. */
  #wanted = false;
  /** Rest paused when the metadata arrives (options.pauseAfterMetadata); once. */
  #pauseAfterMetadata: boolean;
  #meta: Metainfo | undefined;
  #storage: PieceStore | undefined;
  /**
   * The downloading side, once the data is open: made by the check when a
   * piece is missing or a peer is connected, else by the first peer to
   * connect (#needRequester). A complete torrent with no peer (an idle
   * seed) fetches nothing and tells no peer of interest: it holds none.
   */
  #requester: Requester | undefined;
  #checking: Promise<void> | undefined;
  /**
   * Its trackers (torrent-trackers.ts): made to announce, or for a list the
   * user edited. A torrent without trackers (or with them off) holds none.
   */
  #trackersMade: TorrentTrackers | undefined;
  /** Saves after verified pieces (resume-saver.ts): made by the first one (an idle seed verifies none). */
  #resumeMade: ResumeSaver | undefined;
  /** A warning handler for promises (`.catch(this.#onWarning)`), made when first needed. */
  #onWarningMade: ((err: unknown) => void) | undefined;
  /** Bytes uploaded over connections since closed (live ones count their own). */
  #uploadedClosed = 0;
  /** What of it the user wants, and in what order (file-selection.ts). */
  readonly #selection: Selection;
  /** Readers streaming its files (file-stream.ts), from the first one on. */
  #streams: FileStreams | undefined;
  /** What views.ts and the parts' hosts (torrent-hosts.ts) read of this torrent. */
  readonly #inner: TorrentView & TorrentInner & { peer(p: SwarmPeer): PeerInfo };
  /** Told of every event before the listeners (observe()). */
  #observer: TorrentObserver | undefined;

  /**
   * A torrent from its metainfo starts checking its data at once (see
   * `checked()`); one from an info hash alone waits for setMetadata. Both
   * stay paused until start().
   */
  constructor(o: TorrentOptions) {
    super();
    // Node's EventEmitter makes its listener table (an object in dictionary
    // mode, about 0.35 KiB) in its constructor, yet handles a table not made
    // yet everywhere (as for emitters made without their constructor): the
    // first on() makes it. The session follows a torrent through its
    // observer (observe()), so an idle seed in a daemon never needs one.
    (this as unknown as { _events: unknown })._events = undefined;
    const hash = o.meta?.infoHash ?? o.infoHash;
    if (hash?.length !== 20) throw new RangeError("a torrent needs metainfo or an info hash");
    if (o.meta && o.infoHash && !o.meta.infoHash.equals(o.infoHash)) {
      throw new TorrentError("metadata_mismatch", "the metainfo is for another info hash");
    }
    this.#o = o;
    this.#pauseAfterMetadata = o.pauseAfterMetadata === true && !o.meta;
    this.#selection = {
      files: o.meta
        ? fitPriorities(o.filePriorities, o.meta.files.length, o.unlistedFilePriority)
        : [],
      firstLastPiece: o.firstLastPiecePriority === true,
      sequential: o.sequential === true,
    };
    // The metainfo's own (immutable) buffer; an info hash given alone is copied.
    this.infoHash = o.meta ? o.meta.infoHash : asInfoHash(Buffer.from(hash));
    this.infoHashHex = o.meta ? o.meta.infoHashHex : toHex(this.infoHash);
    this.#clock = o.clock ?? realClock;
    this.#log = o.logger ?? silentLogger;
    this.#inner = new Torrent.#Inner(this);
    if (o.trackerList) this.#trackersMade = new TorrentTrackers(new TrackersHost(this.#inner));
    if (o.peers) this.addPeers(o.peers, "magnet");
    this.#state = "paused";
    if (o.meta) this.#acceptMetadata(o.meta);
  }

  /**
   * BEP 10 extensions this torrent's connections speak (ut_metadata, ut_pex
   * register here). Made when first asked for, by the first connection
   * (or a caller registering its own): a torrent with no peer, as most
   * idle seeds are, holds no registry and no PEX state.
   */
  get extensions(): ExtensionRegistry {
    if (this.#extensionsMade) return this.#extensionsMade;
    const o = this.#o;
    const registry = new ExtensionRegistry();
    this.#extensionsMade = registry;
    // The handlers are made by their first call (a connection's, so the
    // swarm's modules are loaded by then: deferred-extension.ts).
    // BEP 27: a private torrent's ut_metadata is not offered (metadata-exchange.ts).
    if (!o.meta?.private && o.metadataExchange !== false) {
      registry.register({
        name: UT_METADATA,
        handler: new DeferredExtension(() => this.#metadataExchange),
      });
    }
    // BEP 11 on by default; BEP 27: never for a private torrent (one that
    // turns out private once a magnet link's metadata arrives goes quiet).
    if (o.pex !== false && !o.meta?.private) {
      registry.register({
        name: PEX_EXTENSION,
        handler: new DeferredExtension(
          () =>
            new (swarmNow().PeerExchange)({
              clock: this.#clock,
              logger: this.#log,
              peers: () => this.#peers.values(),
              learn: (addresses) => this.#peers.add(addresses, "pex"),
              allowed: () => isActive(this.#state) && !this.#meta?.private,
              listenPort: o.listenPort,
            }),
        ),
      });
    }
    if (this.#metadataSize !== undefined) registry.metadataSize = this.#metadataSize;
    return registry;
  }

  /**
   * Sets the one observer told of every event before the listeners are
   * (undefined: none); the session's (options.ts, TorrentObserver).
   */
  observe(observer: TorrentObserver | undefined): void {
    this.#observer = observer;
  }

  get observer(): TorrentObserver | undefined {
    return this.#observer;
  }

  override emit<K extends keyof TorrentEvents>(event: K, ...args: TorrentEvents[K]): boolean {
    this.#observer?.torrentEvent(event, args);
    return super.emit(event, ...(args as never));
  }

  /** Opens a torrent from its metainfo, its data checked, paused (start() runs it). */
  static async open(o: TorrentOptions & { meta: Metainfo }): Promise<Torrent> {
    const torrent = new Torrent(o);
    await torrent.checked();
    return torrent;
  }

  get state(): TorrentState {
    return this.#state;
  }

  /** Why the torrent is in the `error` state. */
  get error(): string | undefined {
    return this.#error?.message;
  }

  get name(): string {
    return this.#meta?.name ?? this.#o.name ?? this.infoHashHex;
  }

  /** The metainfo, once known (a magnet link's torrent starts without). */
  get metadata(): Metainfo | undefined {
    return this.#meta;
  }

  /** The metainfo; throws before it is known (see `metadata`). */
  get meta(): Metainfo {
    if (!this.#meta) throw this.#noMetadata();
    return this.#meta;
  }

  /** The torrent's data; throws before it is open (metadata, then checking). */
  get storage(): PieceStore {
    if (!this.#storage) throw this.#noMetadata();
    return this.#storage;
  }

  /** Every wanted piece is verified (every piece, unless files are skipped). */
  get complete(): boolean {
    if (this.#requester) return this.#requester.complete;
    return this.#storage?.have.isComplete() ?? false;
  }

  /** Bytes still missing (0 before the metadata: see `state`). */
  get left(): number {
    const meta = this.#meta;
    if (!meta) return 0;
    const bits = this.#storage?.have;
    if (!bits) return meta.totalLength;
    // Every piece but the last is whole: no walk over the pieces (a list of
    // every torrent asks this of each).
    const last = meta.pieceCount - 1;
    let have = bits.count() * meta.pieceLength;
    if (last >= 0 && bits.has(last)) have -= meta.pieceLength - pieceSize(meta, last);
    return meta.totalLength - have;
  }

  /** Payload bytes sent to peers (once actually written, past the rate limits). */
  get uploaded(): number {
    let total = this.#uploadedClosed;
    for (const p of this.#peerList.values()) total += p.conn.stats.uploaded;
    return total;
  }

  /** Payload bytes received in accepted blocks (stats().downloaded, without the rest of stats()). */
  get downloaded(): number {
    return this.#requester?.downloaded ?? 0;
  }

  /** Resolves once the data is checked (now, if it is not being checked); rejects on error. */
  async checked(): Promise<void> {
    await this.#checking;
    if (this.#state === "error" && this.#error) throw this.#error;
  }

  // ---- lifecycle -----------------------------------------------------------------

  /** Runs the torrent: peers and trackers, from the metadata phase or once checked. */
  start(): void {
    this.#wanted = true;
    if (this.#state === "paused") {
      if (this.#meta && !this.#storage) this.#check(this.#meta);
      else this.#activate();
    } else if (this.#state === "error" && this.#meta) {
      this.#check(this.#meta);
    }
  }

  /** Stops transferring: `stopped` to the trackers, every peer closed, resume data saved. */
  async pause(): Promise<void> {
    this.#wanted = false;
    if (!isActive(this.#state)) return;
    this.#setState("paused");
    await this.#deactivate("paused");
  }

  /** Pauses and closes the data; the torrent cannot be started again. */
  async close(): Promise<void> {
    if (this.#state === "stopped") return;
    this.#wanted = false;
    await this.#checking?.catch(() => {});
    const wasActive = isActive(this.#state);
    this.#setState("stopped");
    this.#metadataExchangeMade?.stop();
    if (wasActive) await this.#deactivate("stopped");
    await this.#storage?.close();
  }

  /**
   * The info dictionary, verified by whoever fetched it (ut_metadata checks
   * its SHA-1 against the info hash; this checks the parsed result again).
   * Storage opens (checking), the connected peers learn the geometry, and
   * the download starts once checked. Resolves when the check is done.
   */
  async setMetadata(meta: Metainfo): Promise<void> {
    if (this.#meta)
      throw new TorrentError("metadata_known", `${this.name} already has its metadata`);
    if (!meta.infoHash.equals(this.infoHash)) {
      throw new TorrentError(
        "metadata_mismatch",
        `metadata for ${meta.infoHashHex} offered to ${this.infoHashHex}`,
      );
    }
    if (this.#state === "stopped") throw new TorrentError("stopped", `${this.name} is closed`);
    this.#acceptMetadata(meta);
    await this.checked();
  }

  /** Re-announce now (the shell's `update`). */
  announceNow(): void {
    this.#trackersMade?.announceNow();
  }

  // ---- what to download (file-selection.ts) ---------------------------------------

  /** A priority per file (empty before the metadata, unless some were given). */
  get filePriorities(): FilePriority[] {
    return [...this.#selection.files];
  }

  /** The file selection as options to open the torrent again with (file-selection.ts). */
  get selectionOptions(): SelectionOptions {
    return selectionOptions(this.#selection, this.#meta !== undefined, this.#o);
  }

  get sequential(): boolean {
    return this.#selection.sequential;
  }

  get firstLastPiecePriority(): boolean {
    return this.#selection.firstLastPiece;
  }

  /**
   * Sets every file's priority (one per file of the metainfo): `skip`
   * files are not downloaded nor created. Live: interest and picks follow
   * at once; a torrent seeding what was wanted goes back to downloading.
   * Resolves once the data is arranged (a file wanted again gets its bytes
   * back from the part file). Before the metadata they are kept for it.
   */
  async setFilePriorities(priorities: readonly FilePriority[]): Promise<void> {
    checkPriorities(priorities, this.#meta?.files.length ?? priorities.length);
    this.#selection.files = [...priorities];
    await this.#applySelection();
  }

  setSequential(on: boolean): void {
    this.#selection.sequential = on;
    void this.#applySelection();
  }

  setFirstLastPiecePriority(on: boolean): void {
    this.#selection.firstLastPiece = on;
    void this.#applySelection();
  }

  /**
   * Hands the selection to the picker and the storage; the state follows.
   * Not an async function: every torrent opened runs it once, and most have
   * nothing for the storage to arrange.
   */
  #applySelection(): Promise<void> {
    const meta = this.#meta;
    if (!meta || !this.#storage) return Promise.resolve();
    // No requester: every piece is here, so none is missing whatever is
    // selected; one made later is told the selection then.
    const requester = this.#requester;
    if (requester) {
      this.#choosePieces(requester, meta);
      if (this.#state === "seeding" && !this.complete) {
        this.#setState("downloading");
        for (const p of this.#peerList.values()) requester.updateInterest(p);
      } else if (this.#state === "downloading" && this.complete) {
        void this.#onComplete();
      }
    }
    return this.#arrangeFiles();
  }

  /** Tells the storage which files are wanted (unwanted ones are not created). */
  #arrangeFiles(): Promise<void> {
    const wanted = this.#selection.files.map((p) => p !== "skip");
    const arranging = this.#storage?.setFileWanted?.(wanted);
    return arranging ? arranging.catch((err) => this.#warn(err)) : Promise.resolve();
  }

  /** Tells the picker what the selection wants, and in what order. */
  #choosePieces(requester: Requester, meta: Metainfo): void {
    requester.setPriorities(piecePriorities(meta, this.#selection));
    requester.setSequential(this.#selection.sequential);
  }

  /** The downloading side, made now if the data is open (undefined before). */
  #needRequester(): Requester | undefined {
    if (this.#requester) return this.#requester;
    const meta = this.#meta;
    const storage = this.#storage;
    if (!meta || !storage) return undefined;
    const { Requester, RequesterHostOf } = swarmNow();
    const requester = new Requester(new RequesterHostOf(this.#inner, meta, storage));
    this.#requester = requester;
    requester.setTimeCritical(this.#streams?.order() ?? []);
    this.#choosePieces(requester, meta);
    return requester;
  }

  #unwantedFiles(): number[] {
    const out: number[] = [];
    this.#selection.files.forEach((p, i) => {
      if (p === "skip") out.push(i);
    });
    return out;
  }

  #acceptMetadata(meta: Metainfo): void {
    this.#meta = meta;
    if (this.#selection.files.length !== meta.files.length) {
      this.#selection.files = fitPriorities(
        this.#o.filePriorities,
        meta.files.length,
        this.#o.unlistedFilePriority,
      );
    }
    this.#metadataExchangeMade?.stop();
    if (!meta.private) {
      this.#metadataSize = meta.infoBytes.length;
      if (this.#extensionsMade) this.#extensionsMade.metadataSize = this.#metadataSize;
    }
    // Connected in the metadata phase: their pieces are checked now (a
    // torrent opened from its metainfo has none yet).
    if (this.#peerList.size > 0) {
      const geometry = geometryOf(meta);
      for (const p of [...this.#peerList.values()]) p.conn.setGeometry(geometry);
    }
    this.emit("metadata", meta);
    if (this.#pauseAfterMetadata) this.#restAfterMetadata();
    else this.#check(meta);
  }

  /**
   * Asked to pause once the metadata is here: paused before the data is
   * opened (nothing created on disk) or any piece requested; start() checks
   * the data then runs, as for a torrent added paused.
   */
  #restAfterMetadata(): void {
    this.#pauseAfterMetadata = false;
    this.#wanted = false;
    if (!isActive(this.#state)) return;
    this.#setState("paused");
    void this.#deactivate("paused");
  }

  /** Opens the data, verifying what is on disk, then runs or rests as wanted. */
  #check(meta: Metainfo): void {
    const wasActive = isActive(this.#state);
    this.#error = undefined;
    this.#setState("checking");
    // Open again after an error (#fail): the old data is let go first.
    const previous = this.#storage;
    this.#storage = undefined;
    this.#requester = undefined;
    const open = () => openStore(meta, this.#o, this.#unwantedFiles());
    // With nothing to close (a torrent's first check: each of a restore's
    // thousand) the data opens now, not a turn later through a promise
    // that then adopts the open's own (three more reactions each).
    const opening = previous
      ? previous
          .close()
          .catch(() => {})
          .then(open)
      : openNow(open);
    const opened = (storage: PieceStore): Promise<void> | undefined => {
      this.#checking = undefined;
      if (this.#state === "stopped") return storage.close();
      this.#storage = storage;
      if (!storage.have.isComplete() || this.#peerList.size > 0) this.#needRequester();
      void this.#arrangeFiles();
      for (const p of this.#peerList.values()) p.conn.sendBitfield(storage.have);
      if (this.#wanted) this.#activate();
      else {
        this.#setState("paused");
        if (wasActive) void this.#deactivate("paused");
      }
    };
    const failed = (err: Error): void => {
      this.#checking = undefined;
      if (this.#state === "stopped") return;
      this.#error = err;
      this.#setState("error");
      this.#warn(err);
      if (wasActive) void this.#deactivate("error");
    };
    this.#checking = opening.then(
      (storage) =>
        // Something to fetch (or a peer to tell): the swarm's modules first.
        swarmLoaded() || (storage.have.isComplete() && this.#peerList.size === 0)
          ? opened(storage)
          : loadSwarm().then(
              () => opened(storage),
              (err: Error) => storage.close().then(() => failed(err)),
            ),
      failed,
    );
  }

  /**
   * The data refuses pieces for good (a full disk, a name too long): into
   * `error`, with the reason kept for the user, peers closed and what is
   * verified saved, rather than fetching pieces that cannot be kept. start()
   * opens the data again (the user may have made room).
   */
  #fail(err: Error): void {
    if (!isActive(this.#state)) return;
    this.#error = err;
    this.#log.warn("torrent stopped", { infoHash: this.infoHashHex, error: err.message });
    this.#setState("error");
    void this.#deactivate("error");
  }

  /** Into the active state the torrent is ready for; peers, trackers and choke rounds run. */
  #activate(): void {
    const wasActive = isActive(this.#state);
    this.#setState(!this.#meta ? "metadata" : this.complete ? "seeding" : "downloading");
    if (!wasActive || !this.#trackersMade?.running) this.#startTrackers();
    this.#uploadSlotsRunning = true;
    this.#uploadSlotsMade?.start();
    if (this.#storage) this.#resumeMade?.start();
    for (const p of this.#peerList.values()) this.#requester?.updateInterest(p);
    // No set: no address known to dial, no connection to keep.
    this.#peersMade?.start();
  }

  async #deactivate(reason: string): Promise<void> {
    this.#uploadSlotsRunning = false;
    this.#uploadSlotsMade?.stop();
    this.#resumeMade?.stop();
    this.#peersMade?.closeAll(reason);
    await Promise.all([this.#trackersMade?.stop(), this.#saveResume()]);
  }

  /**
   * The tracker tiers this torrent announces to: the user's list when edited,
   * else the metadata's, then a magnet link's others.
   */
  get announceList(): string[][] {
    return this.#trackersMade?.announceList ?? ownTiers(this.#meta, this.#o);
  }

  /** The user's tracker tiers, when they were edited (undefined: the torrent's own). */
  get trackerList(): string[][] | undefined {
    return this.#trackersMade?.trackerList;
  }

  /**
   * Replaces the tracker tiers. A running announcer says `stopped` to its
   * tracker first, then one for the new tiers says `started`.
   */
  setTrackerList(tiers: string[][]): void {
    this.#trackers.setTrackerList(tiers);
  }

  #setState(state: TorrentState): void {
    const previous = this.#state;
    if (previous === state) return;
    checkTransition(previous, state);
    this.#state = state;
    this.emit("state", state, previous);
    this.#streams?.changed();
  }

  /**
   * Every wanted piece is here, not every piece (BEP 21's partial seed).
   * What the trackers hear of it follows libtorrent (and agrees with
   * Transmission on `left`): `left` counts every missing byte, skipped files'
   * too (BEP 3: what this peer "still has to download" to have the torrent;
   * both clients send total size minus what they have), `completed` waits
   * for every piece (Transmission says it for the wanted files alone), and
   * regular announces carry `event=paused` meanwhile, which is how a tracker
   * can tell a finished selective download from a downloader.
   */
  get #partialSeed(): boolean {
    return this.complete && !(this.#storage?.have.isComplete() ?? false);
  }

  async #onComplete(): Promise<void> {
    if (this.#state === "downloading") this.#setState("seeding");
    // A tracker's `completed` counts whole downloads: not one of some files
    // alone (libtorrent says it only once it has every piece, too; see
    // #partialSeed for the rest).
    if (this.#storage?.have.isComplete()) this.#trackersMade?.completed();
    for (const p of [...this.#peerList.values()]) this.#requester?.updateInterest(p);
    // Every piece is verified and written (to the disk, or to the page cache
    // where direct I/O was not used): the download is complete for the user
    // now. Flushing the files for the resume data (fdatasync: ~0.5 s per GiB
    // of page cache here) comes after; pause() and close() wait for it, as
    // the storage serialises saves.
    this.emit("complete");
    await this.#saveResume();
  }

  // ---- streaming (file-stream.ts) -------------------------------------------------

  /**
   * Bytes [start, end) of file `index`, in order, each piece's once it is
   * verified; while the reader waits, the pieces it needs are fetched
   * before all others. Throws TorrentError at once for a file or range that
   * cannot be streamed (no metadata, no such file, a skipped one).
   */
  readFile(
    index: number,
    start: number,
    end: number,
    opts: FileStreamOptions = {},
  ): AsyncGenerator<Buffer> {
    const meta = this.#meta;
    if (!meta) throw this.#noMetadata();
    checkStreamable(meta, this.#selection.files, index, start, end);
    // The streams' modules come with the swarm's: the first reader waits for them.
    if (!swarmLoaded()) return this.#readLater(meta, index, start, end, opts);
    return this.#fileStreams(meta).read(this.#selection.files, index, start, end, opts);
  }

  async *#readLater(
    meta: Metainfo,
    index: number,
    start: number,
    end: number,
    opts: FileStreamOptions,
  ): AsyncGenerator<Buffer> {
    await loadSwarm();
    yield* this.#fileStreams(meta).read(this.#selection.files, index, start, end, opts);
  }

  /** Made for the first reader: most torrents are never streamed. */
  #fileStreams(meta: Metainfo): FileStreams {
    this.#streams ??= this.#newFileStreams(meta);
    return this.#streams;
  }

  #newFileStreams(meta: Metainfo): FileStreams {
    return new (swarmNow().FileStreams)({
      meta,
      clock: this.#clock,
      storage: () => this.#storage,
      // A complete torrent fetches nothing: reading it costs no picker work.
      timeCritical: (order) => {
        if (!this.complete) this.#requester?.setTimeCritical(order);
      },
      ended: () =>
        this.#state === "stopped"
          ? `${this.name} was closed`
          : this.#state === "error"
            ? `${this.name} stopped: ${this.error}`
            : undefined,
    });
  }

  // ---- peers ---------------------------------------------------------------------

  /**
   * Addresses to connect to (from a tracker, PEX, DHT or by hand): kept
   * with their history and dialled again when a connection ends (known-peers.ts).
   */
  addPeers(addresses: readonly PeerAddress[], source: PeerSource = "manual"): void {
    if (!swarmLoaded()) {
      // The first address of the process waits for the swarm's modules.
      loadSwarm().then(() => this.#peers.add(addresses, source), this.#onWarning);
      return;
    }
    this.#peers.add(addresses, source);
  }

  /** Closes connections to, and forgets, the addresses a new IP filter blocks. */
  closePeers(blocked: (ip: string) => boolean): void {
    this.#peersMade?.closeBlocked(blocked, "blocked by the IP filter");
  }

  /** MSE on this torrent's connections, when it has a policy of its own. */
  get encryption(): EncryptionPolicy | undefined {
    return this.#o.encryption;
  }

  /** Whether a connection from this address would be taken (asked before answering it). */
  canAccept(host: string, port: number): boolean {
    if (this.#peersMade) return this.#peersMade.canAccept(host, port);
    if (!isActive(this.#state)) return false;
    // No set: nobody banned, room for all. Its modules load meanwhile.
    if (!swarmLoaded()) {
      void loadSwarm().catch(this.#onWarning);
      return true;
    }
    return this.#peers.canAccept(host, port);
  }

  /**
   * A connection that reached us, negotiated by the session. Before the
   * swarm's modules are loaded it is taken (when active) and joins the set
   * once they are: closed then if the set refuses it.
   */
  acceptIncoming(negotiated: Negotiated): boolean {
    if (swarmLoaded()) return this.#peers.accept(negotiated);
    if (!isActive(this.#state)) return false;
    loadSwarm().then(
      () => {
        if (!this.#peers.accept(negotiated)) negotiated.stream.destroy();
      },
      (err: unknown) => {
        negotiated.stream.destroy();
        this.#warn(err);
      },
    );
    return true;
  }

  /** No connection and no dial left while we want pieces: the trackers may know more. */
  #onPeerless(): void {
    if (this.#state !== "downloading" && this.#state !== "metadata") return;
    if (this.#peerList.size > 0 || (this.#peersMade?.dialing ?? 0) > 0) return;
    this.#trackersMade?.peerless();
  }

  #onPeerClosed(peer: SwarmPeer, reason: string): void {
    this.#uploadedClosed += peer.conn.stats.uploaded;
    this.#requester?.peerGone(peer);
    this.emit("peer-closed", peer.id, reason, this.#inner.peer(peer));
  }

  // ---- views ---------------------------------------------------------------------

  stats(): TorrentStats {
    return torrentStats(this.#inner);
  }

  /** Rates and peer count without the rest of stats() (no tracker list, no new figures). */
  rates(): Pick<TorrentStats, "downloadRate" | "uploadRate" | "peers"> {
    return torrentRates(this.#inner);
  }

  peers(): PeerInfo[] {
    return peerInfos(this.#inner);
  }

  /** Have, availability and in-flight pieces, for a live piece map (piece-activity.ts). */
  pieceActivity(): PieceActivity {
    return pieceActivity(this.#inner);
  }

  /**
   * What views.ts reads (every figure read live: a list of a thousand
   * torrents reads it twice per torrent) and what the parts' hosts ask
   * (torrent-hosts.ts). One per torrent, its getters once on its prototype
   * (an object literal with eleven accessors was about 1 KiB per torrent);
   * declared inside Torrent to read its private fields.
   */
  static readonly #Inner = class implements TorrentView, TorrentInner {
    readonly #t: Torrent;
    readonly infoHashHex: string;
    constructor(t: Torrent) {
      this.#t = t;
      this.infoHashHex = t.infoHashHex;
    }
    get options() {
      return this.#t.#o;
    }
    get infoHash() {
      return this.#t.infoHash;
    }
    get clock() {
      return this.#t.#clock;
    }
    get logger() {
      return this.#t.#log;
    }
    get events() {
      return this.#t;
    }
    get name() {
      return this.#t.name;
    }
    get state() {
      return this.#t.#state;
    }
    get error() {
      return this.#t.error;
    }
    get meta() {
      return this.#t.#meta;
    }
    get storage() {
      return this.#t.#storage;
    }
    get peers() {
      return this.#t.#peerList;
    }
    get peerSet() {
      return this.#t.#peers;
    }
    addPeers(addresses: readonly PeerAddress[], source: PeerSource): void {
      this.#t.addPeers(addresses, source);
    }
    get uploadSlots() {
      return this.#t.#uploadSlots;
    }
    get extensions() {
      return this.#t.extensions;
    }
    get requester() {
      return this.#t.#requester;
    }
    needRequester() {
      return this.#t.#needRequester();
    }
    get metadataPeers() {
      return this.#t.#meta ? 0 : (this.#t.#metadataExchangeMade?.fetchingFrom ?? 0);
    }
    get complete() {
      return this.#t.complete;
    }
    get uploaded() {
      return this.#t.uploaded;
    }
    get left() {
      return this.#t.left;
    }
    get partialSeed() {
      return this.#t.#partialSeed;
    }
    get optimistic() {
      return this.#t.#uploadSlotsMade?.optimistic;
    }
    get trackers() {
      return this.#t.#trackersMade?.status() ?? [];
    }
    peer(p: SwarmPeer): PeerInfo {
      return peerInfo(this, p);
    }
    warn(err: unknown): void {
      this.#t.#warn(err);
    }
    get onWarning() {
      return this.#t.#onWarning;
    }
    peerConnected(peer: SwarmPeer): void {
      const t = this.#t;
      t.#trackersMade?.peerConnected();
      t.#uploadSlots.peerJoined();
      t.emit("peer-connected", this.peer(peer));
    }
    peerClosed(peer: SwarmPeer, reason: string): void {
      this.#t.#onPeerClosed(peer, reason);
    }
    peerless(): void {
      this.#t.#onPeerless();
    }
    metadataVerified(info: Buffer): void {
      const t = this.#t;
      if (t.#meta || t.#state === "stopped") return;
      try {
        void t.setMetadata(swarmNow().metainfoOfInfo(info)).catch(t.#onWarning);
      } catch (err) {
        t.#warn(err); // hashes right, but not a torrent we can load
      }
    }
    pieceVerified(index: number): void {
      const t = this.#t;
      t.#resume.pieceVerified();
      t.emit("piece", index);
      t.#streams?.changed();
    }
    completed(): void {
      void this.#t.#onComplete();
    }
    failed(err: Error): void {
      this.#t.#fail(err);
    }
  };

  /** Made for the first peer (its events route to them): an idle seed ranks nobody. */
  get #uploadSlots(): UploadSlots {
    if (!this.#uploadSlotsMade) {
      const { UploadSlots, SlotsHost } = swarmNow();
      this.#uploadSlotsMade = new UploadSlots(new SlotsHost(this.#inner));
      if (this.#uploadSlotsRunning) this.#uploadSlotsMade.start();
    }
    return this.#uploadSlotsMade;
  }

  get #peers(): PeerSet {
    if (!this.#peersMade) {
      const { PeerSet, PeersHost } = swarmNow();
      this.#peersMade = new PeerSet(new PeersHost(this.#inner));
    }
    return this.#peersMade;
  }

  /** BEP 9's exchange: made by ut_metadata's first call (a connection's), or a magnet link's fetch. */
  get #metadataExchange(): MetadataExchange {
    if (!this.#metadataExchangeMade) {
      const { MetadataExchange, MetadataHost } = swarmNow();
      this.#metadataExchangeMade = new MetadataExchange(new MetadataHost(this.#inner));
    }
    return this.#metadataExchangeMade;
  }

  /** The peers to read, without making a set. */
  get #peerList(): PeersView {
    return this.#peersMade ?? NO_PEER_SET;
  }

  get #trackers(): TorrentTrackers {
    this.#trackersMade ??= new TorrentTrackers(new TrackersHost(this.#inner));
    return this.#trackersMade;
  }

  /** Starts announcing: trackers made only when there are some to announce to. */
  #startTrackers(): void {
    if (this.#trackersMade || (this.#o.trackers !== false && this.announceList.length > 0)) {
      this.#trackers.start();
    }
  }

  /**
   * Made by the first verified piece, running as a saver made at #activate
   * would be: started by an activation with the data open (the choke rounds
   * run from each activation to the next deactivation).
   */
  get #resume(): ResumeSaver {
    if (!this.#resumeMade) {
      const { ResumeSaver, ResumeSaverHost } = swarmNow();
      this.#resumeMade = new ResumeSaver(
        new ResumeSaverHost(this.#inner),
        this.#uploadSlotsRunning && this.#storage !== undefined,
      );
    }
    return this.#resumeMade;
  }

  /** Saves the resume data now; with no saver nothing was verified here, and the storage knows what changed. */
  #saveResume(): Promise<void> {
    if (this.#resumeMade) return this.#resumeMade.save();
    return this.#storage?.saveResume().catch(this.#onWarning) ?? Promise.resolve();
  }

  get #onWarning(): (err: unknown) => void {
    this.#onWarningMade ??= (err: unknown) => this.#warn(err);
    return this.#onWarningMade;
  }

  #noMetadata(): TorrentError {
    return new TorrentError(
      "no_metadata",
      `${this.name} has no metadata yet (state ${this.#state})`,
    );
  }

  #warn(err: unknown): void {
    const message = err instanceof Error ? err.message : String(err);
    this.#log.warn("torrent problem", { infoHash: this.infoHashHex, error: message });
    this.emit("warning", message);
  }
}
