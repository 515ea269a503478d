/**
 * Keeping the session on disk as it changes: every change that matters
 * (a torrent added, removed, paused or resumed, a limit set, a state
 * reached) asks for a write; writes within a short while are merged into
 * one, and flush() writes at once (user operations and close() wait for
 * it, so nothing is lost on a clean exit or after an operation returns).
 * A change to one torrent is appended to the journal (session-journal.ts),
 * so adding the 5,000th torrent costs what adding the first did; the whole
 * session is written when other things change, when the journal has grown
 * as long as the session (so its cost per change stays constant), and on
 * close() (a clean exit leaves session.json alone).
 * Loading reads session.json, or migrates the shell's older file once.
 */
import { join } from "node:path";
import { forgetPreloaded, preloadFiles, resumePathIn } from "../storage/index.ts";
import { type Clock, jsonEqual, type TimerHandle } from "../util/index.ts";
import type { RestoreResult } from "./client-options.ts";
import type { Limits } from "./dto.ts";
import { ClientError } from "./errors.ts";
import type { ManageSettings } from "./manager.ts";
import type { TorrentEntry } from "./registry.ts";
import { RESTORE_PACK_FILE, takeRestorePack, writeRestorePack } from "./restore-pack.ts";
import {
  type LoadedSession,
  type PersistedSession,
  type PersistedTorrent,
  type SessionSettings,
  SessionStore,
} from "./session-store.ts";
import { TorrentFileStore } from "./torrent-files.ts";
import type { TorrentSource } from "./torrent-source.ts";

/** The folder of every torrent's resume data in the data dir, as `<info hash>.json`. */
export const RESUME_DIR = "resume";

/** What the session is now, to write. */
export interface CurrentSession {
  entries: readonly TorrentEntry[];
  limits: Limits;
  /** BEP 14 on or off, once the user said (absent: never said). */
  lsd: boolean | undefined;
  /** Queues and seeding goals. */
  manage: ManageSettings;
}

/** Torrents opening their data at once while a session is restored. */
const RESTORE_WINDOW = 16;

/**
 * A restore gives the event loop a turn after this long of work: opening a
 * restored seed reads its files at once (no thread-pool trips), so without
 * a turn a thousand of them would hold off the API's requests until all
 * were back. Timed with Date.now(): the global `performance` is a getter
 * that was a tenth of a thousand seeds' restore in profiles.
 */
const RESTORE_SLICE_MS = 50;

/** How long a requested write waits for more changes to merge with. */
const MERGE_MS = 200;

/** The journal is folded into session.json once it has more records than this or than the session has torrents. */
const MIN_JOURNAL_RECORDS = 64;

/** What changed: one torrent (its entry now), or absent: anything else. */
export type SessionChange = { put: TorrentEntry };

export class SessionPersistence {
  readonly store: SessionStore;
  readonly copies: TorrentFileStore;
  readonly #dataDir: string;
  readonly #clock: Clock;
  readonly #current: () => CurrentSession;
  readonly #failed: (err: unknown) => void;
  /** Persisted torrents not added back yet (restore); kept in every write until then. */
  #pending = new Set<PersistedTorrent>();
  /** Paths whose bytes came in a restore pack, offered to the restore until it ends. */
  #preloaded: string[] = [];
  /** What loading found wrong, for restore to report. */
  warnings: string[] = [];
  #timer: TimerHandle | undefined;
  /**
   * While a restore runs, requested writes wait for its end: torrents coming
   * back change nothing session.json holds (it lists them all already), and
   * a write every MERGE_MS of a thousand-torrent session slowed the restore.
   */
  #restoring = false;
  /** A write asked for that has not begun: later requests join it. */
  #queued: Promise<void> | undefined;
  /** Torrents changed and not written yet. */
  #changed = new Set<TorrentEntry>();
  /** Something not in a single torrent changed: the next write is whole. */
  #whole = false;
  #last: Promise<void> = Promise.resolve();

