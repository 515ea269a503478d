/**
 * Removing a torrent with its data: the torrent's own files, then the
 * folders of a multi-file torrent that are left empty. Only what the
 * torrent names is touched (its paths were proven safe when it was parsed:
 * metainfo/path-safety.ts); anything else a user put in those folders stays,
 * and so do the folders that hold it.
 */
import { rmdir, unlink } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import type { Metainfo } from "../metainfo/index.ts";
import { partFileName } from "../storage/index.ts";

export async function deleteTorrentData(meta: Metainfo, downloadDir: string): Promise<void> {
  const root = resolve(downloadDir);
  const folders = new Set<string>();
  for (const file of meta.files) {
    if (file.pad) continue;
    const path = join(root, ...file.path);
    await unlink(path).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== "ENOENT") throw err;
    });
    for (
      let dir = dirname(path);
      dir.length > root.length && dir.startsWith(root);
      dir = dirname(dir)
    ) {
      folders.add(dir);
    }
  }
  // Skipped files' bytes kept aside (storage's part file).
  await unlink(join(root, partFileName(meta.infoHashHex))).catch(() => {});
  // Deepest first; a folder that is not empty keeps what is in it.
  for (const dir of [...folders].sort((a, b) => b.length - a.length)) {
    await rmdir(dir).catch(() => {});
  }
}
