/**
 * Moving a torrent's data to another folder: each of its files renamed
 * (copied, with its times, then removed, across file systems), then the
 * folders left empty removed as on delete. The times travel with the data
 * so the resume data still matches it (storage/resume.ts trusts a file
 * only at the size and mtime it recorded): a moved torrent is not rechecked.
 * The part file (the bytes of unwanted files in shared pieces) moves too.
 */
import { copyFile, mkdir, rename, stat, unlink, utimes } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import type { Metainfo } from "../metainfo/index.ts";
import { partFileName } from "../storage/index.ts";
import { deleteTorrentData } from "./data-removal.ts";

export async function moveTorrentData(
  meta: Metainfo,
  fromDir: string,
  toDir: string,
): Promise<void> {
  const from = resolve(fromDir);
  const to = resolve(toDir);
  if (from === to) return;
  const paths = meta.files.filter((f) => !f.pad).map((f) => f.path);
  paths.push([partFileName(meta.infoHashHex)]);
  for (const path of paths) {
    const source = join(from, ...path);
    const target = join(to, ...path);
    const st = await stat(source).catch(() => undefined);
    if (!st) continue; // not written yet (an unwanted file, a fresh download)
    await mkdir(dirname(target), { recursive: true });
    try {
      await rename(source, target);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EXDEV") throw err;
      await copyFile(source, target);
      await utimes(target, st.atime, st.mtime);
      await unlink(source);
    }
  }
  // The empty folders the files leave behind.
  await deleteTorrentData(meta, from);
}
