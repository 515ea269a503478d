/**
 * The Client (DESIGN.md): many torrents behind one listen port, with global
 * rate and connection limits, the registry of its torrents (short ids,
 * info-hash prefixes), and, when asked, the session kept on disk
 * (session.json, the .torrent copies) and the data dir locked. The CLI, the
 * shell, the api (and through it the daemon) and tests all drive this same
 * object. Peers are dialled and accepted through a Dialer and a Listener
 * (TCP by default, transports.ts); every incoming stream is negotiated and
 * routed by the info hash it names.
 *
 * Its parts, each in its own file: what it shows (client-views.ts, which it
 * extends), keeping the session on disk (session-keeping.ts), the DHT, LSD
 * and IP filter (peer-sources.ts), recheck and move (torrent-reopening.ts),
 * what an add asks of the torrent (add-plan.ts), and the move out of the
 * incomplete folder (incomplete-dir.ts).
 */
import { mkdir, unlink } from "node:fs/promises";
import { join } from "node:path";
import type { DhtStats } from "../dht/index.ts";
import type { Metainfo } from "../metainfo/index.ts";
import type { IpFilter } from "../net/index.ts";
import { resumePathIn } from "../storage/index.ts";
import type { FilePriority, Torrent, TorrentOptions } from "../torrent/index.ts";
import {
  type Clock,
  generatePeerId,
  type Logger,
  type PeerId,
  randomBytesFrom,
  realClock,
  silentLogger,
} from "../util/index.ts";
import { type AddPlan, applyPlan, restorePlan } from "./add-plan.ts";
import { type Automation, startAutomation } from "./automation.ts";
import type { AddOptions, ClientOptions, RemoveOptions, RestoreResult } from "./client-options.ts";
import { ClientViews } from "./client-views.ts";
import { whenComplete } from "./completion.ts";
import { ConnectionGate } from "./connections.ts";
import { type DataDirLock, lockDataDir } from "./data-dir-lock.ts";
import type { SessionEvent } from "./dto.ts";
import { ClientError } from "./errors.ts";
import {
  CompletionMoves,
  incompleteFolderFor,
  restoredIncompleteFolder,
} from "./incomplete-dir.ts";
import { checkLabels, ManagedClient } from "./managed-client.ts";
import { type PeerSourceContext, PeerSources } from "./peer-sources.ts";
import type { TorrentEntry } from "./registry.ts";
import { SessionKeeping } from "./session-keeping.ts";
import { SessionLimits } from "./session-limits.ts";
import { RESUME_DIR } from "./session-persistence.ts";
import { TorrentEventRelay, type TorrentEventSink } from "./torrent-events.ts";
import { torrentFileOf } from "./torrent-files.ts";
import { openTorrent } from "./torrent-opening.ts";
import { moveTorrent, type ReopenContext, recheckTorrent } from "./torrent-reopening.ts";
import { type ResolvedSource, resolveSource, type TorrentSource } from "./torrent-source.ts";
import { type Listener, listenOnTcp, tcpDialer } from "./transports.ts";

export type {
  AddOptions,
  ClientEvents,
  ClientOptions,
  RemoveOptions,
  RestoreResult,
} from "./client-options.ts";

/** How often the global rates are re-shared among torrents. */
const SHARE_PERIOD_MS = 1000;

