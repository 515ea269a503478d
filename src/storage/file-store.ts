/**
 * Reads and writes byte ranges of a torrent's data over its files (BEP 3: the
 * files concatenated in order). Files are opened when used and kept in the
 * process's bounded pool of open files (file-pool.ts): a torrent of
 * thousands of files never holds thousands of descriptors. They are created
 * with their folders on first write, and left sparse: nothing is written
 * that a peer has not sent. BEP 47 padding files are never touched on disk;
 * their bytes read as zeros. Paths were proven safe by metainfo before they
 * get here, and short enough for the system by the storage (path-safety.ts).
 *
 * Files the user does not want (selective download) are never created: the
 * bytes of theirs that a wanted file's edge piece carries go to the part
 * file instead (as libtorrent's `.parts` file), a sparse file laid out as
 * the torrent's whole byte range, so a span keeps its torrent offset there.
 */
import { statSync } from "node:fs";
import { type FileHandle, mkdir, open, stat } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileSpans, type TorrentFile } from "../metainfo/index.ts";
import { filePoolSizes } from "./descriptor-budget.ts";
import { StorageError } from "./errors.ts";
import { FilePool } from "./file-pool.ts";
import { inFolder } from "./folder-path.ts";
import { ioError } from "./io-errors.ts";

export interface FileStat {
  size: number;
  mtimeMs: number;
}

/** The main thread's open files, for every torrent: read ones as `r:<path>`, written ones as `w:<path>`. */
let sharedPool: FilePool<FileHandle> | undefined;
function pool(): FilePool<FileHandle> {
  sharedPool ??= new FilePool<FileHandle>(filePoolSizes().reader, (h) => h.close());
  return sharedPool;
}

/** Where a byte range of one file lives: its own file, or the part file. */
export interface SpanLocation {
  path: string;
  fileOffset: number;
}

/**
 * A torrent with this many files or fewer has them stat-ed synchronously:
 * one system call each (a few microseconds), where an asynchronous stat is a
 * trip through libuv's thread pool and back through the event loop, about
 * ten times the CPU. A daemon restoring a thousand small seeds stats a
 * thousand files in a row (daemon start-up); a torrent of many files keeps
 * the event loop free while they are stat-ed in parallel.
 */
const SYNC_STAT_FILES = 16;

/**
 * The part file of a torrent: hidden in the download folder, named for the
 * info hash, as libtorrent names its `.parts` file.
 */
export function partFileName(infoHashHex: string): string {
  return `.${infoHashHex}.parts`;
}

/** A torrent a part file is named for (partFileName). */
export interface PartFileOf {
  readonly infoHashHex: string;
}

export class FileStore {
  readonly root: string;
  readonly files: readonly TorrentFile[];
  readonly totalLength: number;
  /** The part file: its path, or the torrent it is named for (partPath made when first asked). */
  readonly #part: string | PartFileOf | undefined;
  #partPathMade: string | undefined;
  /**
   * Files whose bytes live in the part file (unwanted and never created);
   * made by the first (most torrents never have one).
   */
  #inPart: Set<number> | undefined;
  /** The part file was written through write() since the last sync(). */
  #partDirty = false;
  /** Files written through write() since the last sync(); made by the first write. */
  #dirty: Set<number> | undefined;
  #closed = false;

  /** The part file's path (undefined: every file's bytes live in the file). */
  get partPath(): string | undefined {
    const part = this.#part;
    if (part === undefined || typeof part === "string") return part;
    this.#partPathMade ??= join(this.root, partFileName(part.infoHashHex));
    return this.#partPathMade;
  }

