/**
 * The worker thread behind PieceWriter: hashes a downloaded piece and, when
 * its SHA-1 matches, writes it to its files. Runs beside the main thread, so
 * a download uses the second core for hashing and disk writes while the main
 * thread keeps up with the sockets. Messages are plain data; piece bytes are
 * shared memory, read in place.
 *
 * Writes go to libuv's thread pool and are not waited for before the next
 * message: this thread hashes the next piece while the last one is written,
 * and a piece is answered once its writes are done. Buffered writes (through
 * the page cache) run one at a time, in order: writers of one file take
 * turns on its inode lock anyway, and four of them at once spent a fifth of
 * their time spinning on it. Direct writes start as soon as their piece is
 * hashed, without waiting for the one before: chained, each would start only
 * when this thread, busy hashing, got round to the last one's completion,
 * and hashing and writing would take turns instead of overlapping. The
 * kernel queues them (a writer blocked on the inode lock sleeps while the
 * holder waits for the device). `sync` and `close` first wait for every
 * write that came before them.
 *
 * Files are kept open in a bounded pool (file-pool.ts), its size given by
 * PieceWriter from the process's descriptor limit (descriptor-budget.ts):
 * a torrent of 100,000 files is written with a few hundred descriptors.
 * `sync` flushes every file written since the last one, opening again those
 * the pool has closed meanwhile.
 *
 * Direct I/O: a run that starts and ends on DIRECT_ALIGN boundaries, from a
 * page-aligned buffer, is written through a second descriptor opened with
 * O_DIRECT, from our memory straight to the device. The verified piece stays
 * in the upload cache (piece-cache.ts), so a copy in the kernel's page cache
 * would be a second copy of it, and making one is most of a download's
 * kernel time: 0.3 s per GiB into recycled memory and 2.5 to 3 s per GiB into
 * memory the kernel has not touched lately (measured here, in a VM whose host
 * takes idle guest memory back), against 0.2 s per GiB direct. Other runs
 * (a file's unaligned edge, the last piece) go through the page cache; the
 * kernel keeps the two coherent. A file system that refuses O_DIRECT (EINVAL
 * at open or at a write) gets buffered writes only.
 */
import { dirname } from "node:path";
import { FilePool } from "./file-pool.ts";
import type { PieceWrite, WorkerReply, WorkerRequest } from "./piece-writer-protocol.ts";

// Node's modules taken as they are (getBuiltinModule), not by ESM imports:
// an import builds a module facade that reads every export, and their lazy
// getters load parts never used here (web crypto, fs's promises and readline,
// util's parseArgs and diff), about 10 ms of CPU in the worker's start, which
// every downloading process pays.
const { createHash } = process.getBuiltinModule("node:crypto");
const { close, constants, fdatasync, mkdirSync, openSync, write } =
  process.getBuiltinModule("node:fs");
const { promisify } = process.getBuiltinModule("node:util");
const { parentPort, workerData } = process.getBuiltinModule("node:worker_threads");

/** Offsets and lengths a direct write must be a multiple of (the largest logical block size). */
const DIRECT_ALIGN = 4096;

interface OpenFile {
  fd: number;
  /** The O_DIRECT descriptor: undefined until first wanted, null where refused. */
  direct: number | null | undefined;
}

const fdatasyncAsync = promisify(fdatasync);
const closeAsync = promisify(close);

/**
 * The files being written, at most `maxOpenFiles` (from PieceWriter, see
 * descriptor-budget.ts), the least recently used closed first.
 */
const files = new FilePool<OpenFile>(
  (workerData as { maxOpenFiles?: number } | undefined)?.maxOpenFiles ?? 64,
  closeFile,
);
/** Files written to since their last sync: a file the pool closed is reopened to be synced. */
const dirty = new Set<string>();
/** The last buffered write queued: each waits for the one before. */
let lastBuffered: Promise<unknown> = Promise.resolve();
/** Every write not finished yet. */
const writing = new Set<Promise<unknown>>();

async function openFile(path: string): Promise<OpenFile> {
  mkdirSync(dirname(path), { recursive: true });
  let fd: number;
  try {
    fd = openSync(path, "r+");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
    fd = openSync(path, "w+");
  }
  return { fd, direct: undefined };
}

function useFile<T>(path: string, fn: (file: OpenFile) => Promise<T>): Promise<T> {
  return files.use(path, () => openFile(path), fn);
}

const isAligned = (n: number) => n % DIRECT_ALIGN === 0;