export class Client extends ClientViews {
  readonly peerId: PeerId;
  readonly #o: ClientOptions;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #limits: SessionLimits;
  readonly #lock: DataDirLock | undefined;
  /** session.json and the .torrent copies, when persisting (session-keeping.ts). */
  readonly #keeping = new SessionKeeping((err) => this.#warn(err));
  readonly #gate: ConnectionGate;
  /** Queues, seeding goals, labels (managed-client.ts). */
  readonly managed: ManagedClient;
  #shareTimer: ReturnType<Clock["setTimeout"]> | undefined;
  #listener: Listener | undefined;
  /** BEP 14, when on (local-discovery.ts); the persisted session's setting if not given. */
  #lsdWanted: boolean | undefined;
  /** DHT, LSD and the IP filter (peer-sources.ts). */
  readonly #sources: PeerSources;
  /** Where new torrents download until complete (incomplete-dir.ts). */
  #incompleteDir: string | undefined;
  #closed = false;
  #resumeDirMade: string | undefined;
  /** The watch folder and the completion command, when asked for. */
  #automation: Automation | undefined;
  /** Data moving out of the incomplete folder as torrents complete. */
  readonly #completionMoves = new CompletionMoves(
    (hash, dir) => this.move(hash, dir),
    (err) => this.#warn(err),
  );
  /** Where every torrent's relay (torrent-events.ts) hands its events: one for the session. */
  readonly #eventSink: TorrentEventSink = {
    emit: (entry, e) => this.#completionMoves.relay(entry, e, (event) => this.#emit(event)),
    changed: (entry) => this.#keeping.request({ put: entry }),
    metadata: (entry, meta) => {
      this.#keeping.track(this.#onMetadata(entry, meta));
    },
  };
  /** Every torrent's dialer and IP filter check: one function each for the session, not one per torrent. */
  readonly #dial: TorrentOptions["dial"] = (host, port) => this.#gate.dial(host, port);
  readonly #blocked = (ip: string): boolean => this.#sources.blocked(ip);
  /** What recheck and move need (torrent-reopening.ts). */
  readonly #reopening: ReopenContext = {
    torrentOptions: (e) => this.#torrentOptions(e.incompleteDir ?? e.downloadDir, e.limits),
    watch: (e) => this.#watch(e),
    schedule: (e) => this.managed.schedule(e),
    emit: (e) => this.#emit(e),
    save: (e) => this.#keeping.save({ put: e }),
  };

  private constructor(o: ClientOptions, lock: DataDirLock | undefined) {
    super();
    this.#o = o;
    this.#lock = lock;
    this.#incompleteDir = o.incompleteDir;
    this.#clock = o.clock ?? realClock;
    this.#log = o.logger ?? silentLogger;
    this.peerId = o.peerId ?? generatePeerId(o.random ? randomBytesFrom(o.random) : undefined);
    this.#lsdWanted = o.lsd;
    this.#sources = new PeerSources(o.ipFilter);
    this.#limits = new SessionLimits(this.#clock, o.uploadLimit ?? 0, o.downloadLimit ?? 0, {
      entries: () => this.registry.entries(),
      connections: () => this.#gate.connections,
    });
    this.managed = new ManagedClient(o, this.#clock, {
      entries: () => this.registry.entries(),
      entry: (hash) => this.entry(hash),
      pause: (hash) => this.pause(hash),
      emit: (e) => this.#emit(e),
      changed: () => this.#keeping.request(),
      save: () => this.#keeping.save(),
    });
    this.showing({
      peerId: this.peerId,
      port: () => this.port,
      downloadDir: o.downloadDir,
      clock: this.#clock,
      limits: this.#limits,
      keeping: this.#keeping,
      sources: this.#sources,
    });
    this.#gate = new ConnectionGate({
      dialer: o.dialer ?? tcpDialer,
      maxConnections: o.maxConnections ?? 200,
      peerId: this.peerId,
      clock: this.#clock,
      logger: this.#log,
      torrent: (hash) => this.get(hash),
      infoHashes: () => this.registry.entries().map((e) => e.torrent.infoHash),
      encryption: o.encryption ?? "enabled",
      blocked: (ip) => this.#sources.blocked(ip),
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
      await mkdir(join(o.dataDir, RESUME_DIR), { recursive: true });
      if (o.persist) await client.#loadSession();
      const listen = o.listen ?? listenOnTcp;
      client.#listener = await listen(o.port ?? 0, o.host);
      const sources = client.#sourceContext();
      if (client.#lsdWanted) await client.#sources.startLocalDiscovery(sources);
      if (o.dht) await client.#sources.startDht(o.dht, sources);
    } catch (err) {
      await client.#listener?.close();
      await client.#sources.close();
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
        const e = client.registry.get(hash);
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
    // Its modules load when configured; started (or failed) before the client is handed out.
    await client.#automation.ready;
    return client;
  }

  get port(): number {
    return this.#listener?.port ?? 0;
  }

  /** The DHT node's counters and table size (BEP 5), when the DHT is on. */
  dhtStats(): DhtStats | undefined {
    return this.#sources.dhtStats();
  }

  /**
   * Sets (or with undefined clears) the IP filter, live: blocked addresses
   * are refused both ways, whatever told us of them (trackers, PEX, DHT,
   * LSD), and open connections to them are closed.
   */
  setIpFilter(filter: IpFilter | undefined): void {
    this.#sources.setIpFilter(filter, this.torrents);
  }

  /** Connections and candidates the IP filter refused since the start. */
  get ipFilterBlocked(): number {
    return this.#sources.ipFilterBlocked;
  }

  /** Whether local service discovery (BEP 14) runs: asked for, and its groups joined. */
  get localDiscovery(): boolean {
    return this.#sources.localDiscovery;
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
    const existing = this.registry.get(infoHashHex);
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
    const torrentOptions = this.#torrentOptions(incompleteDir ?? downloadDir, limits);
    const { paused, waitsForMetadata } = applyPlan(torrentOptions, resolved, opts);
    const { torrent, magnet } = await openTorrent(
      resolved,
      torrentOptions,
      Boolean(opts.restoring),
    );
    // Restoring: opened alongside others, it joins after the one before it.
    await opts.turn;
    if (this.#closed || this.registry.has(infoHashHex)) {
      // Closed, or added twice at once, while its data was being checked.
      await torrent.close();
      throw new ClientError("duplicate_torrent", `'${torrent.name}' was added meanwhile`);
    }
    const entry = this.registry.add({
      infoHashHex,
      torrent,
      addedAt: opts.addedAt ?? Date.now(),
      downloadDir,
      paused,
      limits,
      manage: this.managed.newState(
        opts.labels ? { labels: checkLabels(opts.labels), ...opts.manage } : (opts.manage ?? {}),
      ),
    });
    if (magnet) entry.magnet = magnet;
    if (waitsForMetadata) entry.pauseAfterMetadata = true;
    if (incompleteDir) entry.incompleteDir = incompleteDir;
    if (resolved.meta && resolved.bytes && !this.#keeping.persisting) entry.bytes = resolved.bytes;
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
    if (this.#keeping.persisting && !opts.restoring) {
      if (resolved.meta) {
        await this.#keeping.keepCopy(infoHashHex, resolved.bytes ?? torrentFileOf(resolved.meta));
      }
      await this.#keeping.save({ put: entry });
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
    // One string per folder, kept by every torrent in it (session.json gives each its own copy).
    const folders = new Map<string, string>();
    const folder = (dir: string) => {
      const known = folders.get(dir);
      if (known !== undefined) return known;
      folders.set(dir, dir);
      return dir;
    };
    const result = await this.#keeping.restore(
      (hash) => this.registry.has(hash),
      async (source, p, turn) => {
        const plan = restorePlan(p, turn);
        if (plan.downloadDir !== undefined) plan.downloadDir = folder(plan.downloadDir);
        await this.#add(await resolveSource(source), plan);
      },
    );
    // Without a global limit each torrent's buckets are its own limits
    // already, all a share would give them (as when one is added).
    if (this.#limits.globallyLimited) this.#limits.share();
    this.managed.released();
    for (const w of result.warnings) this.#log.warn("session", { warning: w });
    await this.#keeping.restored(result);
    return result;
  }

  /** Stops a torrent transferring (trackers told, resume data saved); it stays paused. */
  async pause(infoHashHex: string): Promise<void> {
    const entry = this.entry(infoHashHex);
    entry.paused = true;
    entry.manage.queued = false;
    await entry.torrent.pause();
    this.managed.released();
    await this.#keeping.save({ put: entry });
  }

  /** Starts a paused torrent again (or opens again one in `error`). */
  async resume(infoHashHex: string): Promise<void> {
    const entry = this.entry(infoHashHex);
    entry.paused = false;
    this.managed.schedule(entry);
    await this.#keeping.save({ put: entry });
  }

  /** Leaves a torrent's swarm; with `deleteData` its files and resume data go too. */
  async remove(infoHashHex: string, opts: RemoveOptions = {}): Promise<void> {
    const entry = this.registry.delete(infoHashHex);
    if (!entry) return;
    entry.watching?.detach();
    const { torrent } = entry;
    await torrent.close();
    const meta = torrent.metadata;
    if (opts.deleteData) {
      // data-removal.ts loads with the first removal that asks for it (issue 16's start-up).
      const { deleteTorrentData } = await import("./data-removal.ts");
      if (meta) await deleteTorrentData(meta, entry.incompleteDir ?? entry.downloadDir);
      await unlink(this.#resumePath(entry.infoHashHex)).catch(() => {});
    }
    this.managed.released();
    this.emit("removed", entry.infoHashHex);
    this.#emit({ type: "removed", id: entry.id, infoHash: entry.infoHashHex, name: torrent.name });
    if (this.#keeping.persisting) {
      // The list first: a crash between the two leaves a spare copy, never a
      // listed torrent without its .torrent.
      // Whole: session.json itself no longer lists it (users and tools read it).
      await this.#keeping.save();
      await this.#keeping.deleteCopy(entry.infoHashHex);
    }
  }

  /**
   * Verifies every piece on disk again, ignoring resume data: the torrent is
   * opened again (its peers reconnect) and runs as before once checked.
   */
  async recheck(infoHashHex: string): Promise<void> {
    await recheckTorrent(this.entry(infoHashHex), this.#reopening);
  }

  /**
   * Sets every file's priority (one per file; `skip`: not downloaded nor
   * created). Live, and kept with the session. ClientError `bad_selection`
   * for a list that does not fit the torrent.
   */
  async setFilePriorities(infoHashHex: string, priorities: readonly FilePriority[]): Promise<void> {
    const entry = this.entry(infoHashHex);
    try {
      await entry.torrent.setFilePriorities(priorities);
    } catch (err) {
      if ((err as { code?: string }).code !== "bad_selection") throw err;
      throw new ClientError("bad_selection", (err as Error).message, { cause: err });
    }
    await this.#keeping.save({ put: entry });
  }

  /** Sequential download (streaming) and first-and-last-piece priority, live; kept with the session. */
  async setPieceOrder(
    infoHashHex: string,
    order: { sequential?: boolean; firstLastPiecePriority?: boolean },
  ): Promise<void> {
    const entry = this.entry(infoHashHex);
    const t = entry.torrent;
    if (order.sequential !== undefined) t.setSequential(order.sequential);
    if (order.firstLastPiecePriority !== undefined) {
      t.setFirstLastPiecePriority(order.firstLastPiecePriority);
    }
    await this.#keeping.save({ put: entry });
  }

  /**
   * Moves the torrent's data to `downloadDir` (data-move.ts) and opens it
   * there: closed while its files move, then running as before, its resume
   * data still trusted.
   */
  async move(infoHashHex: string, downloadDir: string): Promise<void> {
    await moveTorrent(this.entry(infoHashHex), downloadDir, this.#reopening);
  }

  /** Replaces the torrent's tracker tiers (BEP 12), live; kept with the session. */
  async setTrackers(infoHashHex: string, tiers: string[][]): Promise<void> {
    const entry = this.entry(infoHashHex);
    entry.torrent.setTrackerList(tiers);
    await this.#keeping.save({ put: entry });
  }

  /** Announces to the torrent's trackers now. */
  reannounce(infoHashHex: string): void {
    this.entry(infoHashHex).torrent.announceNow();
  }

  /**
   * Resolves when the torrent has every piece (at once if it has); rejects
   * with ClientError `torrent_error` when it stops on an error, `removed`,
   * `client_closed`, or `timeout` after `timeoutMs` (completion.ts).
   */
  async whenComplete(infoHashHex: string, opts: { timeoutMs?: number } = {}): Promise<void> {
    return whenComplete(this, this.entry(infoHashHex), this.#clock, opts.timeoutMs);
  }

  /** Changes the global rate limits live (bytes/s; 0 = unlimited); kept with the session. */
  setLimits(limits: { upload?: number; download?: number }): void {
    this.#limits.setGlobal(limits);
    this.#keeping.request();
  }

  /** Changes one torrent's own limits live (bytes/s; 0 = only the global ones). */
  setTorrentLimits(infoHashHex: string, limits: { upload?: number; download?: number }): void {
    const entry = this.entry(infoHashHex);
    this.#limits.setTorrent(entry, limits);
    this.#keeping.request({ put: entry });
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
    await this.#keeping.flush();
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
      const entries = this.registry.entries();
      await Promise.all(entries.map((e) => e.torrent.close()));
      for (const e of entries) e.watching?.detach();
      await this.#sources.close();
      await this.flush().catch((err) => this.#warn(err));
      if (this.#o.restorePack) await this.#keeping.writeRestorePack();
    } finally {
      await this.#lock?.release();
    }
  }

  #open(): void {
    if (this.#closed) throw new ClientError("client_closed", "the client is shutting down");
  }

  /** Where every torrent's resume data is, as `<info hash>.json` (one string for all). */
  get #resumeDir(): string {
    this.#resumeDirMade ??= join(this.#o.dataDir, RESUME_DIR);
    return this.#resumeDirMade;
  }

  #resumePath(infoHashHex: string): string {
    return resumePathIn(this.#resumeDir, infoHashHex);
  }

  #torrentOptions(downloadDir: string, limits: TorrentEntry["limits"]): TorrentOptions {
    const o: TorrentOptions = {
      ...this.#o.torrentDefaults,
      downloadDir,
      peerId: this.peerId,
      listenPort: this.port,
      dial: this.#dial,
      resumeDir: this.#resumeDir,
      maxPeers: this.#o.maxPeersPerTorrent ?? 50,
      rateBuckets: limits,
      clock: this.#clock,
      logger: this.#log,
    };
    if (this.#o.random) o.random = this.#o.random;
    if (this.#o.encryption) o.encryption = this.#o.encryption;
    o.blocked = this.#blocked;
    // BEP 5: peers that set the DHT bit hear our node's port.
    const dhtPort = this.#sources.dhtPort;
    if (dhtPort !== undefined) o.dhtPort = dhtPort;
    return o;
  }

  #watch(entry: TorrentEntry): void {
    const sources = this.#sources.watch(entry.torrent, entry.infoHashHex);
    entry.watching = new TorrentEventRelay(entry, this.#eventSink, sources);
  }

  /** The incomplete folder for torrents added from now on (undefined: none). */
  get incompleteDir(): string | undefined {
    return this.#incompleteDir;
  }

  setIncompleteDir(dir: string | undefined): void {
    this.#incompleteDir = dir;
  }

  #sourceContext(): PeerSourceContext {
    const o = this.#o;
    return {
      dataDir: o.dataDir,
      ...(o.host ? { host: o.host } : {}),
      tcpPort: this.port,
      ...(o.udp ? { udp: o.udp } : {}),
      clock: this.#clock,
      logger: this.#log,
      ...(o.random ? { random: o.random } : {}),
    };
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
    await this.#keeping.keepCopy(entry.infoHashHex, copy);
    delete entry.magnet;
    this.#keeping.request({ put: entry });
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

  async #loadSession(): Promise<void> {
    const saved = await this.#keeping.load(
      this.#o.dataDir,
      this.#clock,
      () => ({
        entries: this.registry.entries(),
        limits: this.#limits.global,
        lsd: this.#lsdWanted,
        manage: this.managed.settings(),
      }),
      this.#o.keepLastGoodSession === true,
    );
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
      this.#keeping.request();
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
