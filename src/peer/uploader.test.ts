import assert from "node:assert/strict";
import { test } from "node:test";
import { FakeClock } from "../util/index.ts";
import { Timers } from "./timers.ts";
import { Uploader } from "./uploader.ts";

/** An uploader over a transport that takes writes and reports back-pressure as told. */
function setup() {
  const clock = new FakeClock(0);
  const errors: unknown[] = [];
  const timers = new Timers<"upload" | "stall">(clock, (fn) => {
    try {
      fn();
    } catch (err) {
      errors.push(err);
    }
  });
  const sent: (() => void)[] = [];
  const w = { backedUp: false, stalls: 0, sent, errors, clock };
  const up = new Uploader({
    clock,
    timers,
    buckets: [],
    maxServing: 16,
    maxQueued: 500,
    stallMs: 3000,
    stuckMs: 60_000,
    stalled: () => w.stalls++,
    canServe: () => true,
    serve: (ref) => queueMicrotask(() => up.fulfil(ref, Buffer.alloc(ref.length))),
    writev: (_chunks, done) => {
      if (done) sent.push(done);
      return !w.backedUp;
    },
    fast: true,
    reject: () => {},
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
