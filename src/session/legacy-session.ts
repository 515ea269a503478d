/**
 * The shell's own session file from before the session kept its torrents
 * (<data-dir>/shell-session.json), read once so users keep their torrents:
 * version 1 was a bare list of { file, downloadDir, paused }, version 2 the
 * same list with the shell's rate limits. Each entry names a .torrent file
 * that the shell kept; the migration copies it into the store of copies.
 * The old file is then renamed to shell-session.json.migrated.
 */
import { readFile, rename } from "node:fs/promises";
import { join } from "node:path";
import { parseMetainfo } from "../metainfo/index.ts";
import type { PersistedSession, PersistedTorrent } from "./session-store.ts";
import type { TorrentFileStore } from "./torrent-files.ts";

export const LEGACY_SESSION_FILE = "shell-session.json";

interface LegacyEntry {
  file: string;
  downloadDir: string;
  paused: boolean;
}

export interface MigratedSession {
  session: PersistedSession;
  warnings: string[];
}

/** The legacy file turned into a session (copies stored), or undefined when there is none. */
export async function migrateLegacySession(
  dataDir: string,
  copies: TorrentFileStore,
): Promise<MigratedSession | undefined> {
  const path = join(dataDir, LEGACY_SESSION_FILE);
  let value: unknown;
  try {
    value = JSON.parse(await readFile(path, "utf8"));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    return {
      session: { settings: { uploadLimit: 0, downloadLimit: 0 }, torrents: [] },
      warnings: [
        `${path} could not be read (${(err as Error).message}): its torrents are not restored`,
      ],
    };
  }
  const file = value as { settings?: Record<string, unknown>; torrents?: unknown } | null;
  const entries = (
    Array.isArray(value) ? value : Array.isArray(file?.torrents) ? file.torrents : []
  ) as Partial<LegacyEntry>[];
  const limit = (n: unknown) => (typeof n === "number" && Number.isSafeInteger(n) && n > 0 ? n : 0);
  const session: PersistedSession = {
    settings: Array.isArray(value)
      ? { uploadLimit: 0, downloadLimit: 0 }
      : {
          uploadLimit: limit(file?.settings?.uploadLimit),
          downloadLimit: limit(file?.settings?.downloadLimit),
        },
    torrents: [],
  };
  const warnings: string[] = [];
  const now = Date.now();
  for (const e of entries) {
    if (typeof e?.file !== "string" || typeof e.downloadDir !== "string") continue;
    try {
      const bytes = await readFile(e.file);
      const meta = parseMetainfo(bytes);
      if (session.torrents.some((t) => t.infoHash === meta.infoHashHex)) continue;
      await copies.put(meta.infoHashHex, bytes);
      const t: PersistedTorrent = {
        infoHash: meta.infoHashHex,
        name: meta.name,
        downloadDir: e.downloadDir,
        paused: e.paused === true,
        addedAt: now,
        uploadLimit: 0,
        downloadLimit: 0,
      };
      session.torrents.push(t);
    } catch (err) {
      const gone = (err as NodeJS.ErrnoException).code === "ENOENT";
      warnings.push(`could not restore ${e.file}: ${gone ? "it is gone" : (err as Error).message}`);
    }
  }
  return { session, warnings };
}

/** Sets the legacy file aside once session.json holds what it said. */
export async function retireLegacySession(dataDir: string): Promise<void> {
  const path = join(dataDir, LEGACY_SESSION_FILE);
  await rename(path, `${path}.migrated`).catch(() => {});
}
