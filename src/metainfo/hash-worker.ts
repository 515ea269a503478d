/**
 * The hashing threads behind piece-hasher.ts: the loop every thread runs
 * (`hashBatches`) and the worker threads that run it.
 *
 * Why a file of its own, importing nothing but worker_threads: a worker takes
 * ~30 ms to boot (a V8 isolate, Node's bootstrap, node:crypto), longer than
 * loading the rest of `shoal create`. The CLI entry imports this file first
 * and calls `prestartHashWorkers()`, so the boot overlaps the loading and a
 * worker is waiting when the job is ready. A worker gets its job as a
 * message, whether it was started early or on demand.
 */
import type * as Crypto from "node:crypto";
import type * as Fs from "node:fs";
import { availableParallelism } from "node:os";
import type { Worker } from "node:worker_threads";

/** One file's bytes in the torrent: `offset` into the concatenated data. */
export interface HashSpan {
  path: string;
  length: number;
  offset: number;
}

/** What every hashing thread shares (all plain data, so it crosses to workers). */
export interface HashJob {
  spans: HashSpan[];
  pieceLength: number;
  totalLength: number;
  batchPieces: number;
  batchCount: number;
  chunkBytes: number;
  /** Int32: [next batch, stop flag, batches finished]. */
  control: SharedArrayBuffer;
  /** BigInt64: [bytes hashed]. */
  progress: SharedArrayBuffer;
  /** pieceCount × 20 bytes of digests. */
  digests: SharedArrayBuffer;
}

/** Per-thread state kept between slices: one open file and a read buffer. */
export interface HashState {
  fileIndex: number;
  fd: number;
  buf: Buffer | undefined;
}

/** What a worker posts back when its job ends. */
export interface WorkerResult {
  ok: boolean;
  message?: string;
  code?: string;
  path?: string;
}

/**
 * Takes batches of pieces until none are left (true) or `sliceMs` has passed
 * (false). Self-contained on purpose: it is also run inside workers from its
 * source text, so it may use only its parameters.
 */
export function hashBatches(
  fsm: typeof Fs,
  cryptom: typeof Crypto,
  job: HashJob,
  state: HashState,
  sliceMs: number,
): boolean {
  const control = new Int32Array(job.control);
  const progress = new BigInt64Array(job.progress);
  const digests = new Uint8Array(job.digests);
  const { spans, pieceLength, totalLength } = job;
  state.buf ??= Buffer.allocUnsafe(job.chunkBytes);
  const buf = state.buf;
  const start = performance.now();
  for (;;) {
    if (Atomics.load(control, 1) !== 0) return true;
    const batch = Atomics.add(control, 0, 1);
    if (batch >= job.batchCount) return true;
    let piece = batch * job.batchPieces;
    let pos = piece * pieceLength;
    const end = Math.min(totalLength, (batch + 1) * job.batchPieces * pieceLength);
    let pieceEnd = Math.min(pos + pieceLength, totalLength);
    let hash = cryptom.createHash("sha1");
    // Find the file holding `pos` (zero-length files hold nothing).
    let fi = 0;
    let lo = 0;
    let hi = spans.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const s = spans[mid]!;
      if (s.offset + s.length <= pos) lo = mid + 1;
      else {
        fi = mid;
        hi = mid - 1;
      }
    }
    while (pos < end) {
      let span = spans[fi]!;
      while (span.offset + span.length <= pos) span = spans[++fi]!;
      if (state.fileIndex !== fi) {
        if (state.fd >= 0) fsm.closeSync(state.fd);
        state.fd = -1;
        state.fd = fsm.openSync(span.path, "r");
        state.fileIndex = fi;
      }
      const want = Math.min(buf.length, end - pos, span.offset + span.length - pos);
      let got = 0;
      while (got < want) {
        const n = fsm.readSync(state.fd, buf, got, want - got, pos - span.offset + got);
        if (n === 0) {
          const e = new Error(
            `'${span.path}' is shorter than when it was listed (was it changed while hashing?)`,
          );
          (e as Error & { code: string }).code = "create_failed";
          throw e;
        }
        got += n;
      }
      let used = 0;
      while (used < got) {
        const take = Math.min(got - used, pieceEnd - (pos + used));
        hash.update(take === buf.length ? buf : buf.subarray(used, used + take));
        used += take;
        if (pos + used === pieceEnd) {
          digests.set(hash.digest(), piece * 20);
          piece++;
          pieceEnd = Math.min(pieceEnd + pieceLength, totalLength);
          hash = cryptom.createHash("sha1");
        }
      }
      pos += got;
      Atomics.add(progress, 0, BigInt(got));
    }
    Atomics.add(control, 2, 1);
    Atomics.notify(control, 2);
    if (performance.now() - start >= sliceMs) return false;
  }
}

// node:fs and node:crypto are loaded while the worker waits for its job, so
// their cost is part of the boot that prestarting hides.
const WORKER_SOURCE = `"use strict";
const { parentPort } = require("node:worker_threads");
const fs = require("node:fs");
const crypto = require("node:crypto");
const hashBatches = (${hashBatches.toString()});
parentPort.once("message", (job) => {
  const state = { fileIndex: -1, fd: -1, buf: undefined };
  try {
    hashBatches(fs, crypto, job, state, Infinity);
    parentPort.postMessage({ ok: true });
  } catch (err) {
    Atomics.store(new Int32Array(job.control), 1, 1);
    parentPort.postMessage({ ok: false, message: String(err && err.message), code: err && err.code, path: err && err.path });
  } finally {
    if (state.fd >= 0) fs.closeSync(state.fd);
  }
});
`;

/** Workers started ahead of their job, oldest first. */
const waiting: Worker[] = [];

function startWorker(): Worker {
  // node:worker_threads taken when a worker starts: a process that never
  // hashes (a daemon restoring its seeds) does not load it (issue 16).
  const { Worker } = process.getBuiltinModule("node:worker_threads");
  const worker = new Worker(WORKER_SOURCE, { eval: true });
  // Unref'd while idle: a worker that never gets a job (small data, an
  // error before hashing, `--help`) must not keep the process alive.
  worker.unref();
  // One that fails before it has a job never takes a batch, so the others
  // hash them all; its 'error' must not be unhandled meanwhile.
  worker.on("error", () => {});
  return worker;
}

/** Threads that hash besides the main one, on this machine. */
export function defaultHashWorkers(): number {
  return Math.max(0, availableParallelism() - 1);
}

/**
 * Starts `count` hashing workers now, for the next hashPieces call to use.
 * For a process that is about to hash (the CLI's `create`); a library
 * caller need not call it, hashPieces starts what it needs.
 */
export function prestartHashWorkers(count = defaultHashWorkers()): void {
  while (waiting.length < count) waiting.push(startWorker());
}

/** A worker for one job: a prestarted one if any is waiting, else a new one. */
export function takeHashWorker(): Worker {
  for (let worker = waiting.shift(); worker; worker = waiting.shift()) {
    if (worker.threadId !== -1) return worker; // -1: it has stopped already
  }
  return startWorker();
}
