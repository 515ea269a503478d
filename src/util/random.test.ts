import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { randomBytesFrom, seededRandom } from "./random.ts";

describe("seededRandom", () => {
  it("repeats for the same seed and differs for another", () => {
    const draw = (seed: number) => Array.from({ length: 8 }, seededRandom(seed));
    assert.deepEqual(draw(1), draw(1));
    assert.notDeepEqual(draw(1), draw(2));
  });

  it("stays in [0, 1) and spreads over it", () => {
    const random = seededRandom(42);
    const bins = new Array<number>(10).fill(0);
    for (let i = 0; i < 10_000; i++) {
      const x = random();
      assert.ok(x >= 0 && x < 1, `${x} out of range`);
      bins[Math.floor(x * 10)]!++;
    }
    for (const n of bins) assert.ok(n > 850 && n < 1150, `uneven bins: ${bins.join(" ")}`);
  });

  it("gives repeatable bytes", () => {
    const a = randomBytesFrom(seededRandom(7))(12);
    const b = randomBytesFrom(seededRandom(7))(12);
    assert.equal(a.length, 12);
    assert.ok(a.equals(b));
  });
});
