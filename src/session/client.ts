/**
 * The Client (DESIGN.md): many torrents behind one listen port, with global
 * rate and connection limits, the registry of its torrents (short ids,
 * info-hash prefixes), and, when asked, the session kept on disk
 * (session.json, the .torrent copies) and the data dir locked. The CLI, the
 * shell, the api (and through it the daemon) and tests all drive this same
 * object. Peers are dialled and accepted through a Dialer and a Listener
 * (TCP by default, transports.ts); every incoming stream is negotiated and
 * routed by the info hash it names.
 */
import { EventEmitter } from "node:events";
import { mkdir, unlink } from "node:fs/promises";
import { join } from "node:path";
import type { DhtStats } from "../dht/index.ts";
import type { Metainfo } from "../metainfo/index.ts";
import { type IpFilter, nodeUdp } from "../net/index.ts";
import { type FilePriority, Torrent, type TorrentOptions } from "../torrent/index.ts";
import {
  type Clock,
  generatePeerId,
  type Logger,
  type PeerId,
  randomBytesFrom,
  realClock,
  silentLogger,
  toHex,
} from "../util/index.ts";
import { type AddPlan, restorePlan } from "./add-plan.ts";
import { type Automation, startAutomation } from "./automation.ts";
import type {
  AddOptions,
  ClientEvents,
  ClientOptions,
  RemoveOptions,
  RestoreResult,
} from "./client-options.ts";
import { whenComplete } from "./completion.ts";
import { ConnectionGate } from "./connections.ts";
import { type DataDirLock, lockDataDir } from "./data-dir-lock.ts";
import { moveTorrentData } from "./data-move.ts";
import { deleteTorrentData } from "./data-removal.ts";
import type { DhtPeerSource } from "./dht-source.ts";
import type {
  ActiveRates,
  ClientView,
  FileView,
  Limits,
  PeerView,
  PieceActivityView,
  SessionEvent,
  TorrentDetail,
  TorrentSummary,
  TrackerView,
} from "./dto.ts";
import { ClientError } from "./errors.ts";
import { clientStream } from "./file-reading.ts";
import { incompleteFolderFor, restoredIncompleteFolder } from "./incomplete-dir.ts";
import type { SessionLocalDiscovery } from "./local-discovery.ts";
import { checkLabels, ManagedClient } from "./managed-client.ts";
import { pieceActivityView } from "./piece-activity-view.ts";
import { type TorrentEntry, TorrentRegistry } from "./registry.ts";
import { SessionLimits } from "./session-limits.ts";
import { type SessionChange, SessionPersistence } from "./session-persistence.ts";
import { watchTorrent } from "./torrent-events.ts";
import { torrentFileOf } from "./torrent-files.ts";
import { openTorrent } from "./torrent-opening.ts";
import {
  type ResolvedSource,
  resolveSource,
  selectOnlyPriorities,
  type TorrentSource,
} from "./torrent-source.ts";
import { type Listener, listenOnTcp, tcpDialer } from "./transports.ts";
import {
  clientView,
  fileViews,
  peerViews,
  torrentDetail,
  torrentSummary,
  trackerViews,
} from "./views.ts";

export type {
  AddOptions,
  ClientEvents,
  ClientOptions,
  RemoveOptions,
  RestoreResult,
} from "./client-options.ts";

/** How often the global rates are re-shared among torrents. */
const SHARE_PERIOD_MS = 1000;

export class Client extends EventEmitter<ClientEvents> {
  readonly peerId: PeerId;
  readonly #o: ClientOptions;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #registry = new TorrentRegistry();
  readonly #limits: SessionLimits;
  readonly #lock: DataDirLock | undefined;
  #persistence: SessionPersistence | undefined;
  readonly #gate: ConnectionGate;
  /** Queues, seeding goals, labels (managed-client.ts). */
  readonly managed: ManagedClient;
  /** Metadata arrivals whose .torrent copy is being written (flush waits for them). */
  readonly #keepingCopies = new Set<Promise<void>>();
  #shareTimer: ReturnType<Clock["setTimeout"]> | undefined;
  #listener: Listener | undefined;
  /** BEP 14, when on (local-discovery.ts); the persisted session's setting if not given. */
  #lsdWanted: boolean | undefined;
  /** Block lists (setIpFilter); addresses refused by them, counted. */
  #ipFilter: IpFilter | undefined;
  #ipFilterBlocked = 0;
  #lsd: SessionLocalDiscovery | undefined;
  #dht: DhtPeerSource | undefined;
  /** Where new torrents download until complete (incomplete-dir.ts). */
  #incompleteDir: string | undefined;
  #closed = false;
  /** The watch folder and the completion command, when asked for. */
  #automation: Automation | undefined;

