/**
 * The shell's torrents: short ids handed out in order (1, 2, …) so a user
 * types `pause 2`, with info-hash prefixes accepted too; and the session file
 * (<data-dir>/shell-session.json) that brings them back on the next start.
 */
import { readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Client } from "../session/index.ts";
import type { Torrent } from "../torrent/index.ts";
import { ShoalError } from "../util/index.ts";

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

const SESSION_FILE = "shell-session.json";

export class TorrentRegistry {
  readonly #byId = new Map<number, ShellTorrent>();
  readonly #dataDir: string;
  #next = 1;

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

  /** Writes the session file: which torrents to add again, and which were paused. */
  async save(): Promise<void> {
    const entries: SessionEntry[] = this.entries().map((e) => ({
      file: e.file,
      downloadDir: e.downloadDir,
      paused: e.torrent.state === "paused",
    }));
    const path = join(this.#dataDir, SESSION_FILE);
    await writeFile(`${path}.tmp`, `${JSON.stringify(entries, null, 2)}\n`);
    await rename(`${path}.tmp`, path);
  }

  /**
   * Adds the torrents of the last session again (their resume data makes it
   * quick). A torrent that cannot come back is reported, not fatal.
   */
  async restore(client: Client, warn: (message: string) => void): Promise<ShellTorrent[]> {
    let entries: SessionEntry[];
    try {
      entries = JSON.parse(await readFile(join(this.#dataDir, SESSION_FILE), "utf8"));
      if (!Array.isArray(entries)) return [];
    } catch {
      return [];
    }
    const restored: ShellTorrent[] = [];
    for (const e of entries) {
      try {
        const bytes = await readFile(e.file);
        const torrent = await client.add(bytes, { downloadDir: e.downloadDir, paused: e.paused });
        restored.push(this.add(torrent, bytes, e.file, e.downloadDir));
      } catch (err) {
        warn(`could not restore ${e.file}: ${(err as Error).message}`);
      }
    }
    return restored;
  }
}
