/**
 * The persisted session: <data-dir>/session.json, the torrents of the
 * session (in the order they were added) with their settings and whether
 * the user paused them, and the client's own settings (the global rate
 * limits). Written atomically (atomic-file.ts), so it survives `kill -9`.
 *
 * A file that cannot be read as a session (cut short by a disk error,
 * edited by hand) costs its torrents, never the start: it is kept as
 * session.json.bad, one warning says so, and the session starts empty.
 * Entries that make no sense are skipped, with one warning for all of them.
 *
 * With `keepLastGood` (the daemon's choice), each write first keeps the
 * file it replaces, known good, as session.json.prev (a hard link: the file
 * stays in place until the new one is renamed over it): a damaged or
 * missing session.json is then recovered from that copy, with a warning
 * that says so.
 *
 * Changes to single torrents go to the journal (session-journal.ts) when
 * the session allows (append), and are applied on top when loading; a
 * whole write (save) makes a new generation and removes the journal.
 */
import { statSync } from "node:fs";
import { copyFile, link, readFile, rename, unlink } from "node:fs/promises";
import { join } from "node:path";
import { FILE_PRIORITIES, type FilePriority } from "../torrent/index.ts";
import { writeFileAtomic } from "./atomic-file.ts";
import {
  appendJournal,
  JOURNAL_FILE,
  type JournalRecord,
  readJournal,
  removeJournal,
} from "./session-journal.ts";

export const SESSION_FILE = "session.json";
/** The format of session.json; a file from a newer shoal is refused, not misread. */
export const SESSION_VERSION = 1;

/** The client's own settings. */
export interface SessionSettings {
  /** Global rate limits in bytes/s; 0 = none. */
  uploadLimit: number;
  downloadLimit: number;
  /** Local service discovery (BEP 14) on; absent: never set, so off. */
  lsd?: boolean;
  /** Queues and seeding goals (manager.ts); absent: none. */
  maxActiveDownloads?: number;
  maxActiveSeeds?: number;
  stalledMinutes?: number;
  ratioLimit?: number;
  idleLimitMinutes?: number;
}

const MANAGE_SETTINGS = [
  "maxActiveDownloads",
  "maxActiveSeeds",
  "stalledMinutes",
  "ratioLimit",
  "idleLimitMinutes",
] as const;

/** One torrent of the session, as persisted. */
export interface PersistedTorrent {
  /** 40 lower-case hex digits; its .torrent copy is torrents/<infoHash>.torrent. */
  infoHash: string;
  /** Shown when its metadata (and .torrent copy) is not there yet. */
  name?: string;
  downloadDir: string;
  /** The user paused it: it comes back paused. */
  paused: boolean;
  /** When it was added, in ms since the Unix epoch. */
  addedAt: number;
  /** Its own rate limits in bytes/s; 0 = only the global ones. */
  uploadLimit: number;
  downloadLimit: number;
  /** A priority per file, when any is not `normal` (selective download). */
  filePriorities?: (FilePriority | null)[];
  /** Before a magnet link's metadata: the priority of files the list leaves out (BEP 53's `so`: skip). */
  unlistedFilePriority?: FilePriority;
  /** Pieces in order (streaming). */
  sequential?: boolean;
  /** First and last piece of each wanted file first. */
  firstLastPiecePriority?: boolean;
  /** Its place in the queue (0 first). */
  queuePosition?: number;
  labels?: string[];
  /** Its own seeding goals: a number, or null for none; absent: the session's. */
  ratioLimit?: number | null;
  idleLimitMinutes?: number | null;
  /** Bytes sent and received over every run. */
  uploadedEver?: number;
  downloadedEver?: number;
  /** A magnet link's trackers (BEP 12 tiers) and peers, until its metadata arrives. */
  trackers?: string[][];
  /** Until its metadata arrives: paused as it does (AddOptions.pauseAfterMetadata). */
  pauseAfterMetadata?: boolean;
  /** The user's tracker tiers, when edited: they replace the torrent's own. */
  trackerList?: string[][];
  /** Its data is in this incomplete folder until it completes (incomplete-dir.ts). */
  incompleteDir?: string;
  peers?: { host: string; port: number }[];
}

export interface PersistedSession {
  settings: SessionSettings;
  torrents: PersistedTorrent[];
}

