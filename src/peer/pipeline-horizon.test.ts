import assert from "node:assert/strict";
import { test } from "node:test";
import { PipelineHorizon } from "./pipeline-policy.ts";

test("PipelineHorizon: the full horizon without a download limit, whatever happens", () => {
  const h = new PipelineHorizon(1, false, 0);
  assert.equal(h.seconds(0), 1);
  assert.equal(h.seconds(10_000), 1);
});

test("PipelineHorizon: under a binding limit it starts and stays short (issue 13, item 9)", () => {
  const h = new PipelineHorizon(1, true, 0);
  // The limit pauses our reading every few milliseconds: nothing more is worth asking for.
  for (let t = 0; t <= 5000; t += 5) {
    h.limited(t);
    assert.equal(h.seconds(t), 0.02);
  }
});

test("PipelineHorizon: grows while the pipeline, not the limit, holds the download back", () => {
  // A long path: no pause for a while means more must be in flight to reach the limit.
  const h = new PipelineHorizon(1, true, 0);
  const seen: number[] = [];
  for (let t = 0; t <= 1500; t += 10) seen.push(h.seconds(t));
  assert.deepEqual([...new Set(seen)], [0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1]);
  // Then the limit binds again: it shrinks by a quarter per 50 ms, down to the floor.
  const shrinking: number[] = [];
  for (let t = 2000; t <= 2800; t += 5) {
    h.limited(t);
    shrinking.push(h.seconds(t));
  }
  assert.ok(shrinking.every((s, i) => i === 0 || s <= shrinking[i - 1]!));
  assert.equal(shrinking.at(-1), 0.02);
  assert.equal(shrinking.filter((s) => s === 0.75).length, 10, "one step per 50 ms");
});

test("PipelineHorizon: a limit set later shrinks a full horizon; lifted, it grows back", () => {
  const h = new PipelineHorizon(1, false, 0);
  for (let t = 0; t <= 1000; t += 1) h.limited(t);
  assert.equal(h.seconds(1000), 0.02);
  let t = 1000;
  while (h.seconds(t) < 1 && t < 5000) t += 10;
  assert.ok(t - 1000 <= 2000, `back to full after ${t - 1000} ms`);
});
