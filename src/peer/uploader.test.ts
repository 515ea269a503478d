import assert from "node:assert/strict";
import { test } from "node:test";
import { TokenBucket } from "../ratelimit/index.ts";
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

test("uploader: connections sharing a rate limit take turns; none is starved while another always has pieces ready", () => {
  const clock = new FakeClock(0);
  const shared = new TokenBucket(clock, 1_000_000);
  const timers = () => new Timers<"upload" | "stall">(clock, (fn) => fn());
  const written = [0, 0, 0];
  const uploaders = written.map((_, i) => {
    const up: Uploader = new Uploader({
      clock,
      timers: timers(),
      buckets: [shared],
      maxServing: 16,
      maxQueued: 500,
      stallMs: 3000,
      stuckMs: 60_000,
      stalled: () => {},
      canServe: () => true,
      // Read at once: every connection always has answered pieces waiting.
      serve: (ref) => up.fulfil(ref, Buffer.alloc(ref.length)),
      writev: (chunks) => {
        for (const c of chunks) written[i]! += c.length;
        return true;
      },
      fast: true,
      reject: () => {},
      cancelled: () => {},
    });
    return up;
  });
  // The first connection asks first and takes the burst; then all three wait on the bucket.
  for (const up of uploaders) for (let n = 0; n < 400; n++) ask(up, n);
  const before = [...written];
  for (let ms = 0; ms < 5000; ms += 10) clock.advance(10);
  const got = written.map((w, i) => w - before[i]!);
  const total = got.reduce((a, b) => a + b, 0);
  assert.ok(total <= 5_100_000 && total >= 4_800_000, `the limit holds: ${total} B in 5 s`);
  for (const [i, g] of got.entries())
    assert.ok(g > total / 4, `connection ${i} got ${g} of ${total} B (${got.join(", ")})`);
});

test("uploader: credit reserved for a connection that is choked goes back to the bucket", () => {
  const clock = new FakeClock(0);
  const shared = new TokenBucket(clock, 1_000_000);
  const up: Uploader = new Uploader({
    clock,
    timers: new Timers<"upload" | "stall">(clock, (fn) => fn()),
    buckets: [shared],
    maxServing: 16,
    maxQueued: 500,
    stallMs: 3000,
    stuckMs: 60_000,
    stalled: () => {},
    canServe: () => true,
    serve: (ref) => up.fulfil(ref, Buffer.alloc(ref.length)),
    writev: () => true,
    fast: true,
    reject: () => {},
    cancelled: () => {},
  });
  for (let n = 0; n < 100; n++) ask(up, n);
  assert.ok(shared.available() < 16 * 1024, "the burst is spent and a batch reserved");
  up.onChoke();
  clock.advance(1);
  assert.ok(shared.available() > 0, "the reservation was given back");
});