  constructor(
    dataDir: string,
    clock: Clock,
    current: () => CurrentSession,
    failed: (err: unknown) => void,
    opts: { keepLastGood?: boolean } = {},
  ) {
    this.#dataDir = dataDir;
    this.#clock = clock;
    this.#current = current;
    this.#failed = failed;
    this.store = new SessionStore(dataDir, opts);
    this.copies = new TorrentFileStore(dataDir);
  }

  /**
   * Reads the persisted session (or migrates the shell's older one): its
   * torrents wait for restore(), its settings are returned.
   */
  async load(): Promise<SessionSettings | undefined> {
    const { session, warnings } = await this.#read();
    this.#pending = new Set(session?.torrents ?? []);
    // Taken (and so removed) before anything is written: restore-pack.ts.
    const pack = takeRestorePack(this.#packPath, () => this.store.stampNow());
    if (pack && session) {
      preloadFiles(pack);
      this.#preloaded = [...pack.keys()];
    }
    this.warnings = warnings;
    return session?.settings;
  }

  /**
   * Adds back the persisted torrents not in the session yet, in their
   * order, through `add`. One that cannot come back is a line in the
   * warnings (with what loading found wrong), not an error; either way it
   * leaves the pending list (the registry keeps it from then on, or nobody).
   */
  async restore(
    has: (infoHashHex: string) => boolean,
    add: (source: TorrentSource, p: PersistedTorrent, turn: Promise<void>) => Promise<void>,
  ): Promise<RestoreResult> {
    const warnings = this.warnings;
    this.warnings = [];
    const listed = new Map([...this.#pending].map((p) => [p.infoHash, p]));
    this.#restoring = true;
    try {
      return await this.#restoreAll(has, add, warnings);
    } finally {
      forgetPreloaded(this.#preloaded);
      this.#preloaded = [];
      this.#restoring = false;
      // A torrent that came back as session.json lists it (its state going
      // from checking to seeding is not kept) has nothing to write.
      for (const e of this.#changed) {
        const was = listed.get(e.infoHashHex);
        if (was && jsonEqual(persistedTorrent(e), was)) this.#changed.delete(e);
      }
      if (this.#changed.size > 0 || this.#whole) this.#schedule();
    }
  }

  async #restoreAll(
    has: (infoHashHex: string) => boolean,
    add: (source: TorrentSource, p: PersistedTorrent, turn: Promise<void>) => Promise<void>,
    warnings: string[],
  ): Promise<RestoreResult> {
    const list = [...this.#pending];
    const outcome: (string | { warning: string } | undefined)[] = [];
    // Up to RESTORE_WINDOW torrents open their data at once (opening may
    // wait on the disk: a recheck, many files); each joins the session only
    // after the one before it (`turn`), so they keep their order and ids.
    // The window is kept by the turns themselves (torrent i waits for the
    // turn of i - RESTORE_WINDOW), not by a race over the jobs running: a
    // race per torrent made sixteen reactions each, a thousand seeds' worth
    // of garbage and time.
    const turns: Promise<void>[] = new Array(RESTORE_WINDOW);
    let turn: Promise<void> = Promise.resolve();
    let slice = Date.now();
    for (let i = 0; i < list.length; i++) {
      const p = list[i]!;
      if (i >= RESTORE_WINDOW) await turns[i % RESTORE_WINDOW];
      if (Date.now() - slice >= RESTORE_SLICE_MS) {
        await new Promise<void>((resolve) => setImmediate(resolve));
        slice = Date.now();
      }
      turn = this.#restoreOne(p, i, turn, has, add, outcome);
      turns[i % RESTORE_WINDOW] = turn;
    }
    await turn;
    const restored: string[] = [];
    for (const o of outcome) {
      if (typeof o === "string") restored.push(o);
      else if (o) warnings.push(o.warning);
    }
    return { restored, warnings };
  }

  /**
   * Adds one persisted torrent back; resolves once it and every one before
   * it (`before`) are done, its outcome (its info hash, or a warning) in
   * `outcome[i]`.
   */
  async #restoreOne(
    p: PersistedTorrent,
    i: number,
    before: Promise<void>,
    has: (infoHashHex: string) => boolean,
    add: (source: TorrentSource, p: PersistedTorrent, turn: Promise<void>) => Promise<void>,
    outcome: (string | { warning: string } | undefined)[],
  ): Promise<void> {
    try {
      if (!has(p.infoHash)) {
        await add(this.#sourceOf(p), p, before);
        outcome[i] = p.infoHash;
      }
    } catch (err) {
      outcome[i] = {
        warning: `could not restore '${p.name ?? p.infoHash}': ${(err as Error).message}`,
      };
    }
    // Its turn ends once the one before it is done (an early failure waits too).
    await before;
    this.#pending.delete(p);
  }

  /** What to add a persisted torrent from: its .torrent copy, or what its magnet link said. */
  #sourceOf(p: PersistedTorrent): TorrentSource {
    const meta = this.copies.readMetainfoNow(p.infoHash);
    // A copy is named for its info hash. One whose info dictionary hashes
    // to another (changed on disk) would bring back some other torrent
    // under this one's entry: an entry that still has its magnet link's
    // trackers fetches its metadata again (BEP 9), any other is a warning,
    // its data left alone.
    if (meta && meta.infoHashHex === p.infoHash) return meta;
    if (meta && p.trackers === undefined) {
      throw new ClientError(
        "copy_damaged",
        `its .torrent copy ${this.copies.path(p.infoHash)} is of another torrent (info hash ${meta.infoHashHex})`,
      );
    }
    if (p.trackers === undefined) {
      throw new ClientError(
        "copy_missing",
        `its .torrent copy ${this.copies.path(p.infoHash)} is gone`,
      );
    }
    return {
      infoHash: p.infoHash,
      trackers: p.trackers.flat(),
      peers: p.peers ?? [],
      ...(p.name !== undefined ? { name: p.name } : {}),
    };
  }

  async #read(): Promise<LoadedSession> {
    const loaded = await this.store.load();
    if (loaded.session || loaded.warnings.length > 0) return loaded;
    // The older format's module loads only when there is no session to restore (issue 16's start-up).
    const { migrateLegacySession, retireLegacySession } = await import("./legacy-session.ts");
    const migrated = await migrateLegacySession(this.#dataDir, this.copies);
    if (!migrated) return loaded;
    await this.store.save(migrated.session);
    await retireLegacySession(this.#dataDir);
    return migrated;
  }

  /** A change worth keeping: written soon, merged with others. */
  request(change?: SessionChange): void {
    this.#note(change);
    if (!this.#restoring) this.#schedule();
  }

  /** Writes what was noted after MERGE_MS, merged with what comes meanwhile. */
  #schedule(): void {
    if (this.#timer) return;
    this.#timer = this.#clock.setTimeout(() => {
      this.#timer = undefined;
      this.#writeNow().catch(this.#failed);
    }, MERGE_MS);
  }

  /**
   * Writes now what the session is when the write begins (after any write in
   * progress), with `change` among what it writes; without one, whole.
   */
  flush(change?: SessionChange): Promise<void> {
    this.#note(change);
    return this.#writeNow();
  }

  /**
   * Packs every torrent's .torrent copy and resume data for the next start
   * (restore-pack.ts): once the client has closed, after its last write.
   */
  async writeRestorePack(): Promise<void> {
    await this.#last;
    const hashes = new Set(this.#current().entries.map((e) => e.infoHashHex));
    for (const p of this.#pending) hashes.add(p.infoHash);
    const resumeDir = join(this.#dataDir, RESUME_DIR);
    const paths: string[] = [];
    for (const h of hashes) paths.push(this.copies.path(h), resumePathIn(resumeDir, h));
    await writeRestorePack(this.#packPath, paths, this.store.stampNow());
  }

  get #packPath(): string {
    return join(this.#dataDir, RESTORE_PACK_FILE);
  }

  /** Writes what was noted, after any write in progress. */
  #writeNow(): Promise<void> {
    if (this.#timer) {
      this.#clock.clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    if (this.#queued) return this.#queued;
    const write = this.#last.then(() => {
      this.#queued = undefined;
      return this.#write();
    });
    this.#queued = write;
    this.#last = write.catch(() => {});
    return write;
  }

  #note(change: SessionChange | undefined): void {
    if (change) this.#changed.add(change.put);
    else this.#whole = true;
  }

  #write(): Promise<void> {
    const changed = this.#changed;
    this.#changed = new Set();
    const store = this.store;
    const whole =
      this.#whole ||
      !store.journaling ||
      store.journalRecords + changed.size >
        Math.max(MIN_JOURNAL_RECORDS, this.#current().entries.length);
    this.#whole = false;
    if (changed.size === 0 && !whole) return Promise.resolve();
    let write: Promise<void>;
    if (whole) write = store.save(this.#snapshot());
    else {
      write = store.append([...changed].map((e) => ({ put: persistedTorrent(e) })));
    }
    // What a failed write held is written whole next time.
    return write.catch((err) => {
      this.#whole = true;
      throw err;
    });
  }

  #snapshot(): PersistedSession {
    const { entries, limits, lsd, manage } = this.#current();
    const torrents = entries.map(persistedTorrent);
    if (this.#pending.size > 0) {
      const listed = new Set(torrents.map((t) => t.infoHash));
      for (const p of this.#pending) if (!listed.has(p.infoHash)) torrents.push(p);
    }
    const settings: SessionSettings = {
      uploadLimit: limits.upload,
      downloadLimit: limits.download,
    };
    if (lsd !== undefined) settings.lsd = lsd;
    for (const [key, value] of Object.entries(manage) as [keyof ManageSettings, number][]) {
      settings[key] = value;
    }
    return { settings, torrents };
  }
}

/** One torrent as session.json keeps it. */
export function persistedTorrent(e: TorrentEntry): PersistedTorrent {
  const p: PersistedTorrent = {
    infoHash: e.infoHashHex,
    name: e.torrent.name,
    downloadDir: e.downloadDir,
    paused: e.paused,
    addedAt: e.addedAt,
    uploadLimit: e.limits.upLimit,
    downloadLimit: e.limits.downLimit,
  };
  const t = e.torrent;
  const m = e.manage;
  p.queuePosition = m.position;
  if (m.labels.length > 0) p.labels = m.labels;
  if (m.goals.ratioLimit !== undefined) p.ratioLimit = m.goals.ratioLimit;
  if (m.goals.idleLimitMinutes !== undefined) p.idleLimitMinutes = m.goals.idleLimitMinutes;
  const uploaded = m.uploadedBefore + t.uploaded;
  const downloaded = m.downloadedBefore + t.downloaded;
  if (uploaded > 0) p.uploadedEver = uploaded;
  if (downloaded > 0) p.downloadedEver = downloaded;
  const selection = t.selectionOptions;
  const priorities = selection.filePriorities ?? [];
  const unlisted = selection.unlistedFilePriority;
  if ((unlisted && unlisted !== "normal") || priorities.some((x) => x !== "normal")) {
    // JSON has no holes: a file not named (BEP 53) is null.
    p.filePriorities = Array.from(priorities, (x) => x ?? null);
    if (unlisted) p.unlistedFilePriority = unlisted;
  }
  if (t.sequential) p.sequential = true;
  if (t.firstLastPiecePriority) p.firstLastPiecePriority = true;
  if (t.trackerList) p.trackerList = t.trackerList;
  if (e.incompleteDir) p.incompleteDir = e.incompleteDir;
  if (e.pauseAfterMetadata) p.pauseAfterMetadata = true;
  if (e.magnet) {
    p.trackers = e.magnet.trackers;
    p.peers = e.magnet.peers;
  }
  return p;
}
