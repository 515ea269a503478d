import assert from "node:assert/strict";
import { test } from "node:test";
import { TokenBucket } from "../ratelimit/index.ts";
import { FakeClock } from "../util/index.ts";
import type { BlockRef } from "../wire/index.ts";
import { allBlocks, blockData, connectPair, full, settle, until } from "./test-helpers.ts";

function everyBlock(rounds: number): BlockRef[] {
  const out: BlockRef[] = [];
  // Distinct refs: vary the length a little per round so none is a duplicate.
  for (let r = 0; r < rounds; r++) {
    for (const b of allBlocks()) out.push({ ...b, length: b.length - r });
  }
  return out;
}

test("upload buckets hold the send rate (FakeClock): 64 KiB/s over 10 s", async () => {
  const clock = new FakeClock(0);
  const rate = 64 * 1024;
  const torrent = new TokenBucket(clock, rate);
  const global = new TokenBucket(clock, 10 * rate);
  const { a, b } = await connectPair(
    { clock, requestTimeoutMs: 600_000 },
    { clock, bitfield: full(), uploadBuckets: [torrent, global] },
    {},
    (b) =>
      b.on("request", (r) => b.sendPiece(r.index, r.begin, blockData(r.index, r.begin, r.length))),
  );
  b.unchoke();
  await until(() => !a.peerChoking, "unchoke");
  let received = 0;
  a.on("block", (blk) => {
    received += blk.data.length;
  });
  for (const ref of everyBlock(4)) a.request(ref);
  await settle();
  const burst = received;
  for (let t = 0; t < 10_000; t += 50) {
    clock.advance(50);
    await settle(3);
  }
  const sent = received - burst;
  // Each piece message carries 13 header bytes the bucket also pays for.
  const expected = rate * 10 * (16384 / (16384 + 13));
  assert.ok(
    Math.abs(sent - expected) / expected < 0.05,
    `sent ${sent} B in 10 s, expected ~${expected}`,
  );
  assert.ok(burst <= 2 * 16384 + 64 * 1024, `initial burst ${burst}`);
  a.close();
});

test("download buckets pause reading while empty (FakeClock): 32 KiB/s", async () => {
  const clock = new FakeClock(0);
  const rate = 32 * 1024;
  const bucket = new TokenBucket(clock, rate);
  const { a, b } = await connectPair(
    { clock, downloadBuckets: [bucket], requestTimeoutMs: 600_000 },
    { clock, bitfield: full() },
    { highWaterMark: 16 * 1024 },
    (b) =>
      b.on("request", (r) => b.sendPiece(r.index, r.begin, blockData(r.index, r.begin, r.length))),
  );
  b.unchoke();
  await until(() => !a.peerChoking, "unchoke");
  let received = 0;
  a.on("block", (blk) => {
    received += blk.data.length;
  });
  for (const ref of everyBlock(3)) a.request(ref);
  await settle(50);
  const start = received;
  assert.ok(start < 200 * 1024, `before time moves only the burst arrives (${start})`);
  for (let t = 0; t < 10_000; t += 50) {
    clock.advance(50);
    await settle(3);
  }
  const got = received - start;
  const expected = rate * 10;
  // Reading is paused per chunk, so allow one block either way.
  assert.ok(
    Math.abs(got - expected) <= 2 * 16384 + 0.05 * expected,
    `got ${got}, expected ~${expected}`,
  );
  a.close();
});
