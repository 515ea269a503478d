/**
 * The shell's torrents: short ids handed out in order (1, 2, …) so a user
 * types `pause 2`, with info-hash prefixes accepted too; and the session file
 * (<data-dir>/shell-session.json) that brings them back on the next start,
 * with the shell's settings (the rate limits set with `limit`).
 */
import { open, readFile, rename } from "node:fs/promises";
import { join } from "node:path";
import type { Client } from "../session/index.ts";
import type { Torrent } from "../torrent/index.ts";
import { ShoalError } from "../util/index.ts";
import { systemErrorMessage } from "./errors.ts";

export class ShellError extends ShoalError {}

export interface ShellTorrent {
  id: number;
  torrent: Torrent;
  /** The exact .torrent bytes (to publish them). */
  bytes: Buffer;
  /** Where the .torrent file is kept. */
  file: string;
  downloadDir: string;
}

interface SessionEntry {
  file: string;
  downloadDir: string;
  paused: boolean;
}

/** What the shell keeps besides its torrents. */
export interface ShellSettings {
  /** Global rate limits in bytes/s; 0 = none. */
  uploadLimit: number;
  downloadLimit: number;
}

/** The session file. Version 1 was the bare list of torrents. */
interface SessionFile {
  version: 2;
  settings: ShellSettings;
  torrents: SessionEntry[];
}

const SESSION_FILE = "shell-session.json";

export class TorrentRegistry {
  /** Saved with the torrents; read back by load(). */
  settings: ShellSettings = { uploadLimit: 0, downloadLimit: 0 };
  readonly #byId = new Map<number, ShellTorrent>();
  readonly #dataDir: string;
  #next = 1;
  /** The torrents load() read, for restore(). */
  #saved: SessionEntry[] | undefined;
  /** The last save begun; the next waits for it (they share the temporary file). */
  #saving: Promise<void> = Promise.resolve();

  constructor(dataDir: string) {
    this.#dataDir = dataDir;
  }

  add(torrent: Torrent, bytes: Buffer, file: string, downloadDir: string): ShellTorrent {
    const entry = { id: this.#next++, torrent, bytes, file, downloadDir };
    this.#byId.set(entry.id, entry);
    return entry;
  }

  delete(id: number): void {
    this.#byId.delete(id);
  }

  entries(): ShellTorrent[] {
    return [...this.#byId.values()];
  }

  byInfoHash(hex: string): ShellTorrent | undefined {
    return this.entries().find((e) => e.torrent.infoHashHex === hex.toLowerCase());
  }

  /** A torrent by id (`2`) or by a unique info-hash prefix (`3fa2`). */
  resolve(text: string | undefined): ShellTorrent {
    if (!text)
      throw new ShellError("missing_id", "which torrent? give its id (see 'show progress')");
    if (/^\d+$/.test(text)) {
      const entry = this.#byId.get(Number(text));
      if (entry) return entry;
    }
    if (/^[0-9a-f]{2,40}$/i.test(text)) {
      const lower = text.toLowerCase();
      const found = this.entries().filter((e) => e.torrent.infoHashHex.startsWith(lower));
      if (found.length === 1) return found[0]!;
      if (found.length > 1) {
        throw new ShellError(
          "ambiguous_id",
          `'${text}' matches ${found.length} torrents: ${found.map((e) => e.id).join(", ")}`,
        );
      }
    }
    throw new ShellError("unknown_id", `no torrent '${text}' (see 'show progress')`);
  }

  /**
   * Writes the session file: which torrents to add again, which were paused,
   * and the settings. Atomically (a temporary file, synced, renamed over the
   * old one), so a crash or `kill -9` leaves the old file or the new one.
   */
  save(): Promise<void> {
    const next = this.#saving.then(() => this.#save());
    this.#saving = next.catch(() => {});
    return next;
  }

  async #save(): Promise<void> {
    const file: SessionFile = {
      version: 2,
      settings: { ...this.settings },
      torrents: this.entries().map((e) => ({
        file: e.file,
        downloadDir: e.downloadDir,
        paused: e.torrent.state === "paused",
      })),
    };
    const path = join(this.#dataDir, SESSION_FILE);
    const handle = await open(`${path}.tmp`, "w");
    try {
      await handle.writeFile(`${JSON.stringify(file, null, 2)}\n`);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(`${path}.tmp`, path);
  }

  /**
   * Reads the session file: the settings at once, the torrents for
   * restore(). A missing or damaged file is an empty session.
   */
  async load(): Promise<void> {
    let value: unknown;
    try {
      value = JSON.parse(await readFile(join(this.#dataDir, SESSION_FILE), "utf8"));
    } catch {
      this.#saved = [];
      return;
    }
    if (Array.isArray(value)) {
      this.#saved = value as SessionEntry[];
      return;
    }
    const file = value as Partial<SessionFile> | null;
    this.#saved = Array.isArray(file?.torrents) ? file.torrents : [];
    const limit = (n: unknown) =>
      typeof n === "number" && Number.isSafeInteger(n) && n > 0 ? n : 0;
    this.settings = {
      uploadLimit: limit(file?.settings?.uploadLimit),
      downloadLimit: limit(file?.settings?.downloadLimit),
    };
  }

  /**
   * Adds the torrents of the last session again (their resume data makes it
   * quick). A torrent that cannot come back is reported, not fatal.
   */
  async restore(client: Client, warn: (message: string) => void): Promise<ShellTorrent[]> {
    if (this.#saved === undefined) await this.load();
    const entries = this.#saved ?? [];
    this.#saved = [];
    const restored: ShellTorrent[] = [];
    for (const e of entries) {
      try {
        const bytes = await readFile(e.file);
        const torrent = await client.add(bytes, { downloadDir: e.downloadDir, paused: e.paused });
        restored.push(this.add(torrent, bytes, e.file, e.downloadDir));
      } catch (err) {
        warn(`could not restore ${e.file}: ${systemErrorMessage(err) ?? (err as Error).message}`);
      }
    }
    return restored;
  }
}
