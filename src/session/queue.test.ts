import assert from "node:assert/strict";
import { test } from "node:test";
import { moveInQueue, planQueue, type QueueCandidate } from "./queue.ts";
import { goalReached } from "./seeding-goals.ts";

const c = (
  infoHash: string,
  position: number,
  o: Partial<QueueCandidate> = {},
): QueueCandidate => ({
  infoHash,
  position,
  done: false,
  running: false,
  stalled: false,
  ...o,
});

test("queue: the first in order run up to each limit; the rest wait", () => {
  const plan = planQueue(
    [
      c("d3", 3),
      c("d1", 1, { running: true }),
      c("d2", 2),
      c("s1", 4, { done: true }),
      c("s2", 5, { done: true, running: true }),
    ],
    { maxActiveDownloads: 2, maxActiveSeeds: 1, stalledMinutes: 30 },
  );
  assert.deepEqual(plan.run, ["d1", "d2", "s1"]);
  assert.deepEqual(plan.wait, ["d3", "s2"]);
});

test("queue: a stalled running torrent keeps running but leaves its slot to the next", () => {
  const plan = planQueue([c("a", 1, { running: true, stalled: true }), c("b", 2), c("c", 3)], {
    maxActiveDownloads: 1,
    maxActiveSeeds: 0,
    stalledMinutes: 30,
  });
  assert.deepEqual(plan.run, ["a", "b"]);
  assert.deepEqual(plan.wait, ["c"]);
  // No limits: everything runs.
  assert.deepEqual(
    planQueue([c("a", 1), c("b", 2, { done: true })], {
      maxActiveDownloads: 0,
      maxActiveSeeds: 0,
      stalledMinutes: 0,
    }).wait,
    [],
  );
});

test("queue moves: top, up, down, bottom, a position", () => {
  const order = ["a", "b", "c", "d"];
  assert.deepEqual(moveInQueue(order, "c", "top"), ["c", "a", "b", "d"]);
  assert.deepEqual(moveInQueue(order, "c", "up"), ["a", "c", "b", "d"]);
  assert.deepEqual(moveInQueue(order, "a", "up"), order);
  assert.deepEqual(moveInQueue(order, "b", "down"), ["a", "c", "b", "d"]);
  assert.deepEqual(moveInQueue(order, "a", "bottom"), ["b", "c", "d", "a"]);
  assert.deepEqual(moveInQueue(order, "d", 1), ["a", "d", "b", "c"]);
  assert.deepEqual(moveInQueue(order, "d", 99), order);
});

test("seeding goals: own beats global, null means none", () => {
  const global = { ratioLimit: 2, idleLimitMinutes: 10 };
  assert.equal(goalReached({ ratio: 2, idleMs: 0 }, {}, global), "ratio");
  assert.equal(goalReached({ ratio: 1.9, idleMs: 0 }, {}, global), undefined);
  assert.equal(goalReached({ ratio: 2.5, idleMs: 0 }, { ratioLimit: 3 }, global), undefined);
  assert.equal(goalReached({ ratio: 9, idleMs: 0 }, { ratioLimit: null }, global), undefined);
  assert.equal(goalReached({ ratio: 0, idleMs: 600_000 }, {}, global), "idle");
  assert.equal(
    goalReached({ ratio: 0, idleMs: 600_000 }, { idleLimitMinutes: null }, global),
    undefined,
  );
  assert.equal(
    goalReached({ ratio: 9, idleMs: 9e9 }, {}, { ratioLimit: 0, idleLimitMinutes: 0 }),
    undefined,
  );
});
