/**
 * The restore pack: the files a restore reads, kept in one file by a client
 * that closes cleanly (the daemon), so that the next start reads one file
 * rather than two small ones per torrent, its .torrent copy and its resume
 * data. With 1,000 seeds those 2,000 reads were about a quarter of the
 * restore (issue 16's start-up).
 *
 * A pack is a copy, never the record: the per-torrent files stay where they
 * are, and every start without a pack reads them. It is taken at most once:
 * the next start removes it as soon as it has read it, before anything is
 * written, so no pack can outlive a change its run makes (a crash later
 * leaves no pack behind; the journal of ext4 and other such file systems
 * keeps the removal ahead of any later write). It is used only if
 * session.json and its journal are still as they were when it was written
 * (size and modification time): a session changed meanwhile, by another
 * program or by hand, has the files read as usual. A pack that is damaged,
 * stale or of another version is removed and ignored.
 *
 * Format: one line of JSON (the version, that stamp, and each file's path
 * and length, -1 for a file that was not there), a newline, then the files'
 * bytes in that order.
 */
import { readFileSync, unlinkSync } from "node:fs";
import { writeFileAtomic } from "./atomic-file.ts";

export const RESTORE_PACK_FILE = "restore.pack";
const VERSION = 1;
/** Sessions with more than this in their files are not packed (a pack is read whole, in one go). */
const MAX_PACK_BYTES = 64 * 1024 * 1024;

interface PackHeader {
  version: number;
  stamp: string;
  files: [path: string, length: number][];
}

/**
 * Writes the pack of these files as they are now on disk; nothing (and no
 * pack) when they are more than MAX_PACK_BYTES. `stamp`: the session's, now.
 */
export async function writeRestorePack(
  packPath: string,
  paths: readonly string[],
  stamp: string,
): Promise<void> {
  let total = 0;
  const header: PackHeader = { version: VERSION, stamp, files: [] };
  const parts: Buffer[] = [];
  for (let i = 0; i < paths.length; i++) {
    const bytes = readIfThere(paths[i]!);
    header.files.push([paths[i]!, bytes ? bytes.length : -1]);
    if (!bytes) continue;
    total += bytes.length;
    if (total > MAX_PACK_BYTES) return;
    parts.push(bytes);
  }
  await writeFileAtomic(
    packPath,
    Buffer.concat([Buffer.from(`${JSON.stringify(header)}\n`), ...parts]),
  );
}

/**
 * Read at once, one after the other: the client is closing, and a thousand
 * reads at the same time would hold as many descriptors.
 */
function readIfThere(path: string): Buffer | undefined {
  try {
    return readFileSync(path);
  } catch {
    return undefined;
  }
}

/**
 * The pack's files by path, when there is a pack and it was written with
 * the session's stamp as `stampNow` gives it (asked only when there is a
 * pack: most starts have none); the pack is removed either way (undefined:
 * none, stale, damaged, or it could not be removed, so must not be trusted
 * later).
 */
export function takeRestorePack(
  packPath: string,
  stampNow: () => string,
): Map<string, Buffer> | undefined {
  let bytes: Buffer;
  try {
    bytes = readFileSync(packPath);
    unlinkSync(packPath);
  } catch {
    return undefined;
  }
  try {
    const end = bytes.indexOf(10);
    if (end < 0) return undefined;
    const header = JSON.parse(bytes.toString("utf8", 0, end)) as PackHeader;
    if (header?.version !== VERSION || header.stamp !== stampNow()) return undefined;
    if (!Array.isArray(header.files)) {
      return undefined;
    }
    const files = new Map<string, Buffer>();
    let at = end + 1;
    for (const f of header.files) {
      const [path, length] = Array.isArray(f) ? f : [];
      if (typeof path !== "string" || typeof length !== "number") return undefined;
      if (!Number.isSafeInteger(length)) return undefined;
      if (length < 0) continue;
      if (at + length > bytes.length) return undefined;
      files.set(path, bytes.subarray(at, at + length));
      at += length;
    }
    return at === bytes.length ? files : undefined;
  } catch {
    return undefined;
  }
}
