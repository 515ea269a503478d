/**
 * The client's side of keeping its session on disk (session-persistence.ts,
 * the .torrent copies in torrent-files.ts), when it was asked to persist:
 * without that every call here does nothing. A write that a user's
 * operation waits for and that fails is a warning (`warn`), never the
 * operation's error: the torrent was added or paused all the same.
 */
import type { Clock } from "../util/index.ts";
import type { RestoreResult } from "./client-options.ts";
import {
  type CurrentSession,
  type SessionChange,
  SessionPersistence,
} from "./session-persistence.ts";
import type { PersistedTorrent, SessionSettings } from "./session-store.ts";
import type { TorrentSource } from "./torrent-source.ts";

export class SessionKeeping {
  #persistence: SessionPersistence | undefined;
  /** .torrent copies being written in the background (flush waits for them). */
  readonly #copying = new Set<Promise<void>>();
  readonly #warn: (err: unknown) => void;

  constructor(warn: (err: unknown) => void) {
    this.#warn = warn;
  }

  /** Whether the session is kept on disk (load was called). */
  get persisting(): boolean {
    return this.#persistence !== undefined;
  }

  /**
   * Reads the persisted session: its torrents wait for restore(), its
   * settings are returned. From now on changes are kept.
   */
  async load(
    dataDir: string,
    clock: Clock,
    current: () => CurrentSession,
    keepLastGood: boolean,
  ): Promise<SessionSettings | undefined> {
    const persistence = new SessionPersistence(dataDir, clock, current, this.#warn, {
      keepLastGood,
    });
    const saved = await persistence.load();
    this.#persistence = persistence;
    return saved;
  }

  /** Adds back the persisted torrents through `add` (session-persistence.ts). */
  restore(
    has: (infoHashHex: string) => boolean,
    add: (source: TorrentSource, p: PersistedTorrent, turn: Promise<void>) => Promise<void>,
  ): Promise<RestoreResult> {
    return this.#persistence?.restore(has, add) ?? Promise.resolve({ restored: [], warnings: [] });
  }

  /**
   * After a restore, session.json is written whole only when it has to be:
   * when loading or restoring found something wrong (so that it no longer
   * lists what could not come back), or when there is none to journal
   * changes after (a first start). Torrents that came back as listed
   * change nothing it holds, and a change made meanwhile is written as any
   * other: a thousand seeds' start no longer ends rewriting and syncing it.
   */
  async restored(result: RestoreResult): Promise<void> {
    const p = this.#persistence;
    if (p && (result.warnings.length > 0 || !p.store.journaling)) await this.save();
  }

  /** A change worth keeping, written soon and merged with others. */
  request(change?: SessionChange): void {
    this.#persistence?.request(change);
  }

  /** Writes the session now (`change`: what changed, when one torrent). */
  async save(change?: SessionChange): Promise<void> {
    await this.#persistence?.flush(change).catch(this.#warn);
  }

  /** Keeps the torrent's .torrent copy. */
  async keepCopy(infoHashHex: string, bytes: Uint8Array): Promise<void> {
    await this.#persistence?.copies.put(infoHashHex, bytes).catch(this.#warn);
  }

  /** Work that writes a copy in the background: flush() waits for it. */
  track(work: Promise<void>): void {
    this.#copying.add(work);
    void work.finally(() => this.#copying.delete(work));
  }

  /** Writes the persisted session now, with every change known so far. */
  async flush(): Promise<void> {
    await Promise.all(this.#copying);
    await this.#persistence?.flush();
  }

  /** Keeps the files of the next restore in one (restore-pack.ts), when the session is kept. */
  async writeRestorePack(): Promise<void> {
    await this.#persistence?.writeRestorePack().catch(this.#warn);
  }

  /** Where the torrent's .torrent copy is kept, when the session is. */
  copyPath(infoHashHex: string): string | undefined {
    return this.#persistence?.copies.path(infoHashHex);
  }

  async readCopy(infoHashHex: string): Promise<Buffer | undefined> {
    return this.#persistence?.copies.read(infoHashHex);
  }

  async deleteCopy(infoHashHex: string): Promise<void> {
    await this.#persistence?.copies.delete(infoHashHex);
  }
}
