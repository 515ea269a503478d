import assert from "node:assert/strict";
import { test } from "node:test";
import { TokenBucket } from "../ratelimit/index.ts";
import { FakeClock } from "../util/index.ts";
import { Timers } from "./timers.ts";
import { Uploader } from "./uploader.ts";

/** An uploader over a transport that takes writes and reports back-pressure as told. */
function setup(clock = new FakeClock(0), buckets: TokenBucket[] = []) {
  const errors: unknown[] = [];
  const timers = new Timers<"upload" | "stall">(clock, (fn) => {
    try {
      fn();
    } catch (err) {
      errors.push(err);
    }
  });
  const sent: (() => void)[] = [];
  const rejected: number[] = [];
  const written: number[] = [];
  const w = { backedUp: false, stalls: 0, sent, errors, clock, rejected, written };
  const up = new Uploader({
    clock,
    timers,
    buckets,
    maxServing: 16,
    maxQueued: 500,
    stallMs: 3000,
    stuckMs: 60_000,
    stalled: () => w.stalls++,
    canServe: () => true,
    serve: (ref) => queueMicrotask(() => up.fulfil(ref, Buffer.alloc(ref.length))),
    writev: (chunks, done) => {
      // Each piece is a header and its block: the header's begin (bytes 9-12).
      for (let i = 0; i < chunks.length; i += 2)
        written.push(Buffer.from(chunks[i]!).readUInt32BE(9));
      if (done) sent.push(done);
      return !w.backedUp;
    },
    fast: true,
    reject: (refs) => rejected.push(...refs.map((r) => r.begin)),
    cancelled: () => {},
  });
  return { up, w };
}

const ask = (up: Uploader, n: number) => up.accept({ index: 0, begin: n * 16384, length: 16384 });
const tick = () => new Promise((r) => setImmediate(r));

test("uploader: a transport backed up with no write completing is a stall after stallMs, told once", async () => {
  const { up, w } = setup();
  w.backedUp = true;
  ask(up, 0);
  await tick();
  assert.equal(up.backedUpFor(w.clock.now()), 0, "backed up only from the write that says so");
  assert.equal(w.sent.length, 1);
  w.clock.advance(2999);
  assert.equal(w.stalls, 0);
  assert.equal(up.backedUpFor(w.clock.now()), 2999);
  w.clock.advance(1);
  assert.equal(w.stalls, 1);
  w.clock.advance(10_000);
  assert.equal(w.stalls, 1, "one notice per stall");
  assert.deepEqual(w.errors, []);
});

test("uploader: a write that completes is progress (a slow reader is no stall); a drain ends the stall", async () => {
  const { up, w } = setup();
  w.backedUp = true;
  ask(up, 0);
  await tick();
  w.clock.advance(2000);
  w.sent[0]!(); // the kernel took the batch: the peer reads, slowly
  w.clock.advance(2000);
  assert.equal(w.stalls, 0);
  assert.equal(up.backedUpFor(w.clock.now()), 2000);
  w.clock.advance(1000);
  assert.equal(w.stalls, 1);
  up.onDrain();
  assert.equal(up.backedUpFor(w.clock.now()), 0);
  w.clock.advance(120_000);
  assert.deepEqual(w.errors, [], "no timer left once drained");
});

test("uploader: backed up with no progress for stuckMs closes the connection (stalled_reader)", async () => {
  const { up, w } = setup();
  w.backedUp = true;
  ask(up, 0);
  await tick();
  w.clock.advance(59_999);
  assert.deepEqual(w.errors, []);
  w.clock.advance(1);
  assert.equal(w.errors.length, 1);
  assert.equal((w.errors[0] as { code?: string } | undefined)?.code, "stalled_reader");
});

test("uploader (fast): a cancelled block read and waiting for the upload limit is rejected, not sent", async () => {
  const clock = new FakeClock(0);
  // Room for one block and its header now; the rest waits for the limit.
  const bucket = new TokenBucket(clock, 16 * 1024 + 13, 16 * 1024 + 13);
  const { up, w } = setup(clock, [bucket]);
  ask(up, 0);
  ask(up, 1);
  ask(up, 2);
  await tick();
  assert.deepEqual(w.written, [0], "one block went; two wait in the outbox");
  up.onCancel({ index: 0, begin: 16384, length: 16384 });
  assert.deepEqual(w.rejected, [16384], "BEP 6: the cancel is answered with a reject");
  clock.advance(5000);
  assert.deepEqual(w.written, [0, 32768], "the cancelled block never went out");
  assert.deepEqual(w.errors, []);
});
