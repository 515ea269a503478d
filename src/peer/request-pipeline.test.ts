import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { pipelineDepth, requestTimeout } from "./pipeline-policy.ts";
import { blockKey, RequestPipeline } from "./request-pipeline.ts";
import { ServeQueue } from "./serve-queue.ts";

const blk = (index: number, begin = 0, length = 16384) => ({ index, begin, length });

test("RequestPipeline: queue, send up to depth, answer, give up, expire in send order", () => {
  const p = new RequestPipeline();
  for (let i = 0; i < 5; i++) assert.ok(p.add(blk(i)));
  assert.equal(p.add(blk(0)), false);
  assert.deepEqual(p.takeToSend(2, 0), [blk(0), blk(1)]);
  assert.deepEqual(p.takeToSend(2, 0), [], "depth reached");
  assert.equal(p.outstandingBytes, 32768);
  assert.equal(p.answer(0, 0, 16384), "requested");
  assert.equal(p.answer(0, 0, 16384), "unknown", "answered once only");
  assert.equal(p.answer(1, 0, 1000), "unknown", "length must match");
  assert.deepEqual(p.takeToSend(3, 1000), [blk(2), blk(3)]);
  assert.equal(p.cancel(blk(4), 1000), "queued");
  assert.equal(p.cancel(blk(2), 1000), "outstanding");
  assert.equal(p.answer(2, 0, 16384), "given-up");
  assert.deepEqual(p.expire(30_000, 30_000), [blk(1)], "sent at 0");
  assert.deepEqual(p.expire(30_999, 30_000), []);
  assert.deepEqual(p.expire(31_000, 30_000), [blk(3)]);
  assert.equal(p.outstandingCount, 0);
  assert.equal(p.outstandingBytes, 0);
  assert.equal(p.answer(3, 0, 16384), "given-up", "late answer to a timed-out request");
  p.add(blk(6));
  p.takeToSend(5, 40_000);
  p.add(blk(7));
  assert.deepEqual(p.dropOutstanding(40_000), [blk(6)]);
  assert.deepEqual(p.takeQueued(), [blk(7)]);
  p.prune(90_000, 60_000);
  assert.equal(p.answer(1, 0, 16384), "unknown", "forgotten after pruning");
  assert.equal(p.answer(6, 0, 16384), "given-up", "recent ones are kept");
});

test("ServeQueue: waiting → serving (bounded) → outbox; remove and clear", () => {
  const q = new ServeQueue();
  assert.ok(q.add(blk(0)));
  assert.ok(q.add(blk(1)));
  assert.ok(q.add(blk(2)));
  assert.equal(q.add(blk(1)), false);
  assert.deepEqual(q.next(2), blk(0));
  assert.deepEqual(q.next(2), blk(1));
  assert.equal(q.next(2), undefined, "two in service");
  assert.equal(q.fulfil(blk(2), Buffer.alloc(16384)), false, "not handed out yet");
  assert.ok(q.fulfil(blk(0), Buffer.alloc(16384)));
  assert.equal(q.stage(blk(0)), "outbox");
  assert.equal(q.next(2), undefined, "the outbox counts as in service");
  assert.deepEqual(q.shiftOutbox()?.index, 0);
  assert.deepEqual(q.next(2), blk(2));
  assert.equal(q.remove(blk(1)), "serving");
  assert.equal(q.fulfil(blk(1), Buffer.alloc(16384)), false);
  assert.equal(q.size, 1);
  assert.deepEqual(q.clear(), [blk(2)]);
  assert.equal(q.size, 0);
});

test("pipeline depth follows the rate; request timeouts shrink for fast peers", () => {
  assert.equal(pipelineDepth(0, 1, 250), 2);
  assert.equal(pipelineDepth(1024 * 1024, 1, 250), 64, "1 MiB/s → 64 blocks");
  assert.equal(pipelineDepth(100 * 1024 * 1024, 1, 250), 250);
  assert.equal(pipelineDepth(100 * 1024 * 1024, 1, 250, 100), 100, "their reqq caps it");
  assert.equal(pipelineDepth(0, 1, 250, 1), 1);
  assert.equal(requestTimeout(0, 16384, 5_000, 30_000), 30_000, "no rate yet: the full timeout");
  assert.equal(requestTimeout(10_000, 16384 * 10, 5_000, 30_000), 30_000, "slow peer");
  assert.equal(requestTimeout(10 * 1024 * 1024, 16384 * 64, 5_000, 30_000), 5_000, "fast peer");
  const mid = requestTimeout(1024 * 1024, 16384 * 256, 5_000, 30_000);
  assert.equal(mid, 14_000, "4 MiB outstanding at 1 MiB/s: 3 × 4 s + 2 s");
});

test("blockKey: equal exactly when (index, begin, length) are, packed or not", () => {
  const block = fc.record({
    index: fc.oneof(fc.integer({ min: 0, max: 10 }), fc.integer({ min: 0, max: 2 ** 31 - 1 })),
    begin: fc.oneof(
      fc.integer({ min: 0, max: 4 }).map((b) => b * 16384),
      fc.integer({ min: 0, max: 2 ** 31 }),
      fc.constant(2 ** 31 - 16384),
    ),
    length: fc.oneof(fc.constantFrom(1, 16383, 16384, 16385), fc.integer({ min: 0, max: 1 << 17 })),
  });
  fc.assert(
    fc.property(block, block, (a, b) => {
      const same = a.index === b.index && a.begin === b.begin && a.length === b.length;
      assert.equal(
        blockKey(a.index, a.begin, a.length) === blockKey(b.index, b.begin, b.length),
        same,
      );
    }),
    { numRuns: 5000 },
  );
  assert.equal(typeof blockKey(3, 16384, 16384), "number", "a usual block packs");
  assert.equal(typeof blockKey(3, 100, 16384), "string", "an unaligned one does not");
  assert.equal(typeof blockKey(2 ** 22, 0, 16384), "string", "nor one past the exact range");
});
