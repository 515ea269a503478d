import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { fairShares, MIN_SHARE } from "./fair-share.ts";

const INF = Number.POSITIVE_INFINITY;

test("busy consumers split the total equally", () => {
  assert.deepEqual(
    fairShares(900, [
      { used: 1000, cap: INF },
      { used: 1000, cap: INF },
      { used: 1000, cap: INF },
    ]).map(Math.round),
    [300, 300, 300],
  );
});

test("what a light consumer leaves goes to the others", () => {
  const total = 1_000_000;
  const shares = fairShares(total, [
    { used: 100_000, cap: INF },
    { used: 900_000, cap: INF },
    { used: 900_000, cap: INF },
  ]);
  assert.equal(Math.round(shares[0]!), 125_000);
  assert.equal(Math.round(shares[1]!), 437_500);
  assert.equal(Math.round(shares[2]!), 437_500);
});

test("per-consumer caps hold, and their slack is shared", () => {
  const shares = fairShares(1_000_000, [
    { used: 900_000, cap: 200_000 },
    { used: 900_000, cap: INF },
  ]);
  assert.deepEqual(shares.map(Math.round), [200_000, 800_000]);
});

test("an idle consumer still gets enough to start", () => {
  const shares = fairShares(1_000_000, [
    { used: 0, cap: INF },
    { used: 2_000_000, cap: INF },
  ]);
  assert.ok(shares[0]! >= MIN_SHARE);
  assert.ok(shares[1]! >= 1_000_000 - MIN_SHARE * 1.25 - 1);
});

test("shares never exceed the total or a cap (property)", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: MIN_SHARE * 20, max: 1e9 }),
      fc.array(
        fc.record({
          used: fc.integer({ min: 0, max: 1e9 }),
          cap: fc.oneof(fc.constant(INF), fc.integer({ min: 1, max: 1e9 })),
        }),
        { minLength: 1, maxLength: 12 },
      ),
      (total, demands) => {
        const shares = fairShares(total, demands);
        const sum = shares.reduce((s, x) => s + x, 0);
        assert.ok(sum <= total * (1 + 1e-9), `sum ${sum} > total ${total}`);
        for (const [i, x] of shares.entries()) assert.ok(x <= demands[i]!.cap + 1e-9);
      },
    ),
  );
});