interface SessionFile extends PersistedSession {
  version: number;
  /** Counts whole writes; the journal names the one it follows (absent: 0). */
  generation?: number;
}

/** A change to one torrent, for the journal: its whole entry now. */
export interface TorrentChange {
  put: PersistedTorrent;
}

export const NO_SETTINGS: SessionSettings = { uploadLimit: 0, downloadLimit: 0 };

export interface LoadedSession {
  /** Undefined when there is no session file (a first start, or a damaged one). */
  session: PersistedSession | undefined;
  warnings: string[];
}

export const LAST_GOOD_SUFFIX = ".prev";

export class SessionStore {
  readonly path: string;
  readonly journalPath: string;
  readonly #keepLastGood: boolean;
  /** The generation of session.json as loaded or last written. */
  #generation = 0;
  /** Records in the journal of this generation (none: it is not there). */
  #journalRecords = 0;
  /** session.json is known whole (loaded as one, or written by us): it may become the last good copy. */
  #currentGood = false;
  /** The last write begun; the next waits for it (they share the temporary file). */
  #writing: Promise<void> = Promise.resolve();

  constructor(dataDir: string, opts: { keepLastGood?: boolean } = {}) {
    this.path = join(dataDir, SESSION_FILE);
    this.journalPath = join(dataDir, JOURNAL_FILE);
    this.#keepLastGood = opts.keepLastGood === true;
  }

  /**
   * session.json and its journal as they are on disk now, by size and
   * modification time: what a restore pack checks was not changed since it
   * was written (restore-pack.ts).
   */
  stampNow(): string {
    const of = (path: string) => {
      const s = statSync(path, { throwIfNoEntry: false });
      return s ? `${s.size}:${s.mtimeMs}` : "-";
    };
    return `${of(this.path)} ${of(this.journalPath)}`;
  }

  async load(): Promise<LoadedSession> {
    const text = await readIfThere(this.path);
    if (text === undefined) {
      // A crash between moving the old file aside and writing the new one.
      if (this.#keepLastGood) {
        const prev = await this.#lastGood("it is missing");
        if (prev) return prev;
      }
      return { session: undefined, warnings: [] };
    }
    const parsed = parseSession(text, this.path);
    if (typeof parsed === "string") {
      const prev = this.#keepLastGood ? await this.#lastGood(parsed) : undefined;
      return prev ?? this.#damaged(parsed);
    }
    this.#currentGood = true;
    await this.#applyJournal(parsed);
    return parsed;
  }

  /** The journal's changes on top of the session.json they follow (see session-journal.ts). */
  async #applyJournal(loaded: LoadedSession & { generation?: number }): Promise<void> {
    const session = loaded.session;
    this.#generation = loaded.generation ?? 0;
    delete loaded.generation;
    if (!session) return;
    const { records, damaged } = await readJournal(this.journalPath, this.#generation);
    this.#journalRecords = records.length + damaged;
    if (records.length === 0 && damaged === 0) return;
    // In session.json's order; a torrent added later goes last, as it did in the session.
    const byHash = new Map(session.torrents.map((t) => [t.infoHash, t]));
    let skipped = damaged;
    for (const r of records) {
      const t = validTorrent(r.put);
      if (t) byHash.set(t.infoHash, t);
      else skipped++;
    }
    session.torrents = [...byHash.values()];
    if (skipped > 0) {
      loaded.warnings.push(
        `${this.journalPath}: ${skipped} damaged entr${skipped === 1 ? "y" : "ies"} skipped`,
      );
    }
  }

  /** Whether changes may go to the journal: session.json is there and whole. */
  get journaling(): boolean {
    return this.#currentGood;
  }

  /** Records in the journal now (the session folds it into session.json when it grows). */
  get journalRecords(): number {
    return this.#journalRecords;
  }

