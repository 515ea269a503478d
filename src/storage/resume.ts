/**
 * Resume data: which pieces were verified, and the size and mtime each file
 * had when that was written down. On the next start the bitfield is trusted
 * only if every file is exactly as recorded; otherwise the data is rechecked.
 * Saved atomically (temp file, fsync, rename) so a crash never leaves half a
 * file. JSON, so a person can read it.
 */
import { readFileSync } from "node:fs";
import { mkdir, open, rename } from "node:fs/promises";
import { dirname } from "node:path";
import type { FileStat } from "./file-store.ts";
import { inFolder } from "./folder-path.ts";
import { takePreloaded } from "./preloaded-files.ts";

export interface ResumeData {
  infoHash: Buffer;
  /** BEP 3 bitfield bytes of verified pieces. */
  pieces: Buffer;
  files: (FileStat | undefined)[];
  /** Files whose bytes live in the part file (file-store.ts), and that file's state. */
  partFiles?: number[];
  part?: FileStat | undefined;
}

const VERSION = 1;

export async function saveResume(path: string, data: ResumeData): Promise<void> {
  const bytes = JSON.stringify({
    version: VERSION,
    infoHash: data.infoHash.toString("hex"),
    pieces: data.pieces.toString("base64"),
    files: data.files.map((f) => (f ? [f.size, f.mtimeMs] : null)),
    ...(data.partFiles?.length
      ? { partFiles: data.partFiles, part: data.part ? [data.part.size, data.part.mtimeMs] : null }
      : {}),
  });
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.tmp`;
  const handle = await open(tmp, "w");
  try {
    await handle.writeFile(bytes);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(tmp, path);
}

/** A torrent's resume file in a session's folder of them (StorageOptions.resumeDir). */
export function resumePathIn(resumeDir: string, infoHashHex: string): string {
  return inFolder(resumeDir, [`${infoHashHex}.json`]);
}

/**
 * The saved resume data, or undefined if there is none or it is unreadable.
 * Read at once, not through the thread pool: a restore reads a thousand of
 * these small files in a row, and a synchronous read is one system call
 * where an asynchronous one is four trips (daemon start-up). Read as text
 * by readFileSync's UTF-8 path, which opens, reads and closes in one call
 * into Node's C++ (no fs wrappers run for each step): about 5 us less per
 * file than readFileNow and a decode, with the optimising compiler off as
 * in the daemon. Bytes the session has in memory already
 * (preloaded-files.ts) are not read again.
 */
export function loadResumeNow(path: string): ResumeData | undefined {
  try {
    const v = JSON.parse(takePreloaded(path)?.toString("utf8") ?? readFileSync(path, "utf8"));
    if (v?.version !== VERSION || typeof v.infoHash !== "string" || typeof v.pieces !== "string")
      return undefined;
    if (!Array.isArray(v.files)) return undefined;
    const stat = (f: unknown): FileStat | undefined =>
      Array.isArray(f) && typeof f[0] === "number" && typeof f[1] === "number"
        ? { size: f[0], mtimeMs: f[1] }
        : undefined;
    const out: ResumeData = {
      infoHash: Buffer.from(v.infoHash, "hex"),
      pieces: Buffer.from(v.pieces, "base64"),
      files: v.files.map(stat),
    };
    if (Array.isArray(v.partFiles)) {
      out.partFiles = v.partFiles.filter(
        (i: unknown) => typeof i === "number" && Number.isSafeInteger(i) && i >= 0,
      );
      out.part = stat(v.part);
    }
    return out;
  } catch {
    // A damaged resume file costs a recheck, never the download.
    return undefined;
  }
}

/** True when every file is as the resume data recorded it. */
export function filesUnchanged(
  saved: readonly (FileStat | undefined)[],
  now: readonly (FileStat | undefined)[],
): boolean {
  return (
    saved.length === now.length &&
    saved.every((s, i) => {
      const n = now[i];
      return s === undefined
        ? n === undefined
        : n !== undefined && s.size === n.size && s.mtimeMs === n.mtimeMs;
    })
  );
}
