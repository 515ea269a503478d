/**
 * Files the session must never leave half-written: the list of torrents and
 * the copies of their .torrent files. Written to a temporary file, synced,
 * renamed over the old one, and the folder synced, so a crash or `kill -9`
 * at any point leaves the old file or the new one, never a mix, and a
 * power cut after the call returns keeps the new one.
 */
import { open, rename, unlink } from "node:fs/promises";
import { dirname } from "node:path";

/** Writes `data` to `path` atomically and durably (see above). */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const temporary = `${path}.tmp`;
  const handle = await open(temporary, "w");
  try {
    await handle.writeFile(data);
    await handle.sync();
  } catch (err) {
    await handle.close().catch(() => {});
    await unlink(temporary).catch(() => {});
    throw err;
  }
  await handle.close();
  await rename(temporary, path);
  await syncDirectory(dirname(path));
}

/**
 * Makes a rename in `dir` durable. Some systems cannot open a folder for
 * syncing (Windows; some network file systems): the rename stands anyway,
 * only its durability across a power cut is the system's to give.
 */
export async function syncDirectory(dir: string): Promise<void> {
  let handle: Awaited<ReturnType<typeof open>> | undefined;
  try {
    handle = await open(dir, "r");
    await handle.sync();
  } catch {
    // See above: best effort.
  } finally {
    await handle?.close().catch(() => {});
  }
}