  #markDirty(fileIndex: number): void {
    this.#dirty ??= new Set();
    this.#dirty.add(fileIndex);
  }

  /**
   * `part`: the part file's path, or the torrent whose part file in `root`
   * it is (partFileName; its path is made when first needed, as most
   * torrents never have one); absent: every file's bytes live in the file.
   */
  constructor(root: string, files: readonly TorrentFile[], part?: string | PartFileOf) {
    this.root = root;
    this.files = files;
    this.#part = part;
    const last = files.at(-1);
    this.totalLength = last ? last.offset + last.length : 0;
  }

  pathOf(fileIndex: number): string {
    return inFolder(this.root, this.files[fileIndex]!.path);
  }

  /** Whether file `fileIndex`'s bytes live in the part file. */
  inPart(fileIndex: number): boolean {
    return this.#inPart?.has(fileIndex) === true;
  }

  /** Files whose bytes live in the part file, in order. */
  partFiles(): number[] {
    return [...(this.#inPart ?? [])].sort((a, b) => a - b);
  }

  /** Sends file `fileIndex`'s bytes to the part file (true) or its own file (false). */
  setInPart(fileIndex: number, inPart: boolean): void {
    if (inPart && this.partPath === undefined) return;
    if (inPart) {
      this.#inPart ??= new Set();
      this.#inPart.add(fileIndex);
    } else this.#inPart?.delete(fileIndex);
  }

  /** Where byte `fileOffset` of file `fileIndex` is kept. */
  locate(fileIndex: number, fileOffset: number): SpanLocation {
    if (this.#inPart?.has(fileIndex) && this.partPath !== undefined) {
      return { path: this.partPath, fileOffset: this.files[fileIndex]!.offset + fileOffset };
    }
    return { path: this.pathOf(fileIndex), fileOffset };
  }

  /** Writes `data` at byte `offset` of the torrent's data. */
  async write(offset: number, data: Buffer): Promise<void> {
    this.#checkRange(offset, data.length);
    for (const span of fileSpans(this.files, offset, data.length)) {
      if (this.files[span.fileIndex]!.pad) continue;
      const part = data.subarray(span.offset - offset, span.offset - offset + span.length);
      const at = this.locate(span.fileIndex, span.fileOffset);
      if (this.#inPart?.has(span.fileIndex)) this.#partDirty = true;
      else this.#markDirty(span.fileIndex);
      await this.#writeAt(span.fileIndex, at, part);
    }
  }

  /**
   * A file wanted again: its bytes kept in the part file (`ranges`, within
   * the file: those of verified pieces) are copied into the file itself,
   * which is created now, and from now on it holds its own bytes.
   */
  async moveOutOfPart(
    fileIndex: number,
    ranges: readonly { fileOffset: number; length: number }[],
  ): Promise<void> {
    if (!this.#inPart?.has(fileIndex)) return;
    const file = this.files[fileIndex]!;
    for (const r of ranges) {
      const data = await this.read(file.offset + r.fileOffset, r.length);
      this.#markDirty(fileIndex);
      await this.#writeAt(
        fileIndex,
        { path: this.pathOf(fileIndex), fileOffset: r.fileOffset },
        data,
      );
    }
    this.#inPart?.delete(fileIndex);
  }

  async #writeAt(fileIndex: number, at: SpanLocation, part: Buffer): Promise<void> {
    await this.#io("write", fileIndex, () =>
      pool().use(
        `w:${at.path}`,
        () => openForWrite(at.path),
        async (handle) => {
          let written = 0;
          while (written < part.length) {
            const { bytesWritten } = await handle.write(
              part,
              written,
              part.length - written,
              at.fileOffset + written,
            );
            written += bytesWritten;
          }
        },
      ),
    );
  }

  /**
   * Reads `length` bytes at `offset` (into `into` when given). Missing files
   * and bytes past a file's end (never written) read as zeros, so a recheck
   * simply fails their hash.
   */
  async read(offset: number, length: number, into?: Buffer): Promise<Buffer> {
    this.#checkRange(offset, length);
    // Not zero-filled up front: every byte is either read or zeroed below.
    const out = into ? into.subarray(0, length) : Buffer.allocUnsafe(length);
    for (const span of fileSpans(this.files, offset, length)) {
      const at = span.offset - offset;
      let done = 0;
      if (!this.files[span.fileIndex]!.pad) {
        const { path, fileOffset } = this.locate(span.fileIndex, span.fileOffset);
        done = await this.#io("read", span.fileIndex, () =>
          pool()
            .use(
              `r:${path}`,
              () => open(path, "r"),
              async (handle) => {
                let n = 0;
                while (n < span.length) {
                  const { bytesRead } = await handle.read(
                    out,
                    at + n,
                    span.length - n,
                    fileOffset + n,
                  );
                  if (bytesRead === 0) break;
                  n += bytesRead;
                }
                return n;
              },
            )
            .catch((err: NodeJS.ErrnoException) => {
              // Not written yet: its bytes read as zeros.
              if (err.code === "ENOENT") return 0;
              throw err;
            }),
        );
      }
      out.fill(0, at + done, at + span.length);
    }
    return out;
  }

  /**
   * Creates the torrent's zero-length files (and their folders) where they
   * are missing. No piece covers them, so no write ever would, yet they are
   * part of the content. Existing files are left as they are.
   */
  async createEmptyFiles(): Promise<void> {
    if (this.#closed) throw new StorageError("closed", "storage is closed");
    for (let i = 0; i < this.files.length; i++) {
      const f = this.files[i]!;
      if (f.length !== 0 || f.pad || this.#inPart?.has(i)) continue;
      const path = this.pathOf(i);
      await this.#io("create", i, async () => {
        await mkdir(dirname(path), { recursive: true });
        // "a": created when absent, never truncated.
        await (await open(path, "a")).close();
      });
    }
  }

  /**
   * Size and modification time of each file, stat-ed at once, when the
   * torrent has few enough files (SYNC_STAT_FILES); undefined otherwise
   * (stats() then). A restore of a thousand seeds asks it without a promise.
   */
  statsNow(): (FileStat | undefined)[] | undefined {
    if (this.files.length > SYNC_STAT_FILES) return undefined;
    return this.files.map((f, i) => this.#statNow(f, i));
  }

  /** Size and modification time of each file as it is on disk now (undefined if absent). */
  async stats(): Promise<(FileStat | undefined)[]> {
    const now = this.statsNow();
    if (now) return now;
    return Promise.all(
      this.files.map(async (f, i) => {
        if (f.pad) return { size: f.length, mtimeMs: 0 };
        try {
          const s = await stat(this.pathOf(i));
          return { size: s.size, mtimeMs: Math.floor(s.mtimeMs) };
        } catch {
          return undefined;
        }
      }),
    );
  }

  /** One file's stat, at once (see SYNC_STAT_FILES). */
  #statNow(f: TorrentFile, i: number): FileStat | undefined {
    if (f.pad) return { size: f.length, mtimeMs: 0 };
    try {
      // throwIfNoEntry: a missing file is an answer, not an error object to make and catch.
      const s = statSync(this.pathOf(i), { throwIfNoEntry: false });
      return s && { size: s.size, mtimeMs: Math.floor(s.mtimeMs) };
    } catch {
      return undefined; // unreadable as a missing one (as stats() always took it)
    }
  }

  /** Size and modification time of the part file (undefined if absent or none). */
  async partStat(): Promise<FileStat | undefined> {
    if (this.partPath === undefined) return undefined;
    try {
      const s = await stat(this.partPath);
      return { size: s.size, mtimeMs: Math.floor(s.mtimeMs) };
    } catch {
      return undefined;
    }
  }

  /**
   * Flushes every file written through write() (fdatasync) so resume data
   * never claims unsynced pieces. A file the pool closed meanwhile is
   * opened again for it: fdatasync flushes the file, whichever descriptor
   * wrote it.
   */
  async sync(): Promise<void> {
    for (const i of [...(this.#dirty ?? [])]) {
      const path = this.pathOf(i);
      await this.#io("sync", i, () =>
        pool().use(
          `w:${path}`,
          () => openForWrite(path),
          (h) => h.datasync(),
        ),
      );
      this.#dirty?.delete(i);
    }
    const partPath = this.partPath;
    if (this.#partDirty && partPath !== undefined) {
      await this.#io("sync", -1, () =>
        pool().use(
          `w:${partPath}`,
          () => openForWrite(partPath),
          (h) => h.datasync(),
        ),
      );
      this.#partDirty = false;
    }
  }

  /** Closes this process's handles on the part file (before it is deleted). */
  async closePart(): Promise<void> {
    // A path never made was never opened (a thousand seeds closing make none).
    const path = typeof this.#part === "string" ? this.#part : this.#partPathMade;
    if (path === undefined) return;
    await pool().close(`r:${path}`);
    await pool().close(`w:${path}`);
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#dirty?.clear();
    for (let i = 0; i < this.files.length; i++) {
      const path = this.pathOf(i);
      await pool().close(`r:${path}`);
      await pool().close(`w:${path}`);
    }
    await this.closePart();
  }

  #checkRange(offset: number, length: number): void {
    if (this.#closed) throw new StorageError("closed", "storage is closed");
    if (offset < 0 || length < 0 || offset + length > this.totalLength) {
      throw new StorageError(
        "bad_range",
        `bytes ${offset}+${length} are outside the torrent (${this.totalLength} bytes)`,
      );
    }
  }

  async #io<T>(verb: string, fileIndex: number, op: () => Promise<T>): Promise<T> {
    try {
      return await op();
    } catch (err) {
      if (err instanceof StorageError) throw err;
      const path = fileIndex < 0 ? (this.partPath ?? this.root) : this.pathOf(fileIndex);
      throw ioError(verb, path, (err as NodeJS.ErrnoException).code, err);
    }
  }
}

/** Opens read+write, creating the file (and its folders) without truncating it. */
async function openForWrite(path: string): Promise<FileHandle> {
  await mkdir(dirname(path), { recursive: true });
  try {
    return await open(path, "r+");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
    return open(path, "w+");
  }
}