  /**
   * Appends changes to the journal (after any write in progress); durable on
   * return. Only while `journaling`: the caller writes the whole session otherwise.
   */
  append(changes: readonly TorrentChange[]): Promise<void> {
    const records: readonly JournalRecord[] = changes;
    const next = this.#writing.then(async () => {
      const fresh = this.#journalRecords === 0;
      this.#journalRecords += records.length;
      await appendJournal(this.journalPath, this.#generation, records, fresh);
    });
    this.#writing = next.catch(() => {});
    return next;
  }

  /** The last good copy, when it is one; the warning names both files. */
  async #lastGood(why: string): Promise<LoadedSession | undefined> {
    const prevPath = `${this.path}${LAST_GOOD_SUFFIX}`;
    const text = await readIfThere(prevPath);
    if (text === undefined) return undefined;
    const parsed = parseSession(text, prevPath);
    if (typeof parsed === "string") return undefined;
    const bad = `${this.path}.bad`;
    const kept = why === "it is missing" ? "" : `; the damaged file is kept as ${bad}`;
    if (kept) await copyFile(this.path, bad).catch(() => {});
    await copyFile(prevPath, this.path).catch(() => {});
    this.#currentGood = true;
    // The journal followed the damaged file, not this one: it is not applied.
    this.#generation = parsed.generation ?? 0;
    delete parsed.generation;
    const n = parsed.session?.torrents.length ?? 0;
    parsed.warnings.unshift(
      `${this.path} is damaged (${why}): recovered ${n} torrent${n === 1 ? "" : "s"} from its last good copy ${prevPath}${kept}`,
    );
    return parsed;
  }

  /** Writes the session; writes never overlap, and each one is whole (atomic-file.ts). */
  save(session: PersistedSession): Promise<void> {
    const next = this.#writing.then(async () => {
      const generation = this.#generation + 1;
      const file: SessionFile = { version: SESSION_VERSION, generation, ...session };
      const text = `${JSON.stringify(file, null, 2)}\n`;
      if (this.#keepLastGood && this.#currentGood) await this.#keepAsLastGood();
      await writeFileAtomic(this.path, text);
      this.#generation = generation;
      this.#currentGood = true;
      // It holds everything the journal said; a journal left by a crash here is of an older generation.
      this.#journalRecords = 0;
      await removeJournal(this.journalPath);
    });
    this.#writing = next.catch(() => {});
    return next;
  }

  /**
   * Makes session.json, known good, the last good copy, while it stays in
   * place: a hard link to it (a copy where the file system has none) renamed
   * over session.json.prev. The new session.json then replaces it by a
   * rename of its own, so at every instant of a write, a crash or a kill
   * leaves a whole session.json (the old one or the new one). Moving it
   * aside first left none between the two renames.
   */
  async #keepAsLastGood(): Promise<void> {
    const prev = `${this.path}${LAST_GOOD_SUFFIX}`;
    const linking = `${prev}.tmp`;
    await unlink(linking).catch(() => {});
    try {
      await link(this.path, linking).catch(() => copyFile(this.path, linking));
      await rename(linking, prev);
      // A rename between two links of one file does nothing (POSIX): after a
      // failed write session.json.prev is session.json already.
      await unlink(linking).catch(() => {});
    } catch {
      // No copy kept this time (session.json gone meanwhile, a full disk):
      // the write itself still goes ahead, as it did before there was a copy.
    }
  }

  /** Keeps the damaged file for the user to look at, and starts empty. */
  async #damaged(why: string): Promise<LoadedSession> {
    const bad = `${this.path}.bad`;
    await copyFile(this.path, bad).catch(() => {});
    return {
      session: undefined,
      warnings: [
        `${this.path} is damaged (${why}): starting with no torrents; the damaged file is kept as ${bad}`,
      ],
    };
  }
}

async function readIfThere(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
}

/** The session a file's text holds, or why it holds none. */
function parseSession(
  text: string,
  path: string,
): (LoadedSession & { generation?: number }) | string {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return `it is not JSON (${(err as Error).message})`;
  }
  const file = value as Partial<SessionFile> | null;
  if (typeof file !== "object" || file === null || !Array.isArray(file.torrents)) {
    return "it has no list of torrents";
  }
  if (file.version !== SESSION_VERSION) {
    return `its version is ${String(file.version)}, not ${SESSION_VERSION}`;
  }
  const warnings: string[] = [];
  const torrents = file.torrents.map(validTorrent);
  const skipped = torrents.filter((t) => t === undefined).length;
  if (skipped > 0) {
    warnings.push(`${path}: ${skipped} damaged torrent entr${skipped === 1 ? "y" : "ies"} skipped`);
  }
  const settings = file.settings as Partial<SessionSettings> | undefined;
  return {
    session: {
      settings: {
        uploadLimit: rate(settings?.uploadLimit),
        downloadLimit: rate(settings?.downloadLimit),
        ...(typeof settings?.lsd === "boolean" ? { lsd: settings.lsd } : {}),
        ...manageSettings(settings),
      },
      torrents: torrents.filter((t) => t !== undefined),
    },
    warnings,
    generation: Number.isSafeInteger(file.generation) ? (file.generation as number) : 0,
  };
}

