/**
 * Verifies and writes whole pieces on a worker thread (piece-worker.ts), one
 * for the whole process. Pieces live on shared memory (PiecePool), so the
 * worker reads them in place: nothing is copied or transferred. The worker
 * does not keep the process alive.
 */
import { getCompileCacheDir } from "node:module";
import type { Worker } from "node:worker_threads";
import { filePoolSizes } from "./descriptor-budget.ts";
import { ioError } from "./io-errors.ts";
import { PiecePool } from "./piece-pool.ts";
import type { PieceWrite, WorkerReply, WorkerRequest } from "./piece-writer-protocol.ts";

type Pending = { resolve: (r: WorkerReply) => void };

let shared: PieceWriter | undefined;

export class PieceWriter {
  readonly #worker: Worker;
  readonly #pending = new Map<number, Pending>();
  #nextId = 1;

  private constructor() {
    // node:worker_threads taken with the first write: a daemon that only
    // seeds never loads it (issue 16).
    const { Worker } = process.getBuiltinModule("node:worker_threads");
    this.#worker = new Worker(new URL("./piece-worker.ts", import.meta.url), {
      workerData: { maxOpenFiles: filePoolSizes().writer },
      ...compileCacheEnv(),
    });
    this.#worker.unref();
    this.#worker.on("message", (reply: WorkerReply) => {
      const p = this.#pending.get(reply.id);
      this.#pending.delete(reply.id);
      if (this.#pending.size === 0) this.#worker.unref();
      p?.resolve(reply);
    });
    this.#worker.on("error", (err) => {
      for (const p of this.#pending.values()) {
        p.resolve({ id: 0, ok: false, error: { message: err.message, code: "EWORKER" } });
      }
      this.#pending.clear();
      if (shared === this) shared = undefined;
    });
  }

  /** The process's writer, started on first use. */
  static get(): PieceWriter {
    shared ??= new PieceWriter();
    return shared;
  }

  /**
   * Resolves once the worker answers: it has loaded and can write. Starting
   * a worker takes 70 ms on an idle machine and several times that on a busy
   * one; pieces that arrive meanwhile wait in memory, and a kill then loses
   * them all. TorrentStorage waits for this while it opens the data, so no
   * download starts before its pieces can reach the disk.
   */
  async ready(): Promise<void> {
    await this.#call({ id: this.#nextId++, op: "ready" });
  }

  #call(req: WorkerRequest): Promise<WorkerReply> {
    // Kept referenced only while work is outstanding, so an idle worker never holds the process open.
    if (this.#pending.size === 0) this.#worker.ref();
    return new Promise((resolve) => {
      this.#pending.set(req.id, { resolve });
      this.#worker.postMessage(req);
    });
  }

  /**
   * Hashes `data` (a PiecePool buffer: other buffers are copied into one);
   * if it matches `expected`, writes it as `writes` say, with direct I/O
   * where `directIo` asks for it and the buffer and runs allow it. Resolves
   * to whether it matched. `data` must not change until then.
   */
  async write(
    data: Buffer,
    expected: Uint8Array,
    writes: PieceWrite[],
    directIo: boolean,
  ): Promise<boolean> {
    let shared = data;
    if (!PiecePool.owns(data)) {
      shared = PiecePool.shared.acquire(data.length);
      data.copy(shared);
    }
    const reply = await this.#call({
      id: this.#nextId++,
      op: "write",
      data: shared.buffer as SharedArrayBuffer,
      length: shared.length,
      direct: directIo && PiecePool.aligned(shared),
      // A copy with a buffer of its own: a view is cloned with its whole
      // underlying buffer (here the .torrent's bytes) into every message.
      expected: new Uint8Array(expected),
      writes,
    });
    if (shared !== data) PiecePool.shared.release(shared);
    if (reply.error) throw ioError("write", reply.error.path, reply.error.code);
    return reply.ok;
  }

  /** Flushes the files to disk (before resume data claims their pieces). */
  async sync(paths: string[]): Promise<void> {
    const reply = await this.#call({ id: this.#nextId++, op: "sync", paths });
    if (reply.error) throw ioError("sync", reply.error.path, reply.error.code);
  }

  /** Closes the worker's handles on these files. */
  async close(paths: string[]): Promise<void> {
    await this.#call({ id: this.#nextId++, op: "close", paths });
  }
}

/**
 * The compile cache module.enableCompileCache() turned on (bin/shoal.js does)
 * holds for this thread only: a worker starts without it and strips and
 * compiles its TypeScript again, 50 ms of CPU in every process. Handing the
 * worker the same directory by NODE_COMPILE_CACHE turns it on there too.
 */
function compileCacheEnv(): { env?: NodeJS.ProcessEnv } {
  const dir = getCompileCacheDir();
  if (dir === undefined || process.env.NODE_COMPILE_CACHE !== undefined) return {};
  return { env: { ...process.env, NODE_COMPILE_CACHE: dir } };
}
