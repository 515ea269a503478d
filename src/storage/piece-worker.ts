/**
 * The worker thread behind PieceWriter: hashes a downloaded piece and, when
 * its SHA-1 matches, writes it to its files. Runs beside the main thread, so
 * a download uses the second core for hashing and disk writes while the main
 * thread keeps up with the sockets. Messages are plain data; piece bytes are
 * shared memory, read in place.
 *
 * Writes go to libuv's thread pool and are not waited for before the next
 * message: this thread hashes the next piece while the kernel copies the last
 * one into the page cache (each costs about a second per GiB here), and a
 * piece is answered once its writes are done. They run one at a time, in
 * order: writers of one file take turns on its inode lock anyway, and four
 * of them at once spent a fifth of their time spinning on it. `sync` and
 * `close` first wait for every write that came before them.
 */
import { createHash } from "node:crypto";
import { close, fdatasync, mkdirSync, openSync, write } from "node:fs";
import { dirname } from "node:path";
import { promisify } from "node:util";
import { parentPort } from "node:worker_threads";
import type { PieceWrite, WorkerReply, WorkerRequest } from "./piece-writer-protocol.ts";

const fds = new Map<string, number>();
/** The last write queued: each waits for the one before. */
let lastWrite: Promise<unknown> = Promise.resolve();
const fdatasyncAsync = promisify(fdatasync);
const closeAsync = promisify(close);

function fdFor(path: string): number {
  let fd = fds.get(path);
  if (fd === undefined) {
    mkdirSync(dirname(path), { recursive: true });
    try {
      fd = openSync(path, "r+");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
      fd = openSync(path, "w+");
    }
    fds.set(path, fd);
  }
  return fd;
}

/** Writes one run of the piece, however many calls the kernel needs. */
function writeRun(data: Buffer, w: PieceWrite): Promise<void> {
  const fd = fdFor(w.path);
  return new Promise((resolve, reject) => {
    const from = (done: number) => {
      write(fd, data, w.start + done, w.length - done, w.fileOffset + done, (err, n) => {
        if (err) return reject(Object.assign(err, { path: err.path ?? w.path }));
        if (done + n < w.length) from(done + n);
        else resolve();
      });
    };
    from(0);
  });
}

async function handle(req: WorkerRequest): Promise<WorkerReply> {
  switch (req.op) {
    case "write": {
      const data = Buffer.from(req.data);
      const ok = createHash("sha1").update(data).digest().equals(Buffer.from(req.expected));
      if (ok) {
        const done = lastWrite.then(async () => {
          for (const w of req.writes) await writeRun(data, w);
        });
        lastWrite = done.catch(() => {});
        await done;
      }
      return { id: req.id, ok };
    }
    case "sync":
      await lastWrite;
      for (const path of req.paths) {
        const fd = fds.get(path);
        if (fd !== undefined) await fdatasyncAsync(fd);
      }
      return { id: req.id, ok: true };
    case "close":
      await lastWrite;
      for (const path of req.paths) {
        const fd = fds.get(path);
        fds.delete(path);
        if (fd !== undefined) await closeAsync(fd);
      }
      return { id: req.id, ok: true };
  }
}

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