function manageSettings(settings: Partial<SessionSettings> | undefined): Partial<SessionSettings> {
  const out: Partial<SessionSettings> = {};
  for (const key of MANAGE_SETTINGS) {
    const v = settings?.[key];
    if (typeof v === "number" && Number.isFinite(v) && v >= 0) out[key] = v;
  }
  return out;
}

/** A goal as persisted: a number ≥ 0, or null (none); anything else absent. */
function goal(v: unknown): number | null | undefined {
  if (v === null) return null;
  return typeof v === "number" && Number.isFinite(v) && v >= 0 ? v : undefined;
}

/** A rate limit as persisted: a whole number of bytes/s, 0 for none. */
function rate(n: unknown): number {
  return typeof n === "number" && Number.isSafeInteger(n) && n > 0 ? n : 0;
}

function validTorrent(value: unknown): PersistedTorrent | undefined {
  const t = value as Partial<PersistedTorrent> | null;
  if (typeof t !== "object" || t === null) return undefined;
  if (typeof t.infoHash !== "string" || !/^[0-9a-f]{40}$/.test(t.infoHash)) return undefined;
  if (typeof t.downloadDir !== "string" || t.downloadDir === "") return undefined;
  const out: PersistedTorrent = {
    infoHash: t.infoHash,
    downloadDir: t.downloadDir,
    paused: t.paused === true,
    addedAt: typeof t.addedAt === "number" && Number.isFinite(t.addedAt) ? t.addedAt : Date.now(),
    uploadLimit: rate(t.uploadLimit),
    downloadLimit: rate(t.downloadLimit),
  };
  if (typeof t.name === "string") out.name = t.name;
  if (
    Array.isArray(t.filePriorities) &&
    t.filePriorities.every((p) => p === null || FILE_PRIORITIES.includes(p as FilePriority))
  ) {
    out.filePriorities = t.filePriorities;
  }
  if (FILE_PRIORITIES.includes(t.unlistedFilePriority as FilePriority)) {
    out.unlistedFilePriority = t.unlistedFilePriority as FilePriority;
  }
  if (t.sequential === true) out.sequential = true;
  if (t.firstLastPiecePriority === true) out.firstLastPiecePriority = true;
  if (t.pauseAfterMetadata === true) out.pauseAfterMetadata = true;
  if (typeof t.queuePosition === "number" && Number.isSafeInteger(t.queuePosition)) {
    out.queuePosition = t.queuePosition;
  }
  if (Array.isArray(t.labels)) out.labels = t.labels.filter((l) => typeof l === "string");
  const ratioLimit = goal(t.ratioLimit);
  if (ratioLimit !== undefined) out.ratioLimit = ratioLimit;
  const idleLimitMinutes = goal(t.idleLimitMinutes);
  if (idleLimitMinutes !== undefined) out.idleLimitMinutes = idleLimitMinutes;
  if (rate(t.uploadedEver) > 0) out.uploadedEver = rate(t.uploadedEver);
  if (rate(t.downloadedEver) > 0) out.downloadedEver = rate(t.downloadedEver);
  if (Array.isArray(t.trackers)) out.trackers = tiersOf(t.trackers);
  if (Array.isArray(t.trackerList)) out.trackerList = tiersOf(t.trackerList);
  if (typeof t.incompleteDir === "string" && t.incompleteDir !== "") {
    out.incompleteDir = t.incompleteDir;
  }
  if (Array.isArray(t.peers)) {
    out.peers = t.peers.filter(
      (p): p is { host: string; port: number } =>
        typeof p?.host === "string" && Number.isInteger(p.port) && p.port > 0 && p.port < 65536,
    );
  }
  return out;
}

/** BEP 12 tiers as JSON kept them: lists of strings, none empty. */
function tiersOf(list: unknown[]): string[][] {
  return list
    .filter(Array.isArray)
    .map((tier) => tier.filter((u): u is string => typeof u === "string"))
    .filter((tier) => tier.length > 0);
}
