import assert from "node:assert/strict";
import { test } from "node:test";
import { FakeClock } from "../util/index.ts";
import { RateMeter } from "./rate-meter.ts";
import { TokenBucket } from "./token-bucket.ts";

test("RateMeter: steady traffic reads as its rate; old traffic leaves the window", () => {
  const clock = new FakeClock(0);
  const meter = new RateMeter(clock, 5);
  for (let i = 0; i < 100; i++) {
    clock.advance(100);
    meter.add(10_000); // 100 kB/s
  }
  assert.ok(Math.abs(meter.rate() - 100_000) < 5_000, `rate ${meter.rate()}`);
  clock.advance(10_000);
  assert.equal(meter.rate(), 0);
  assert.equal(meter.total, 1_000_000);
});

test("TokenBucket holds its rate within ±5% over 10 s", () => {
  const clock = new FakeClock(0);
  const rate = 512 * 1024;
  const bucket = new TokenBucket(clock, rate);
  let sent = 0;
  // A greedy sender polling every 7 ms for 10 s.
  for (let t = 0; t < 10_000; t += 7) {
    sent += bucket.take(64 * 1024);
    clock.advance(7);
  }
  const achieved = sent / 10;
  assert.ok(
    Math.abs(achieved - rate) / rate < 0.05,
    `achieved ${achieved} B/s for a ${rate} B/s limit`,
  );
});

test("TokenBucket: consume past zero delays later takes; unlimited; live rate change", () => {
  const clock = new FakeClock(0);
  const bucket = new TokenBucket(clock, 100_000, 20_000);
  bucket.consume(40_000);
  assert.equal(bucket.take(1), 0);
  assert.equal(bucket.delayFor(10_000), 300);
  clock.advance(300);
  assert.equal(bucket.take(10_000), 10_000);
  const open = new TokenBucket(clock, 0);
  assert.equal(open.unlimited, true);
  assert.equal(open.take(1e9), 1e9);
  open.setRate(1000, 1000);
  assert.equal(open.take(5000), 1000);
});