  private constructor(o: ClientOptions, lock: DataDirLock | undefined) {
    super();
    this.#o = o;
    this.#lock = lock;
    this.#incompleteDir = o.incompleteDir;
    this.#clock = o.clock ?? realClock;
    this.#log = o.logger ?? silentLogger;
    this.peerId = o.peerId ?? generatePeerId(o.random ? randomBytesFrom(o.random) : undefined);
    this.#lsdWanted = o.lsd;
    this.#ipFilter = o.ipFilter;
    this.#limits = new SessionLimits(this.#clock, o.uploadLimit ?? 0, o.downloadLimit ?? 0, {
      entries: () => this.#registry.entries(),
      connections: () => this.#gate.connections,
    });
    this.managed = new ManagedClient(o, this.#clock, {
      entries: () => this.#registry.entries(),
      entry: (hash) => this.#entry(hash),
      pause: (hash) => this.pause(hash),
      emit: (e) => this.#emit(e),
      changed: () => this.#persistence?.request(),
      save: () => this.#save(),
    });
    this.#gate = new ConnectionGate({
      dialer: o.dialer ?? tcpDialer,
      maxConnections: o.maxConnections ?? 200,
      peerId: this.peerId,
      clock: this.#clock,
      logger: this.#log,
      torrent: (hash) => this.get(hash),
      infoHashes: () => this.#registry.entries().map((e) => e.torrent.infoHash),
      encryption: o.encryption ?? "enabled",
      blocked: (ip) => this.#blocked(ip),
      closed: () => this.#closed,
    });
  }

  /**
   * Starts a client: takes the data dir's lock when asked (before anything
   * else, so a second shoal is refused at once), creates its folders, reads
   * the persisted session, and opens the listen port.
   */
  static async start(o: ClientOptions): Promise<Client> {
    await mkdir(o.dataDir, { recursive: true });
    const lock = o.lock ? await lockDataDir(o.dataDir) : undefined;
    const client = new Client(o, lock);
    try {
      await mkdir(join(o.dataDir, "resume"), { recursive: true });
      if (o.persist) await client.#loadSession();
      const listen = o.listen ?? listenOnTcp;
      client.#listener = await listen(o.port ?? 0, o.host);
      if (client.#lsdWanted) await client.#startLocalDiscovery();
      if (o.dht) client.#dht = await client.#startDht(o.dht);
    } catch (err) {
      await client.#listener?.close();
      await client.#lsd?.close();
      await lock?.release();
      throw err;
    }
    client.#listener.on("connection", (t) => void client.#gate.accept(t));
    client.#scheduleShare();
    client.#automation = startAutomation(o, {
      clock: client.#clock,
      logger: client.#log,
      add: (bytes) => client.add(bytes),
      completed: (hash) => {
        const e = client.#registry.get(hash);
        if (!e) return undefined;
        return {
          id: e.id,
          infoHash: e.infoHashHex,
          name: e.torrent.name,
          downloadDir: e.downloadDir,
          size: e.torrent.metadata?.totalLength ?? 0,
          labels: e.manage.labels,
        };
      },
      on: (event, listener) => client.on(event, listener),
      off: (event, listener) => client.off(event, listener),
    });
    return client;
  }

  get port(): number {
    return this.#listener?.port ?? 0;
  }

  /** The DHT node's counters and table size (BEP 5), when the DHT is on. */
  dhtStats(): DhtStats | undefined {
    return this.#dht?.stats();
  }

  async #startDht(o: NonNullable<ClientOptions["dht"]>): Promise<DhtPeerSource> {
    // Loaded when asked for: a client without the DHT (or LSD, below) never
    // loads those modules (about 14 ms and a few MiB of a daemon's start).
    const { DhtPeerSource } = await import("./dht-source.ts");
    const udp = o.udp ?? this.#o.udp;
    return DhtPeerSource.start(udp ? { ...o, udp } : o, {
      dataDir: this.#o.dataDir,
      ...(this.#o.host ? { host: this.#o.host } : {}),
      tcpPort: this.port,
      clock: this.#clock,
      logger: this.#log,
      ...(this.#o.random ? { random: this.#o.random } : {}),
    });
  }

  /**
   * Sets (or with undefined clears) the IP filter, live: blocked addresses
   * are refused both ways, whatever told us of them (trackers, PEX, DHT,
   * LSD), and open connections to them are closed.
   */
  setIpFilter(filter: IpFilter | undefined): void {
    this.#ipFilter = filter;
    if (!filter) return;
    for (const t of this.torrents) t.closePeers((ip) => filter.blocked(ip));
  }

  /** Connections and candidates the IP filter refused since the start. */
  get ipFilterBlocked(): number {
    return this.#ipFilterBlocked;
  }

  #blocked(ip: string): boolean {
    if (!this.#ipFilter?.blocked(ip)) return false;
    this.#ipFilterBlocked++;
    return true;
  }

  /** Whether local service discovery (BEP 14) runs: asked for, and its groups joined. */
  get localDiscovery(): boolean {
    return this.#lsd !== undefined;
  }

  get torrents(): Torrent[] {
    return this.#registry.entries().map((e) => e.torrent);
  }

  get(infoHashHex: string): Torrent | undefined {
    return this.#registry.get(infoHashHex)?.torrent;
  }

  /**
   * The info hash of a torrent named by its short id (`2`) or a unique
   * prefix of its info hash (`3fa2`). Throws ClientError `missing_ref`,
   * `not_found` or `ambiguous`.
   */
  resolve(ref: string | number | undefined): string {
    return this.#registry.resolve(ref).infoHashHex;
  }

  /**
   * Adds a torrent: a .torrent's path or bytes, parsed metainfo (its data is
   * checked before this resolves), or a magnet URI or info hash description
   * (the torrent starts in its metadata state). Starts it unless paused.
   */
  async add(source: TorrentSource, opts: AddOptions = {}): Promise<Torrent> {
    this.#open();
    return this.#add(await resolveSource(source), opts);
  }

  async #add(resolved: ResolvedSource, opts: AddPlan): Promise<Torrent> {
    const infoHashHex = resolved.meta ? resolved.meta.infoHashHex : resolved.infoHashHex;
    const existing = this.#registry.get(infoHashHex);
    if (existing) {
      throw new ClientError(
        "duplicate_torrent",
        `'${existing.torrent.name}' (${infoHashHex}) is already added as [${existing.id}]`,
      );
    }
    if (opts.labels) checkLabels(opts.labels);
    const limits = this.#limits.torrentLimits(opts.uploadLimit ?? 0, opts.downloadLimit ?? 0);
    const downloadDir = opts.downloadDir ?? this.#o.downloadDir;
    const incompleteDir = opts.restoring
      ? opts.incompleteDir &&
        (await restoredIncompleteFolder(resolved.meta, downloadDir, opts.incompleteDir))
      : await incompleteFolderFor(resolved.meta, downloadDir, this.#incompleteDir);
    const torrentOptions = this.#torrentOptions(infoHashHex, incompleteDir ?? downloadDir, limits);
    if (opts.verify) torrentOptions.verify = true;
    if (opts.onCheckProgress) torrentOptions.onCheckProgress = opts.onCheckProgress;
    if (opts.filePriorities) torrentOptions.filePriorities = opts.filePriorities;
    if (opts.unlistedFilePriority) torrentOptions.unlistedFilePriority = opts.unlistedFilePriority;
    // BEP 53: a magnet link's `so` selects the only files to download (a choice given here wins).
    if (!resolved.meta && resolved.selectOnly && !opts.filePriorities) {
      torrentOptions.filePriorities = selectOnlyPriorities(resolved.selectOnly);
      torrentOptions.unlistedFilePriority = "skip";
    }
    if (opts.sequential) torrentOptions.sequential = true;
    if (opts.encryption) torrentOptions.encryption = opts.encryption;
    if (opts.firstLastPiecePriority) torrentOptions.firstLastPiecePriority = true;
    if (opts.trackerList) torrentOptions.trackerList = opts.trackerList;
    // Asked to pause after the metadata: a .torrent has it, so it is added paused.
    const waitsForMetadata = opts.pauseAfterMetadata === true && !resolved.meta;
    const paused = Boolean(opts.paused) || (opts.pauseAfterMetadata === true && !waitsForMetadata);
    if (waitsForMetadata) torrentOptions.pauseAfterMetadata = true;
    const { torrent, magnet } = await openTorrent(
      resolved,
      torrentOptions,
      Boolean(opts.restoring),
    );
    // Restoring: opened alongside others, it joins after the one before it.
    await opts.turn;
    if (this.#closed || this.#registry.has(infoHashHex)) {
      // Closed, or added twice at once, while its data was being checked.
      await torrent.close();
      throw new ClientError("duplicate_torrent", `'${torrent.name}' was added meanwhile`);
    }
    const entry = this.#registry.add({
      infoHashHex,
      torrent,
      addedAt: opts.addedAt ?? Date.now(),
      downloadDir,
      paused,
      limits,
      manage: this.managed.newState({
        ...(opts.labels ? { labels: checkLabels(opts.labels) } : {}),
        ...opts.manage,
      }),
    });
    if (magnet) entry.magnet = magnet;
    if (waitsForMetadata) entry.pauseAfterMetadata = true;
    if (incompleteDir) entry.incompleteDir = incompleteDir;
    if (resolved.meta && resolved.bytes && !this.#persistence) entry.bytes = resolved.bytes;
    this.#watch(entry);
    // Sharing the rates walks every torrent: once after a restore, not per
    // torrent; and without a global limit a new torrent's buckets are its own
    // limits already, all a share would give them (adding stays O(1)).
    if (!opts.restoring && this.#limits.globallyLimited) this.#limits.share();
    if (opts.peers?.length) torrent.addPeers(opts.peers.map((p) => ({ ip: p.host, port: p.port })));
    this.emit("added", torrent);
    this.#emit({ type: "added", id: entry.id, infoHash: infoHashHex, name: torrent.name });
    // Restoring: the queue is decided once every torrent is back (restore()).
    if (!paused && torrent.state !== "error") this.managed.schedule(entry, opts.restoring);
    if (this.#persistence && !opts.restoring) {
      if (resolved.meta) {
        await this.#keepCopy(infoHashHex, resolved.bytes ?? torrentFileOf(resolved.meta));
      }
      await this.#save({ put: entry });
    }
    return torrent;
  }

  /**
   * Adds back the torrents of the persisted session, in their order, with
   * their settings, paused if they were (their resume data makes it quick).
   * A torrent that cannot come back is reported, not fatal; one whose data
   * cannot be opened comes back in its `error` state.
   */
  async restore(): Promise<RestoreResult> {
    this.#open();
    if (!this.#persistence) return { restored: [], warnings: [] };
    const result = await this.#persistence.restore(
      (hash) => this.#registry.has(hash),
      async (source, p, turn) => {
        await this.#add(await resolveSource(source), restorePlan(p, turn));
      },
    );
    this.#limits.share();
    this.managed.released();
    for (const w of result.warnings) this.#log.warn("session", { warning: w });
    await this.#save();
    return result;
  }

  /** Stops a torrent transferring (trackers told, resume data saved); it stays paused. */
  async pause(infoHashHex: string): Promise<void> {
    const entry = this.#entry(infoHashHex);
    entry.paused = true;
    entry.manage.queued = false;
    await entry.torrent.pause();
    this.managed.released();
    await this.#save({ put: entry });
  }

  /** Starts a paused torrent again (or opens again one in `error`). */
  async resume(infoHashHex: string): Promise<void> {
    const entry = this.#entry(infoHashHex);
    entry.paused = false;
    this.managed.schedule(entry);
    await this.#save({ put: entry });
  }

  /** Leaves a torrent's swarm; with `deleteData` its files and resume data go too. */
  async remove(infoHashHex: string, opts: RemoveOptions = {}): Promise<void> {
    const entry = this.#registry.delete(infoHashHex);
    if (!entry) return;
    entry.detach?.();
    const { torrent } = entry;
    await torrent.close();
    const meta = torrent.metadata;
    if (opts.deleteData) {
      if (meta) await deleteTorrentData(meta, entry.incompleteDir ?? entry.downloadDir);
      await unlink(this.#resumePath(entry.infoHashHex)).catch(() => {});
    }
    this.managed.released();
    this.emit("removed", entry.infoHashHex);
    this.#emit({ type: "removed", id: entry.id, infoHash: entry.infoHashHex, name: torrent.name });
    if (this.#persistence) {
      // The list first: a crash between the two leaves a spare copy, never a
      // listed torrent without its .torrent.
      // Whole: session.json itself no longer lists it (users and tools read it).
      await this.#save();
      await this.#persistence.copies.delete(entry.infoHashHex);
    }
  }

  /**
   * Verifies every piece on disk again, ignoring resume data: the torrent is
   * opened again (its peers reconnect) and runs as before once checked.
   */
  async recheck(infoHashHex: string): Promise<void> {
    const entry = this.#entry(infoHashHex);
    const old = entry.torrent;
    const meta = old.metadata;
    if (!meta) throw new ClientError("no_metadata", `'${old.name}' has no metadata to check yet`);
    if (old.state === "checking") return;
    entry.detach?.();
    entry.manage.uploadedBefore += old.uploaded;
    entry.manage.downloadedBefore += old.stats().downloaded;
    await old.close();
    const torrentOptions = this.#torrentOptions(
      entry.infoHashHex,
      entry.incompleteDir ?? entry.downloadDir,
      entry.limits,
    );
    const torrent = new Torrent({
      ...torrentOptions,
      meta,
      verify: true,
      ...old.selectionOptions,
      ...(old.trackerList ? { trackerList: old.trackerList } : {}),
    });
    entry.torrent = torrent;
    this.#watch(entry);
    this.#emit({
      type: "state",
      id: entry.id,
      infoHash: entry.infoHashHex,
      state: torrent.state,
      previous: old.state,
    });
    if (!entry.paused) this.managed.schedule(entry);
  }

  /**
   * Sets every file's priority (one per file; `skip`: not downloaded nor
   * created). Live, and kept with the session. ClientError `bad_selection`
   * for a list that does not fit the torrent.
   */
  async setFilePriorities(infoHashHex: string, priorities: readonly FilePriority[]): Promise<void> {
    const entry = this.#entry(infoHashHex);
    try {
      await entry.torrent.setFilePriorities(priorities);
    } catch (err) {
      if ((err as { code?: string }).code !== "bad_selection") throw err;
      throw new ClientError("bad_selection", (err as Error).message, { cause: err });
    }
    await this.#save({ put: entry });
  }

  /** Sequential download (streaming) and first-and-last-piece priority, live; kept with the session. */
  async setPieceOrder(
    infoHashHex: string,
    order: { sequential?: boolean; firstLastPiecePriority?: boolean },
  ): Promise<void> {
    const entry = this.#entry(infoHashHex);
    const t = entry.torrent;
    if (order.sequential !== undefined) t.setSequential(order.sequential);
    if (order.firstLastPiecePriority !== undefined) {
      t.setFirstLastPiecePriority(order.firstLastPiecePriority);
    }
    await this.#save({ put: entry });
  }

  /**
   * Moves the torrent's data to `downloadDir` (data-move.ts) and opens it
   * there: closed while its files move, then running as before, its resume
   * data still trusted.
   */
  async move(infoHashHex: string, downloadDir: string): Promise<void> {
    const entry = this.#entry(infoHashHex);
    const old = entry.torrent;
    entry.detach?.();
    entry.manage.uploadedBefore += old.uploaded;
    entry.manage.downloadedBefore += old.stats().downloaded;
    await old.close();
    const meta = old.metadata;
    // A move that fails (no room, no right to write there) leaves the torrent
    // running where its data is, and says why.
    let failed: unknown;
    if (meta) {
      await moveTorrentData(meta, entry.incompleteDir ?? entry.downloadDir, downloadDir).catch(
        (err) => {
          failed = err;
        },
      );
    }
    if (failed === undefined) {
      entry.downloadDir = downloadDir;
      delete entry.incompleteDir;
    }
    const o = this.#torrentOptions(
      entry.infoHashHex,
      entry.incompleteDir ?? entry.downloadDir,
      entry.limits,
    );
    const source: TorrentSource = meta ?? {
      infoHash: entry.infoHashHex,
      trackers: entry.magnet?.trackers.flat() ?? [],
      peers: entry.magnet?.peers ?? [],
      ...(entry.magnet?.name !== undefined ? { name: entry.magnet.name } : {}),
    };
    const { torrent } = await openTorrent(
      await resolveSource(source),
      {
        ...o,
        ...old.selectionOptions,
        ...(old.trackerList ? { trackerList: old.trackerList } : {}),
      },
      true,
    );
    entry.torrent = torrent;
    this.#watch(entry);
    if (!entry.paused && torrent.state !== "error") this.managed.schedule(entry);
    await this.#save({ put: entry });
    if (failed !== undefined) throw failed;
  }

  /** Replaces the torrent's tracker tiers (BEP 12), live; kept with the session. */
  async setTrackers(infoHashHex: string, tiers: string[][]): Promise<void> {
    const entry = this.#entry(infoHashHex);
    entry.torrent.setTrackerList(tiers);
    await this.#save({ put: entry });
  }

  /** Announces to the torrent's trackers now. */
  reannounce(infoHashHex: string): void {
    this.#entry(infoHashHex).torrent.announceNow();
  }

  /**
   * Resolves when the torrent has every piece (at once if it has); rejects
   * with ClientError `torrent_error` when it stops on an error, `removed`,
   * `client_closed`, or `timeout` after `timeoutMs` (completion.ts).
   */
  async whenComplete(infoHashHex: string, opts: { timeoutMs?: number } = {}): Promise<void> {
    return whenComplete(this, this.#entry(infoHashHex), this.#clock, opts.timeoutMs);
  }

  /** Changes the global rate limits live (bytes/s; 0 = unlimited); kept with the session. */
  setLimits(limits: { upload?: number; download?: number }): void {
    this.#limits.setGlobal(limits);
    this.#persistence?.request();
  }

  /** Changes one torrent's own limits live (bytes/s; 0 = only the global ones). */
  setTorrentLimits(infoHashHex: string, limits: { upload?: number; download?: number }): void {
    const entry = this.#entry(infoHashHex);
    this.#limits.setTorrent(entry, limits);
    this.#persistence?.request({ put: entry });
  }

  /** The limits in force: global, and each torrent's own. */
  limits(): Limits & { torrents: Record<string, Limits> } {
    return this.#limits.all();
  }

  /** Resolves once every completion command started so far has ended (completion-command.ts). */
  completionCommandsSettled(): Promise<void> {
    return this.#automation?.commandsSettled() ?? Promise.resolve();
  }

  /**
   * Writes the persisted session now, with every change known so far (user
   * operations and close() do it themselves).
   */
  async flush(): Promise<void> {
    await Promise.all(this.#keepingCopies);
    await this.#persistence?.flush();
  }

  // ---- views (dto.ts) -------------------------------------------------------------

  view(): ClientView {
    const view = clientView(this.#registry.entries(), {
      peerId: toHex(this.peerId),
      port: this.port,
      limits: this.#limits.global,
      downloadDir: this.#o.downloadDir,
    });
    const dht = this.#dht?.stats();
    if (dht) view.dht = dht;
    return view;
  }

  /** The session's rates (bytes/s), the sum of every torrent's; cheap while no peer is connected. */
  rates(): { downloadRate: number; uploadRate: number } {
    return this.#limits.rates();
  }

  /** The session's rates and each torrent moving data, in one walk; none walked while no peer is connected. */
  activeRates(): ActiveRates {
    return this.#limits.activeRates();
  }

  summaries(): TorrentSummary[] {
    return this.#registry.entries().map(torrentSummary);
  }

  summary(infoHashHex: string): TorrentSummary {
    return torrentSummary(this.#entry(infoHashHex));
  }

  detail(infoHashHex: string): TorrentDetail {
    const entry = this.#entry(infoHashHex);
    const copy =
      this.#persistence && entry.torrent.metadata
        ? this.#persistence.copies.path(entry.infoHashHex)
        : undefined;
    return torrentDetail(entry, this.#clock.now(), copy);
  }

  peers(infoHashHex: string): PeerView[] {
    return peerViews(this.#entry(infoHashHex).torrent);
  }

  /** Have, availability and in-flight pieces, for a live piece map. */
  pieceActivity(infoHashHex: string): PieceActivityView {
    return pieceActivityView(this.#entry(infoHashHex).torrent);
  }

  files(infoHashHex: string): FileView[] {
    return fileViews(this.#entry(infoHashHex).torrent);
  }

  trackers(infoHashHex: string): TrackerView[] {
    return trackerViews(this.#entry(infoHashHex), this.#clock.now());
  }

  /**
   * Bytes [start, end) of file `index`, each piece's once verified; the
   * torrent fetches them first while the reader waits (streaming).
   * ClientError `no_metadata`, `not_found`, `file_skipped` or `bad_range` at
   * once; `timeout` or `torrent_error` while reading (file-reading.ts).
   */
  readFile(
    infoHashHex: string,
    index: number,
    range: { start: number; end: number },
    opts: { signal?: AbortSignal } = {},
  ): AsyncGenerator<Buffer> {
    const torrent = this.#entry(infoHashHex).torrent;
    return clientStream(() => torrent.readFile(index, range.start, range.end, opts));
  }

  /** The .torrent file: as given, or the session's copy, or made from the metadata. */
  async torrentFile(infoHashHex: string): Promise<Buffer> {
    const entry = this.#entry(infoHashHex);
    const bytes = entry.bytes ?? (await this.#persistence?.copies.read(entry.infoHashHex));
    if (bytes) return bytes;
    if (!entry.torrent.metadata) {
      throw new ClientError("no_metadata", `'${entry.torrent.name}' has no metadata yet`);
    }
    return torrentFileOf(entry.torrent.metadata);
  }

  // ---- life ------------------------------------------------------------------------

  /**
   * Graceful: `stopped` announces, resume data saved, files and the port
   * closed, the session written, the data dir's lock let go.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#shareTimer) this.#clock.clearTimeout(this.#shareTimer);
    try {
      await this.#automation?.close();
      await this.#listener?.close();
      const entries = this.#registry.entries();
      await Promise.all(entries.map((e) => e.torrent.close()));
      for (const e of entries) e.detach?.();
      await this.#lsd?.close();
      await this.#dht?.close();
      await this.flush().catch((err) => this.#warn(err));
    } finally {
      await this.#lock?.release();
    }
  }

  #open(): void {
    if (this.#closed) throw new ClientError("client_closed", "the client is shutting down");
  }

  #entry(infoHashHex: string): TorrentEntry {
    const entry = this.#registry.get(infoHashHex);
    if (!entry) {
      throw new ClientError("unknown_torrent", `no torrent ${infoHashHex} in this client`);
    }
    return entry;
  }

  #resumePath(infoHashHex: string): string {
    return join(this.#o.dataDir, "resume", `${infoHashHex}.json`);
  }

  #torrentOptions(
    infoHashHex: string,
    downloadDir: string,
    limits: TorrentEntry["limits"],
  ): TorrentOptions {
    const o: TorrentOptions = {
      ...this.#o.torrentDefaults,
      downloadDir,
      peerId: this.peerId,
      listenPort: this.port,
      dial: (host, port) => this.#gate.dial(host, port),
      resumePath: this.#resumePath(infoHashHex),
      maxPeers: this.#o.maxPeersPerTorrent ?? 50,
      uploadBuckets: [limits.up, this.#limits.shares.upload],
      downloadBuckets: [limits.down, this.#limits.shares.download],
      clock: this.#clock,
      logger: this.#log,
    };
    if (this.#o.random) o.random = this.#o.random;
    if (this.#o.encryption) o.encryption = this.#o.encryption;
    o.blocked = (ip) => this.#blocked(ip);
    // BEP 5: peers that set the DHT bit hear our node's port.
    if (this.#dht) o.dhtPort = this.#dht.port;
    return o;
  }

  #watch(entry: TorrentEntry): void {
    const lsd = this.#lsd?.watch(entry.torrent, entry.infoHashHex);
    const unwatchDht = this.#dht?.watch(entry.torrent);
    const events = watchTorrent(entry, {
      emit: (e) => this.#emitAfterMove(entry, e),
      changed: () => this.#persistence?.request({ put: entry }),
      metadata: (e, meta) => {
        const work = this.#onMetadata(e, meta);
        this.#keepingCopies.add(work);
        void work.finally(() => this.#keepingCopies.delete(work));
      },
    });
    entry.detach = () => {
      events();
      lsd?.();
      unwatchDht?.();
    };
  }

  /**
   * A torrent in the incomplete folder that has every wanted piece moves to
   * its download folder; its `completed` event waits for the move (so the
   * command run on completion finds the data where it stays).
   */
  #emitAfterMove(entry: TorrentEntry, e: SessionEvent): void {
    if (entry.incompleteDir && e.type === "state" && e.state === "seeding") {
      const hash = entry.infoHashHex;
      const moving = new Promise<void>((r) => setImmediate(r))
        .then(() => this.move(hash, entry.downloadDir))
        .catch((err) => this.#warn(err))
        .finally(() => this.#moving.delete(hash));
      this.#moving.set(hash, moving);
    }
    const moving = this.#moving.get(entry.infoHashHex);
    if (moving && e.type === "completed") void moving.then(() => this.#emit(e));
    else this.#emit(e);
  }

  /** Torrents whose data is moving out of the incomplete folder, by info hash. */
  readonly #moving = new Map<string, Promise<void>>();

  /** The incomplete folder for torrents added from now on (undefined: none). */
  get incompleteDir(): string | undefined {
    return this.#incompleteDir;
  }

  setIncompleteDir(dir: string | undefined): void {
    this.#incompleteDir = dir;
  }

  async #startLocalDiscovery(): Promise<void> {
    const { lsdFamilies, SessionLocalDiscovery } = await import("./local-discovery.ts");
    const o: Parameters<typeof SessionLocalDiscovery.start>[0] = {
      network: this.#o.udp ?? nodeUdp,
      listenPort: this.port,
      families: lsdFamilies(this.#o.host),
      clock: this.#clock,
      logger: this.#log,
    };
    if (this.#o.random) o.random = this.#o.random;
    this.#lsd = await SessionLocalDiscovery.start(o);
  }

  /** A magnet link's torrent got its metadata: the session keeps its .torrent from now on. */
  async #onMetadata(entry: TorrentEntry, meta: Metainfo): Promise<void> {
    if (entry.pauseAfterMetadata) {
      // The torrent rests paused in this same turn (its pauseAfterMetadata):
      // the user's pause from now on, and its queue place goes to the next.
      delete entry.pauseAfterMetadata;
      entry.paused = true;
      entry.manage.queued = false;
      this.managed.released();
    }
    // The copy first: until it is written the list keeps the magnet link's
    // trackers and peers, so a crash in between loses nothing.
    const copy = torrentFileOf(meta, entry.magnet?.trackers);
    if (this.#persistence) await this.#keepCopy(entry.infoHashHex, copy);
    delete entry.magnet;
    this.#persistence?.request({ put: entry });
  }

  async #keepCopy(infoHashHex: string, bytes: Uint8Array): Promise<void> {
    await this.#persistence?.copies.put(infoHashHex, bytes).catch((err) => this.#warn(err));
  }

  #emit(event: SessionEvent): void {
    try {
      this.emit("event", event);
    } catch (err) {
      // A subscriber's bug must not break a torrent in the middle of a state
      // change (events are emitted from inside it): it surfaces on its own.
      queueMicrotask(() => {
        throw err;
      });
    }
  }

  #warn(err: unknown): void {
    const message = `the session could not be saved: ${(err as Error).message}`;
    this.#log.warn("session", { error: (err as Error).message });
    this.#emit({ type: "warning", message });
  }

  /**
   * Writes the session after a user's operation (`change`: what it changed,
   * when one torrent); a failure is a warning, not the operation's.
   */
  async #save(change?: SessionChange): Promise<void> {
    await this.#persistence?.flush(change).catch((err) => this.#warn(err));
  }

  async #loadSession(): Promise<void> {
    const persistence = new SessionPersistence(
      this.#o.dataDir,
      this.#clock,
      () => ({
        entries: this.#registry.entries(),
        limits: this.#limits.global,
        lsd: this.#lsdWanted,
        manage: this.managed.settings(),
      }),
      (err) => this.#warn(err),
      { keepLastGood: this.#o.keepLastGoodSession === true },
    );
    const saved = await persistence.load();
    this.#persistence = persistence;
    // Limits given now win over the saved ones, and are saved in their turn.
    this.#limits.shares.setGlobal({
      upload: this.#o.uploadLimit ?? saved?.uploadLimit ?? 0,
      download: this.#o.downloadLimit ?? saved?.downloadLimit ?? 0,
    });
    this.#lsdWanted ??= saved?.lsd;
    if (saved) this.managed.restoreSettings(saved);
    if (
      this.#o.uploadLimit !== undefined ||
      this.#o.downloadLimit !== undefined ||
      this.#o.lsd !== undefined
    ) {
      persistence.request();
    }
  }

  #scheduleShare(): void {
    this.#shareTimer = this.#clock.setTimeout(() => {
      // Without a global limit each torrent's bucket is just its own limit,
      // set whenever a limit changes: nothing to re-share every second.
      if (this.#limits.globallyLimited) this.#limits.share();
      this.managed.tick();
      if (!this.#closed) this.#scheduleShare();
    }, SHARE_PERIOD_MS);
  }
}