/** Whether this run may be written with O_DIRECT (its offsets and length aligned). */
function directRun(w: PieceWrite, direct: boolean): boolean {
  return direct && isAligned(w.start) && isAligned(w.length) && isAligned(w.fileOffset);
}

/** The file's O_DIRECT descriptor, opened on first use, or null where refused. */
function directFd(path: string, file: OpenFile): number | null {
  if (file.direct === undefined) {
    // O_DIRECT is Linux's (and a few others'); where it is missing, there is no direct path.
    const flag = constants.O_DIRECT;
    try {
      file.direct = flag ? openSync(path, constants.O_WRONLY | flag) : null;
    } catch {
      file.direct = null;
    }
  }
  return file.direct;
}

function writeAt(fd: number, data: Buffer, start: number, length: number, position: number) {
  return new Promise<void>((resolve, reject) => {
    const from = (done: number) => {
      write(fd, data, start + done, length - done, position + done, (err, n) => {
        if (err) return reject(err);
        if (done + n < length) from(done + n);
        else resolve();
      });
    };
    from(0);
  });
}

/** Writes the run with O_DIRECT; false when the file system refuses (then it goes buffered). */
function writeDirect(data: Buffer, w: PieceWrite): Promise<boolean> {
  return useFile(w.path, async (file) => {
    const fd = directFd(w.path, file);
    if (fd === null) return false;
    try {
      await writeAt(fd, data, w.start, w.length, w.fileOffset);
      return true;
    } catch (err) {
      // EINVAL: this file system wants other alignment, or no direct I/O.
      if ((err as NodeJS.ErrnoException).code !== "EINVAL") throw err;
      if (file.direct === fd) {
        file.direct = null;
        await closeAsync(fd);
      }
      return false;
    }
  });
}

/** Writes one run of the piece: directly where it may, else after the buffered writes before it. */
async function writeRun(data: Buffer, w: PieceWrite, direct: boolean): Promise<void> {
  try {
    if (!directRun(w, direct) || !(await writeDirect(data, w))) {
      // The file is taken from the pool only when this write's turn comes: a
      // piece over a thousand small files holds one descriptor at a time.
      const done = lastBuffered.then(() =>
        useFile(w.path, (file) => writeAt(file.fd, data, w.start, w.length, w.fileOffset)),
      );
      lastBuffered = done.catch(() => {});
      await done;
    }
    dirty.add(w.path);
  } catch (err) {
    throw Object.assign(err as NodeJS.ErrnoException, { path: w.path });
  }
}

async function closeFile(file: OpenFile): Promise<void> {
  if (typeof file.direct === "number") await closeAsync(file.direct);
  await closeAsync(file.fd);
}

/** Resolves once every write begun so far has finished (failed ones included). */
function written(): Promise<unknown> {
  return Promise.allSettled([...writing]);
}

async function handle(req: WorkerRequest): Promise<WorkerReply> {
  switch (req.op) {
    case "ready":
      return { id: req.id, ok: true };
    case "write": {
      const data = Buffer.from(req.data, 0, req.length);
      const ok = createHash("sha1").update(data).digest().equals(Buffer.from(req.expected));
      if (ok) {
        const done = Promise.all(req.writes.map((w) => writeRun(data, w, req.direct)));
        writing.add(done);
        try {
          await done;
        } finally {
          writing.delete(done);
        }
      }
      return { id: req.id, ok };
    }
    case "sync":
      await written();
      for (const path of req.paths) {
        if (!dirty.has(path)) continue;
        // One descriptor is enough: fdatasync flushes the file, however it was written.
        await useFile(path, (file) => fdatasyncAsync(file.fd));
        dirty.delete(path);
      }
      return { id: req.id, ok: true };
    case "close":
      await written();
      for (const path of req.paths) {
        dirty.delete(path);
        await files.close(path);
      }
      return { id: req.id, ok: true };
  }
}

// This thread's modules are in Node's compile cache only once it is written,
// which Node does when the thread ends: a worker ended by its process's
// exit often never got there, so every process stripped and compiled these
// files again (loading the TypeScript stripper into the worker: ~50 ms of
// CPU per start here). Written now; unchanged entries are skipped.
process.getBuiltinModule("node:module").flushCompileCache();

parentPort!.on("message", (req: WorkerRequest) => {
  handle(req).then(
    (reply) => parentPort!.postMessage(reply),
    (err: NodeJS.ErrnoException) =>
      parentPort!.postMessage({
        id: req.id,
        ok: false,
        error: { message: err.message, code: err.code ?? "EIO", path: err.path },
      } satisfies WorkerReply),
  );
});
