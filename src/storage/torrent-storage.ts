/**
 * One torrent's data on disk: verified pieces in, blocks out. A piece counts
 * only once its SHA-1 matches the torrent (BEP 3); uploads are served only
 * from verified pieces. The verified set survives restarts through resume
 * data, trusted only while the files are unchanged.
 */
import { unlink } from "node:fs/promises";
import { resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { Bitfield } from "../bitfield/index.ts";
import { fileSpans, type Metainfo, pathTooLongReason, pieceSize } from "../metainfo/index.ts";
import { sha1 } from "../util/index.ts";
import { StorageError } from "./errors.ts";
import { type FileStat, FileStore } from "./file-store.ts";
import { persisted } from "./io-errors.ts";
import type { PieceCache } from "./piece-cache.ts";
import { loadPieceIo, pieceIoNow, pieceIoSoon } from "./piece-io-loader.ts";
import type { PiecePool } from "./piece-pool.ts";
import {
  filesUnchanged,
  loadResumeNow,
  type ResumeData,
  resumePathIn,
  saveResume,
} from "./resume.ts";

export interface StorageOptions {
  /** Where resume data lives; without it (or resumeDir) every start rechecks. */
  resumePath?: string;
  /**
   * Or the folder it lives in, as `<info hash>.json`: one string for every
   * torrent of a session, the path made when it is read or written.
   */
  resumeDir?: string;
  /** Ignore resume data and hash everything (`--verify`). */
  verify?: boolean;
  /** Bytes of verified pieces kept in memory for uploads. */
  cacheBytes?: number;
  /**
   * Write verified pieces with direct I/O (O_DIRECT) where the file system
   * takes it (default true); see piece-worker.ts for why.
   */
  directIo?: boolean;
  /** Called while checking existing data: pieces checked so far, of `total`. */
  onCheckProgress?: (checked: number, total: number) => void;
  /**
   * Files the user does not want (selective download): never created; what
   * of them an edge piece of a wanted file carries goes to the part file.
   */
  unwantedFiles?: readonly number[];
}

export { partFileName } from "./file-store.ts";

export type OpenedFrom = "resume" | "recheck" | "empty";

/** A block to upload: `data` stays valid until release() is called, once. */
export interface BlockLease {
  data: Buffer;
  release(): void;
}

/** The shared piece memory; its module loaded (piece-io-loader.ts) before any piece is taken. */
function pool(): PiecePool {
  return pieceIoNow().PiecePool.shared;
}

/**
 * Pauses before each new try of a piece write that failed in a way that may
 * pass (io-errors.ts): about 3.5 s in all, then the failure counts as lasting.
 */
const WRITE_RETRY_MS = [100, 400, 1000, 2000];

/** A path for a message: its start and its end, as a file name's end tells the most. */
function clipped(path: string): string {
  return path.length <= 100 ? path : `${path.slice(0, 40)}…${path.slice(-59)}`;
}

/** The last folder resolved and its absolute path: a session's torrents share a few folders. */
let lastDir: string | undefined;
let lastRoot = "";

function resolved(dir: string): string {
  if (dir !== lastDir) {
    lastRoot = resolve(dir);
    lastDir = dir;
  }
  return lastRoot;
}

/**
 * Refuses a torrent whose files cannot exist under `dir`: a name or a whole
 * path longer than the system takes (path-safety.ts). Every write to such a
 * file would fail with ENAMETOOLONG; said once, when the torrent is opened.
 */
function checkPathLengths(meta: Metainfo, dir: string): void {
  const root = resolved(dir);
  for (const f of meta.files) {
    if (f.pad) continue;
    const reason = pathTooLongReason(root, f.path);
    if (!reason) continue;
    const shown = clipped(f.path.join("/"));
    const anywhere = pathTooLongReason("/", f.path) !== undefined;
    throw new StorageError(
      "path_too_long",
      anywhere
        ? `'${clipped(meta.name)}' cannot be saved on this system: its file '${shown}' has ${reason.replace(" there", "")}`
        : `'${clipped(meta.name)}' cannot be saved in ${clipped(root)}: its file '${shown}' would have ${reason}; choose a download folder with a shorter path`,
    );
  }
}

/** No unwanted files: one empty set for every torrent that has none (most). */
const NO_FILES: ReadonlySet<number> = new Set();
const DEFAULT_CACHE_BYTES = 32 * 1024 * 1024;
/** Every storage's first save waits on this one settled promise. */
const SETTLED: Promise<void> = Promise.resolve();
const releaseToPool = (piece: Buffer): void => pool().release(piece);

export class TorrentStorage {
  readonly meta: Metainfo;
  readonly have: Bitfield;
  readonly files: FileStore;
  /** How the verified set was established when opened. */
  openedFrom: OpenedFrom = "empty";
  readonly #opts: StorageOptions;
  /**
   * Verified pieces kept for uploads, and the reads filling it: made by the
   * first upload (#pieceCache()), as a seed with no peer never reads.
   */
  #cache: PieceCache | undefined;
  #reading: Map<number, Promise<void>> | undefined;
  /** Pieces were written through the worker: it holds handles to sync and close. */
  #written = false;
  /** The zero-length files are on disk (see FileStore.createEmptyFiles). */
  #emptyFilesMade = false;
  /** #restoreNow() did the restore. */
  #restored = false;
  /**
   * The resume data on disk says what this holds: loaded and trusted, or
   * saved, with no piece, file or part file changed since.
   */
  #resumeCurrent = false;
  /** The last saveResume() begun; the next waits for it. */
  #saving: Promise<void> = SETTLED;
  /** A change of wanted files in progress: piece writes wait for it (they route by it). */
  #routing: Promise<void> | undefined;
  /** Piece writes under way (a change of wanted files waits for them); made by the first. */
  #inflight: Set<Promise<unknown>> | undefined;

  private constructor(meta: Metainfo, dir: string, opts: StorageOptions) {
    this.meta = meta;
    this.have = new Bitfield(meta.pieceCount);
    this.files = new FileStore(dir, meta.files, meta);
    this.#opts = opts;
  }

  #pieceCache(): PieceCache {
    this.#cache ??= new (pieceIoNow().PieceCache)(
      this.#opts.cacheBytes ?? DEFAULT_CACHE_BYTES,
      releaseToPool,
    );
    return this.#cache;
  }

  /**
   * Opens a torrent's data in `dir` (the download folder: files land at
   * dir/<name>/…). Existing data is trusted from resume data when the files
   * are unchanged, else rechecked piece by piece.
   */
  static open(meta: Metainfo, dir: string, opts: StorageOptions = {}): Promise<TorrentStorage> {
    let storage: TorrentStorage;
    try {
      checkPathLengths(meta, dir);
      storage = new TorrentStorage(meta, dir, opts);
      // A seed restored from its resume data (most of a daemon's start):
      // opened at once, no async step made for it.
      if (storage.#restoreNow() && storage.have.isComplete()) return Promise.resolve(storage);
    } catch (err) {
      return Promise.reject(err);
    }
    return TorrentStorage.#open(storage, opts);
  }

  static async #open(storage: TorrentStorage, opts: StorageOptions): Promise<TorrentStorage> {
    // The piece writer (a worker thread: its own heap, 10-20 MiB) is for
    // torrents that download: a seed restored from its resume data never
    // starts it. One that hashes its data first starts it meanwhile, so the
    // first piece downloaded reaches the disk at once (PieceWriter.ready).
    const resumable = opts.resumePath !== undefined || opts.resumeDir !== undefined;
    // Its modules (piece-io-loader.ts) come with it: one that downloads
    // takes piece memory synchronously from then on.
    const writerReady = () => loadPieceIo().then((io) => io.PieceWriter.get().ready());
    const early = opts.verify || !resumable ? writerReady() : undefined;
    early?.catch(() => {});
    if (!storage.#restored) await storage.#restore();
    if (!storage.have.isComplete()) await (early ?? writerReady());
    return storage;
  }

  /**
   * #restore()'s common case, at once: files on disk unchanged since resume
   * data that keeps nothing in a part file, no unwanted files, no empty
   * files to make. True when done so; otherwise #restore() does it all
   * (reading the stats and resume data again: a recheck or a part file
   * costs far more).
   */
  #restoreNow(): boolean {
    const o = this.#opts;
    if (o.verify || o.unwantedFiles?.length) return false;
    const path = this.#resumePath();
    const stats = path === undefined ? undefined : this.files.statsNow();
    if (!stats || this.#nothingOnDisk(stats)) return false;
    const saved = loadResumeNow(path!);
    if (
      !saved ||
      saved.partFiles?.length ||
      !this.#describes(saved, stats) ||
      this.#hasEmptyFiles()
    ) {
      return false;
    }
    this.#trust(saved);
    this.#emptyFilesMade = true;
    this.#restored = true;
    return true;
  }

  async #restore(): Promise<void> {
    const given = this.#opts.unwantedFiles;
    const unwanted: ReadonlySet<number> = given?.length ? new Set(given) : NO_FILES;
    const stats = this.files.statsNow() ?? (await this.files.stats());
    const nothingOnDisk = this.#nothingOnDisk(stats);
    let part = nothingOnDisk ? await this.files.partStat() : undefined;
    if (part === undefined && nothingOnDisk) {
      // Nothing on disk yet: unwanted files are never created.
      for (const i of unwanted) this.files.setInPart(i, true);
      return;
    }
    const path = this.#resumePath();
    const saved = path && !this.#opts.verify ? loadResumeNow(path) : undefined;
    // The part file is looked for only where one may be: resume data that
    // lists files kept in it, unwanted files, or no resume data to go by.
    // (A missing file's stat costs an error object: most of a thousand
    // seeds' restore was spent on part files none of them had.)
    if (!nothingOnDisk && (!saved || saved.partFiles?.length || unwanted.size > 0)) {
      part = await this.files.partStat();
    }
    if (
      saved &&
      this.#describes(saved, stats) &&
      (!saved.partFiles?.length || filesUnchanged([saved.part], [part]))
    ) {
      this.#trust(saved);
      for (const i of saved.partFiles ?? []) {
        if (i < this.meta.files.length) this.files.setInPart(i, true);
      }
    } else {
      // Without resume data, an unwanted file that is not on disk keeps
      // whatever it has in the part file.
      for (const i of unwanted) if (stats[i] === undefined) this.files.setInPart(i, true);
      await this.recheck();
    }
    // Wanted now but kept in the part file when last open: moved out. With
    // no part file and nothing in one there is nothing to move nor delete.
    if (part !== undefined || this.files.partFiles().length > 0) {
      this.#resumeCurrent = false;
      await this.#route((i) => !unwanted.has(i));
    }
    // The content is (partly) here: its empty files belong with it. Not on a
    // folder holding nothing of the torrent (`shoal seed` in the wrong place).
    if (this.#hasEmptyFiles()) await this.#makeEmptyFiles();
    else this.#emptyFilesMade = true;
  }

  /** No file of the torrent is on disk (pad files never are). */
  #nothingOnDisk(stats: readonly (FileStat | undefined)[]): boolean {
    return stats.every((s, i) => s === undefined || this.meta.files[i]!.pad);
  }

  /** Resume data of this torrent that says what its files are now (sizes and times alike). */
  #describes(saved: ResumeData, stats: readonly (FileStat | undefined)[]): boolean {
    return saved.infoHash.equals(this.meta.infoHash) && filesUnchanged(saved.files, stats);
  }

  /** Takes the resume data's pieces as verified (nothing was verified before this). */
  #trust(saved: ResumeData): void {
    this.have.load(saved.pieces);
    this.openedFrom = "resume";
    this.#resumeCurrent = true;
  }

  /** Whether the torrent has zero-length files (most have none: nothing to create). */
  #hasEmptyFiles(): boolean {
    for (const f of this.meta.files) if (f.length === 0 && !f.pad) return true;
    return false;
  }

  /**
   * Selective download: `wanted[i]` false for a file the user does not
   * want. A file wanted again gets its bytes back from the part file (those
   * of verified pieces) and is created; one no longer wanted that is not on
   * disk yet is never created, its edge pieces' bytes going to the part
   * file; one already on disk keeps its data. Piece writes wait meanwhile.
   */
  setFileWanted(wanted: readonly boolean[]): Promise<void> {
    // Already so (every torrent's selection is handed over once it is open):
    // no file to stat, move or create, and no async step made for it.
    if (this.#arrangedFor(wanted)) return SETTLED;
    return this.#setFileWanted(wanted);
  }

  async #setFileWanted(wanted: readonly boolean[]): Promise<void> {
    this.#resumeCurrent = false;
    const stats = await this.files.stats();
    await this.#route((i) => wanted[i] !== false, stats);
    if (this.#emptyFilesMade) {
      this.#emptyFilesMade = false;
      await this.#makeEmptyFiles();
    }
  }

  /** Every wanted file is out of the part file, every unwanted one in it. */
  #arrangedFor(wanted: readonly boolean[]): boolean {
    const { files } = this.meta;
    for (let i = 0; i < files.length; i++) {
      if (files[i]!.pad) continue;
      if ((wanted[i] !== false) === this.files.inPart(i)) return false;
    }
    return true;
  }

  async #route(wanted: (fileIndex: number) => boolean, stats?: readonly unknown[]): Promise<void> {
    while (this.#routing) await this.#routing;
    let done = () => {};
    this.#routing = new Promise<void>((resolve) => {
      done = resolve;
    });
    try {
      await Promise.allSettled([...(this.#inflight ?? [])]);
      const { files, pieceLength } = this.meta;
      for (let i = 0; i < files.length; i++) {
        const f = files[i]!;
        if (f.pad) continue;
        if (wanted(i)) {
          if (!this.files.inPart(i)) continue;
          const ranges: { fileOffset: number; length: number }[] = [];
          if (f.length > 0) {
            const first = Math.floor(f.offset / pieceLength);
            const last = Math.floor((f.offset + f.length - 1) / pieceLength);
            for (let p = first; p <= last; p++) {
              if (!this.have.has(p)) continue;
              const from = Math.max(f.offset, p * pieceLength);
              const to = Math.min(f.offset + f.length, (p + 1) * pieceLength);
              ranges.push({ fileOffset: from - f.offset, length: to - from });
            }
          }
          await this.#retrying(() => this.files.moveOutOfPart(i, ranges));
        } else if (!this.files.inPart(i) && stats && stats[i] === undefined) {
          this.files.setInPart(i, true);
        }
      }
      if (this.files.partFiles().length === 0) await this.#deletePartFile();
    } finally {
      this.#routing = undefined;
      done();
    }
  }

  /** Nothing is kept aside any more: the part file goes. */
  async #deletePartFile(): Promise<void> {
    const path = this.files.partPath;
    if (path === undefined) return;
    if (this.#written) await pieceIoNow().PieceWriter.get().close([path]);
    await this.files.closePart();
    await unlink(path).catch(() => {});
  }

  async #makeEmptyFiles(): Promise<void> {
    if (this.#emptyFilesMade) return;
    // Files it creates change what the resume data says of them.
    if (this.#hasEmptyFiles()) this.#resumeCurrent = false;
    await this.files.createEmptyFiles();
    this.#emptyFilesMade = true;
  }

  /** Hashes every piece on disk and rebuilds the verified set. */
  async recheck(): Promise<Bitfield> {
    this.#resumeCurrent = false;
    const total = this.meta.pieceCount;
    const io = await pieceIoSoon();
    const buffer = io.PiecePool.shared.acquire(this.meta.pieceLength);
    for (let i = 0; i < total; i++) {
      const data = await this.files.read(
        i * this.meta.pieceLength,
        pieceSize(this.meta, i),
        buffer,
      );
      if (this.#hashMatches(i, data)) this.have.set(i);
      else this.have.clear(i);
      this.#opts.onCheckProgress?.(i + 1, total);
    }
    io.PiecePool.shared.release(buffer);
    this.openedFrom = "recheck";
    return this.have;
  }

  #hashMatches(index: number, data: Buffer): boolean {
    return sha1(data).equals(this.meta.pieces.subarray(index * 20, index * 20 + 20));
  }

  /** Memory for downloading piece `index` into: hand it to writePiece() or releasePiece(). */
  acquirePiece(index: number): Buffer {
    return pool().acquire(pieceSize(this.meta, index));
  }

  /** Gives back a buffer from acquirePiece() that will not be written. */
  releasePiece(data: Buffer): void {
    pool().release(data);
  }

  /**
   * Verifies a whole piece and, if its hash matches, writes it and marks it
   * verified; both on the piece writer's thread, off the socket path.
   * Returns false (writing nothing) when the hash does not match. `data` is
   * handed over (it is cached for uploads, or reused): the caller must not
   * use it afterwards. A write that fails in a way that may pass is tried
   * again a few times; what still fails, or fails in a way that cannot pass
   * (a full disk, a name too long), throws a StorageError with `permanent`
   * set: the torrent must stop, not fetch the piece again.
   */
  async writePiece(
    index: number,
    data: Buffer,
    onMismatch?: (data: Buffer) => void,
  ): Promise<boolean> {
    if (data.length !== pieceSize(this.meta, index)) {
      throw new StorageError(
        "bad_range",
        `piece ${index} must be ${pieceSize(this.meta, index)} bytes, got ${data.length}`,
      );
    }
    while (this.#routing) await this.#routing;
    const io = await pieceIoSoon();
    const offset = index * this.meta.pieceLength;
    const writes = fileSpans(this.meta.files, offset, data.length)
      .filter((span) => !this.meta.files[span.fileIndex]!.pad)
      .map((span) => ({
        ...this.files.locate(span.fileIndex, span.fileOffset),
        start: span.offset - offset,
        length: span.length,
      }));
    const expected = this.meta.pieces.subarray(index * 20, index * 20 + 20);
    let ok = false;
    const writing = this.#retrying(() =>
      io.PieceWriter.get().write(data, expected, writes, this.#opts.directIo !== false),
    );
    this.#inflight ??= new Set();
    const inflight = this.#inflight;
    inflight.add(writing);
    try {
      ok = await writing;
      if (!ok) onMismatch?.(data);
    } finally {
      inflight.delete(writing);
      if (!ok) io.PiecePool.shared.release(data);
    }
    if (!ok) return false;
    await this.#retrying(() => this.#makeEmptyFiles());
    this.#written = true;
    this.#resumeCurrent = false;
    this.have.set(index);
    this.#pieceCache().set(index, data);
    return true;
  }

  /** Runs a write, trying again after a pause while it fails in a way that may pass. */
  async #retrying<T>(write: () => Promise<T>): Promise<T> {
    for (let tries = 1; ; tries++) {
      try {
        return await write();
      } catch (err) {
        if (!(err instanceof StorageError) || err.code !== "io_failed" || err.permanent) throw err;
        const pause = WRITE_RETRY_MS[tries - 1];
        if (pause === undefined) throw persisted(err, tries);
        await sleep(pause);
      }
    }
  }

  /**
   * A block of a verified piece, for a peer's request, as a lease on the
   * cached piece: release it once the block is sent (or dropped).
   */
  async readBlock(index: number, begin: number, length: number): Promise<BlockLease> {
    if (!this.have.has(index))
      throw new StorageError("bad_range", `piece ${index} is not verified`);
    const size = pieceSize(this.meta, index);
    if (begin < 0 || length <= 0 || begin + length > size) {
      throw new StorageError(
        "bad_range",
        `block ${begin}+${length} is outside piece ${index} (${size} bytes)`,
      );
    }
    // A seed's first upload loads the upload cache's module (piece-io-loader.ts).
    if (!this.#cache) await pieceIoSoon();
    const cache = this.#pieceCache();
    if (!cache.fits(size)) {
      // Too big to cache: read just the block.
      const data = await this.files.read(index * this.meta.pieceLength + begin, length);
      return { data, release: () => {} };
    }
    let lease = cache.lease(index);
    while (!lease) {
      await this.#readPiece(index, size);
      lease = cache.lease(index);
    }
    return { data: lease.piece.subarray(begin, begin + length), release: lease.release };
  }

  /**
   * Reads a piece into the cache. Requests for a piece's blocks arrive
   * together: they share one read instead of each reading the whole piece.
   */
  #readPiece(index: number, size: number): Promise<void> {
    this.#reading ??= new Map();
    const readings = this.#reading;
    let reading = readings.get(index);
    if (!reading) {
      const buffer = pool().acquire(size);
      reading = this.files.read(index * this.meta.pieceLength, size, buffer).then(
        () => {
          readings.delete(index);
          this.#pieceCache().set(index, buffer);
        },
        (err: unknown) => {
          readings.delete(index);
          pool().release(buffer);
          throw err;
        },
      );
      readings.set(index, reading);
    }
    return reading;
  }

  /**
   * Syncs the files, then records the verified set and the files' state.
   * Calls run one after another: two saves at once would share the
   * temporary file.
   */
  saveResume(): Promise<void> {
    const next = this.#saving.then(() => this.#saveResume());
    this.#saving = next.catch(() => {});
    return next;
  }

  #resumePath(): string | undefined {
    const { resumePath, resumeDir } = this.#opts;
    if (resumePath !== undefined || resumeDir === undefined) return resumePath;
    return resumePathIn(resumeDir, this.meta.infoHashHex);
  }

  async #saveResume(): Promise<void> {
    const path = this.#resumePath();
    // Nothing changed since it was loaded or saved: a seed's pause, close
    // and shutdown write (and fsync) nothing.
    if (!path || this.#resumeCurrent) return;
    this.#resumeCurrent = true;
    try {
      await this.files.sync();
      if (this.#written) await pieceIoNow().PieceWriter.get().sync(this.#paths());
      await saveResume(path, {
        infoHash: this.meta.infoHash,
        pieces: this.have.toBuffer(),
        files: await this.files.stats(),
        partFiles: this.files.partFiles(),
        part: await this.files.partStat(),
      });
    } catch (err) {
      this.#resumeCurrent = false;
      throw err;
    }
  }

  async close(): Promise<void> {
    await this.saveResume();
    await this.files.close();
    if (this.#written) await pieceIoNow().PieceWriter.get().close(this.#paths());
  }

  #paths(): string[] {
    const paths = this.meta.files.map((_, i) => this.files.pathOf(i));
    if (this.files.partPath !== undefined) paths.push(this.files.partPath);
    return paths;
  }
}
