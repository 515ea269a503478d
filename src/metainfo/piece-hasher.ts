/**
 * SHA-1 of every piece of a torrent's data (BEP 3: the files concatenated in
 * order, cut into `pieceLength` pieces), read from disk with bounded memory
 * and hashed on every core.
 *
 * Why this shape: SHA-1 runs at ~1.8 GB/s a core and a page-cache read costs
 * about a third of that, so one thread cannot keep up with mktorrent's
 * threads. The main thread and `cores - 1` workers pull batches of pieces
 * from a shared atomic counter (no message per batch) and write each 20-byte
 * digest straight into a shared buffer. Each reads its own byte ranges in
 * 256 KiB chunks that stay in L2 cache between the read and the hash. The
 * main thread works in slices of ~50 ms so progress, abort and worker
 * messages still get their turn. A worker runs the very same function
 * (`hashBatches` in hash-worker.ts, passed as source text), so there is one
 * implementation.
 */
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import type { Worker } from "node:worker_threads";
import { MetainfoError } from "./errors.ts";
import {
  defaultHashWorkers,
  type HashJob,
  type HashSpan,
  type HashState,
  hashBatches,
  takeHashWorker,
  type WorkerResult,
} from "./hash-worker.ts";

export type { HashSpan } from "./hash-worker.ts";

export interface HashOptions {
  onProgress?: (hashedBytes: number, totalBytes: number) => void;
  signal?: AbortSignal;
  /** Threads besides the main one; default `availableParallelism() - 1`, none for small data. */
  workers?: number;
  /** False leaves all hashing to the workers (tests prove the worker path with it). */
  mainThreadHashes?: boolean;
}

const CHUNK_BYTES = 256 * 1024;
const BATCH_BYTES = 4 * 1024 * 1024;
const SLICE_MS = 50;
/** Below this, starting a worker (~30 ms) costs more than it saves. */
const PARALLEL_MIN_BYTES = 64 * 1024 * 1024;

/** Hashes every piece; resolves to the concatenated 20-byte digests. */
export async function hashPieces(
  spans: readonly HashSpan[],
  pieceLength: number,
  totalLength: number,
  opts: HashOptions = {},
): Promise<Buffer> {
  const pieceCount = Math.ceil(totalLength / pieceLength);
  const batchPieces = Math.max(1, Math.floor(BATCH_BYTES / pieceLength));
  const job: HashJob = {
    spans: spans.filter((s) => s.length > 0),
    pieceLength,
    totalLength,
    batchPieces,
    batchCount: Math.ceil(pieceCount / batchPieces),
    chunkBytes: Math.min(CHUNK_BYTES, pieceLength),
    control: new SharedArrayBuffer(12),
    progress: new SharedArrayBuffer(8),
    digests: new SharedArrayBuffer(pieceCount * 20),
  };
  const control = new Int32Array(job.control);
  const progress = new BigInt64Array(job.progress);
  const hashed = () => Number(Atomics.load(progress, 0));
  const stop = () => Atomics.store(control, 1, 1);

  const workerCount = Math.min(
    opts.workers ?? (totalLength >= PARALLEL_MIN_BYTES ? defaultHashWorkers() : 0),
    job.batchCount - 1,
  );
  const workers: Worker[] = [];
  const failures: Error[] = [];
  const onFailure = (err: Error) => {
    failures.push(err);
    stop();
    Atomics.notify(control, 2);
  };
  for (let i = 0; i < workerCount; i++) {
    const worker = takeHashWorker();
    workers.push(worker);
    worker.on("message", (m: WorkerResult) => {
      if (!m.ok) onFailure(readError(m));
    });
    worker.on("error", (err) => onFailure(readError(err)));
    worker.ref();
    worker.postMessage(job);
  }
  const onAbort = () => {
    stop();
    Atomics.notify(control, 2);
  };
  opts.signal?.addEventListener("abort", onAbort, { once: true });

  const state: HashState = { fileIndex: -1, fd: -1, buf: undefined };
  try {
    for (;;) {
      opts.signal?.throwIfAborted();
      if (failures[0]) throw failures[0];
      let done = opts.mainThreadHashes === false && workerCount > 0;
      try {
        done ||= hashBatches(fs, crypto, job, state, SLICE_MS);
      } catch (err) {
        stop();
        throw readError(err as { message?: string; code?: string; path?: string });
      }
      opts.onProgress?.(hashed(), totalLength);
      if (done) break;
      await new Promise((r) => setImmediate(r));
    }
    // No batch is left to take: wait for the ones workers are still hashing
    // (not for the workers to exit; one that never got a batch is just stopped).
    for (;;) {
      opts.signal?.throwIfAborted();
      if (failures[0]) throw failures[0];
      const finished = Atomics.load(control, 2);
      if (finished >= job.batchCount) break;
      await Atomics.waitAsync(control, 2, finished, SLICE_MS * 2).value;
      opts.onProgress?.(hashed(), totalLength);
    }
    if (hashed() !== totalLength) {
      throw new MetainfoError("create_failed", "hashing stopped before the end of the data");
    }
    opts.onProgress?.(totalLength, totalLength);
    return Buffer.from(new Uint8Array(job.digests));
  } finally {
    stop();
    opts.signal?.removeEventListener("abort", onAbort);
    if (state.fd >= 0) fs.closeSync(state.fd);
    // Not terminate(): a worker closes its file itself once it sees the stop
    // flag or runs out of batches, which is at most one batch away.
    for (const w of workers) w.unref();
  }
}

/** A read failure in any thread, as one line the user can act on. */
function readError(err: { message?: string; code?: string; path?: string }): Error {
  if (err instanceof MetainfoError) return err;
  const where = err.path ? ` '${err.path}'` : "";
  const message =
    err.code === "create_failed"
      ? (err.message ?? "a file changed while hashing")
      : `could not read${where}: ${err.message ?? err.code ?? "unknown error"}`;
  return new MetainfoError("create_failed", message, { cause: err });
}
