/**
 * Reads and writes byte ranges of a torrent's data over its files (BEP 3: the
 * files concatenated in order). Files are opened lazily and kept open, created
 * with their folders on first write, and left sparse: nothing is written that
 * a peer has not sent. BEP 47 padding files are never touched on disk; their
 * bytes read as zeros. Paths were proven safe by metainfo before they get here.
 */
import { type FileHandle, mkdir, open, stat } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileSpans, type TorrentFile } from "../metainfo/index.ts";
import { StorageError } from "./errors.ts";

export interface FileStat {
  size: number;
  mtimeMs: number;
}

export class FileStore {
  readonly root: string;
  readonly files: readonly TorrentFile[];
  readonly totalLength: number;
  readonly #handles = new Map<number, Promise<FileHandle | undefined>>();
  #writable = new Set<number>();
  #closed = false;

  constructor(root: string, files: readonly TorrentFile[]) {
    this.root = root;
    this.files = files;
    const last = files.at(-1);
    this.totalLength = last ? last.offset + last.length : 0;
  }

  pathOf(fileIndex: number): string {
    return join(this.root, ...this.files[fileIndex]!.path);
  }

  /** Writes `data` at byte `offset` of the torrent's data. */
  async write(offset: number, data: Buffer): Promise<void> {
    this.#checkRange(offset, data.length);
    for (const span of fileSpans(this.files, offset, data.length)) {
      if (this.files[span.fileIndex]!.pad) continue;
      const handle = await this.#handle(span.fileIndex, true);
      const part = data.subarray(span.offset - offset, span.offset - offset + span.length);
      let written = 0;
      while (written < part.length) {
        const { bytesWritten } = await this.#io(span.fileIndex, () =>
          handle!.write(part, written, part.length - written, span.fileOffset + written),
        );
        written += bytesWritten;
      }
    }
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
      const handle = this.files[span.fileIndex]!.pad
        ? undefined
        : await this.#handle(span.fileIndex, false);
      while (handle && done < span.length) {
        const { bytesRead } = await this.#io(span.fileIndex, () =>
          handle.read(out, at + done, span.length - done, span.fileOffset + done),
        );
        if (bytesRead === 0) break;
        done += bytesRead;
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
      if (f.length !== 0 || f.pad) continue;
      const path = this.pathOf(i);
      try {
        await mkdir(dirname(path), { recursive: true });
        // "a": created when absent, never truncated.
        await (await open(path, "a")).close();
      } catch (err) {
        throw this.#ioError(i, err);
      }
    }
  }

  /** Size and modification time of each file as it is on disk now (undefined if absent). */
  async stats(): Promise<(FileStat | undefined)[]> {
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

  /** Flushes every file written to (fdatasync) so resume data never claims unsynced pieces. */
  async sync(): Promise<void> {
    for (const i of this.#writable) {
      const h = await this.#handles.get(i);
      await h?.datasync();
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    const handles = [...this.#handles.values()];
    this.#handles.clear();
    this.#writable.clear();
    for (const p of handles) {
      const h = await p.catch(() => undefined);
      await h?.close().catch(() => undefined);
    }
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

  async #io<T>(fileIndex: number, op: () => Promise<T>): Promise<T> {
    try {
      return await op();
    } catch (err) {
      throw this.#ioError(fileIndex, err);
    }
  }

  #ioError(fileIndex: number, err: unknown): StorageError {
    const code = (err as NodeJS.ErrnoException).code ?? "error";
    const hint =
      code === "ENOSPC" ? " (the disk is full)" : code === "EACCES" ? " (permission denied)" : "";
    return new StorageError("io_failed", `cannot use '${this.pathOf(fileIndex)}': ${code}${hint}`, {
      cause: err,
    });
  }

  /** An open handle; for reading, undefined when the file does not exist yet. */
  async #handle(fileIndex: number, forWrite: boolean): Promise<FileHandle | undefined> {
    if (forWrite && !this.#writable.has(fileIndex)) {
      // Reopen read+write, creating the file (and its folders) without truncating it.
      const old = this.#handles.get(fileIndex);
      this.#writable.add(fileIndex);
      const path = this.pathOf(fileIndex);
      const opening = (async () => {
        await (await old?.catch(() => undefined))?.close();
        try {
          await mkdir(dirname(path), { recursive: true });
          return await open(path, "r+").catch(async (err: NodeJS.ErrnoException) => {
            if (err.code !== "ENOENT") throw err;
            return open(path, "w+");
          });
        } catch (err) {
          this.#writable.delete(fileIndex);
          this.#handles.delete(fileIndex);
          throw this.#ioError(fileIndex, err);
        }
      })();
      this.#handles.set(fileIndex, opening);
      return opening;
    }
    let h = this.#handles.get(fileIndex);
    if (!h) {
      h = open(this.pathOf(fileIndex), "r").catch((err: NodeJS.ErrnoException) => {
        this.#handles.delete(fileIndex);
        if (err.code === "ENOENT") return undefined;
        throw this.#ioError(fileIndex, err);
      });
      this.#handles.set(fileIndex, h);
    }
    return h;
  }
}
