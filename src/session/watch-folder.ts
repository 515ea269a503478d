/**
 * A watch folder (Transmission's watch-dir, qBittorrent's monitored
 * folder): a `.torrent` dropped in is added to the session, then renamed
 * to `<name>.added` (or deleted, when asked); one that is not a torrent
 * shoal can load is renamed to `<name>.invalid` with a log line, so it is
 * tried once, not on every scan. The folder is scanned on a timer (no
 * inotify: it works on every file system, network mounts included); a
 * file is taken only once its size and time have held still over one scan,
 * so a torrent still being written is left for the next.
 */
import { readdir, readFile, rename, stat, unlink } from "node:fs/promises";
import { join } from "node:path";
import type { Clock, Logger, TimerHandle } from "../util/index.ts";

/** How often the folder is scanned by default. */
export const WATCH_INTERVAL_MS = 2000;
/** Files looked at per scan: a folder of thousands is worked through in turns. */
export const MAX_FILES_PER_SCAN = 100;
/** A bigger file is not a .torrent anyone made (metainfo's own limits are lower still). */
export const MAX_WATCHED_FILE_BYTES = 32 * 1024 * 1024;

export type WatchOutcome = "added" | "duplicate" | "invalid";

export interface WatchFolderOptions {
  dir: string;
  clock: Clock;
  logger: Logger;
  intervalMs?: number;
  /** Delete a torrent once added, rather than renaming it `.added`. */
  deleteAdded?: boolean;
  /**
   * Adds the torrent; resolves to `duplicate` when the session has it
   * already, `invalid` when it is not a torrent (the error says why), and
   * rejects on anything that may pass (the file is tried again).
   */
  add(bytes: Buffer, path: string): Promise<{ outcome: WatchOutcome; reason?: string }>;
}

export class WatchFolder {
  readonly #o: WatchFolderOptions;
  /** Size and mtime of each file at the last scan, by name. */
  #seen = new Map<string, string>();
  #timer: TimerHandle | undefined;
  #scanning: Promise<void> | undefined;
  #closed = false;
  /** The folder could not be read at the last scan (said once, not every scan). */
  #unreadable = false;

  constructor(o: WatchFolderOptions) {
    this.#o = o;
  }

  start(): void {
    this.#schedule(0);
  }

  /** Stops scanning; waits for a scan in progress. */
  async close(): Promise<void> {
    this.#closed = true;
    if (this.#timer) this.#o.clock.clearTimeout(this.#timer);
    await this.#scanning;
  }

  #schedule(ms: number): void {
    if (this.#closed) return;
    this.#timer = this.#o.clock.setTimeout(() => {
      this.#scanning = this.scan()
        .catch((err: Error) =>
          this.#o.logger.warn("watch folder", { dir: this.#o.dir, error: err.message }),
        )
        .finally(() => {
          this.#scanning = undefined;
          this.#schedule(this.#o.intervalMs ?? WATCH_INTERVAL_MS);
        });
    }, ms);
  }

  /** One pass over the folder (the timer runs these; tests call it directly). */
  async scan(): Promise<void> {
    let listing: string[];
    try {
      listing = await readdir(this.#o.dir);
      this.#unreadable = false;
    } catch (err) {
      if (!this.#unreadable) {
        this.#o.logger.warn(
          `watch folder ${this.#o.dir} cannot be read: ${(err as Error).message}`,
          {
            dir: this.#o.dir,
          },
        );
      }
      this.#unreadable = true;
      return;
    }
    const names = listing
      .filter((n) => n.toLowerCase().endsWith(".torrent"))
      .sort()
      .slice(0, MAX_FILES_PER_SCAN);
    const seen = new Map<string, string>();
    for (const name of names) {
      if (this.#closed) return;
      const path = join(this.#o.dir, name);
      const st = await stat(path).catch(() => undefined);
      if (!st?.isFile()) continue;
      const key = `${st.size}:${st.mtimeMs}`;
      seen.set(name, key);
      // Still being written? Taken once it held still over one scan.
      if (this.#seen.get(name) !== key) continue;
      await this.#take(path, st.size);
      seen.delete(name);
    }
    this.#seen = seen;
  }

  async #take(path: string, size: number): Promise<void> {
    const log = this.#o.logger;
    if (size > MAX_WATCHED_FILE_BYTES) {
      await this.#invalid(path, `it is ${size} bytes, more than any torrent`);
      return;
    }
    const bytes = await readFile(path);
    let result: { outcome: WatchOutcome; reason?: string };
    try {
      result = await this.#o.add(bytes, path);
    } catch (err) {
      log.warn("watch folder: not added, will try again", {
        file: path,
        error: (err as Error).message,
      });
      return;
    }
    if (result.outcome === "invalid") {
      await this.#invalid(path, result.reason ?? "it is not a torrent");
      return;
    }
    log.info(
      result.outcome === "added"
        ? "watch folder: torrent added"
        : "watch folder: torrent already in the session",
      { file: path },
    );
    if (this.#o.deleteAdded) await unlink(path).catch(() => {});
    else await rename(path, `${path}.added`).catch(() => {});
  }

  async #invalid(path: string, reason: string): Promise<void> {
    this.#o.logger.warn(
      `watch folder: ${path} is not a torrent shoal can add (${reason}); renamed to .invalid`,
      {
        file: path,
      },
    );
    await rename(path, `${path}.invalid`).catch(() => {});
  }
}
