/**
 * The worker thread behind PieceWriter: hashes a downloaded piece and, when
 * its SHA-1 matches, writes it to its files. Runs beside the main thread, so
 * a download uses the second core for hashing and disk writes while the main
 * thread keeps up with the sockets. Messages are plain data; piece bytes are
 * shared memory, read in place.
 */
import { createHash } from "node:crypto";
import { closeSync, fdatasyncSync, mkdirSync, openSync, writeSync } from "node:fs";
import { dirname } from "node:path";
import { parentPort } from "node:worker_threads";
import type { WorkerReply, WorkerRequest } from "./piece-writer-protocol.ts";

const fds = new Map<string, number>();

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

function handle(req: WorkerRequest): WorkerReply {
  switch (req.op) {
    case "write": {
      const data = Buffer.from(req.data);
      const ok = createHash("sha1").update(data).digest().equals(Buffer.from(req.expected));
      if (ok) {
        for (const w of req.writes) {
          let done = 0;
          while (done < w.length) {
            done += writeSync(
              fdFor(w.path),
              data,
              w.start + done,
              w.length - done,
              w.fileOffset + done,
            );
          }
        }
      }
      return { id: req.id, ok };
    }
    case "sync":
      for (const path of req.paths) {
        const fd = fds.get(path);
        if (fd !== undefined) fdatasyncSync(fd);
      }
      return { id: req.id, ok: true };
    case "close":
      for (const path of req.paths) {
        const fd = fds.get(path);
        if (fd !== undefined) closeSync(fd);
        fds.delete(path);
      }
      return { id: req.id, ok: true };
  }
}

parentPort!.on("message", (req: WorkerRequest) => {
  let reply: WorkerReply;
  try {
    reply = handle(req);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    reply = {
      id: req.id,
      ok: false,
      error: { message: e.message, code: e.code ?? "EIO", path: e.path },
    };
  }
  parentPort!.postMessage(reply);
});
