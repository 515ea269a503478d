/**
 * Resume data: which pieces were verified, and the size and mtime each file
 * had when that was written down. On the next start the bitfield is trusted
 * only if every file is exactly as recorded; otherwise the data is rechecked.
 * Saved atomically (temp file, fsync, rename) so a crash never leaves half a
 * file. JSON, so a person can read it.
 */
import { closeSync, openSync, readFileSync, readSync } from "node:fs";
import { mkdir, open, rename } from "node:fs/promises";
import { dirname } from "node:path";
import type { FileStat } from "./file-store.ts";

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

/** The saved resume data, or undefined if there is none or it is unreadable. */
export async function loadResume(path: string): Promise<ResumeData | undefined> {
  return loadResumeNow(path);
}

/** What one read of a resume file takes at once (a larger one is read whole). */
const SCRATCH_BYTES = 16 * 1024;
let scratch: Buffer | undefined;

/** The text of a small file, read at once into one buffer used again for every file. */
function readTextNow(path: string): string {
  const fd = openSync(path, "r");
  let length: number;
  try {
    scratch ??= Buffer.allocUnsafeSlow(SCRATCH_BYTES);
    // A regular file's read comes back short only at its end.
    length = readSync(fd, scratch, 0, SCRATCH_BYTES, 0);
  } finally {
    closeSync(fd);
  }
  return length === SCRATCH_BYTES
    ? readFileSync(path, "utf8")
    : scratch.toString("utf8", 0, length);
}

/**
 * loadResume, read at once, not through the thread pool: a restore reads a
 * thousand of these small files in a row, and a synchronous read is one
 * system call where an asynchronous one is four trips (daemon start-up).
 */
export function loadResumeNow(path: string): ResumeData | undefined {
  try {
    const v = JSON.parse(readTextNow(path));
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
