import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { FakeClock, realClock } from "./index.ts";

describe("FakeClock", () => {
  it("starts where told and moves only when advanced", () => {
    const clock = new FakeClock(1000);
    assert.equal(clock.now(), 1000);
    clock.advance(250);
    assert.equal(clock.now(), 1250);
    clock.advance(0);
    assert.equal(clock.now(), 1250);
  });

  it("fires timers in due order, ties in the order they were set, each at its own time", () => {
    const clock = new FakeClock();
    const fired: string[] = [];
    const at = (name: string) => () => fired.push(`${name}@${clock.now()}`);
    clock.setTimeout(at("c"), 30);
    clock.setTimeout(at("a"), 10);
    clock.setTimeout(at("b1"), 20);
    clock.setTimeout(at("b2"), 20);
    clock.setTimeout(at("late"), 31);
    clock.advance(30);
    assert.deepEqual(fired, ["a@10", "b1@20", "b2@20", "c@30"]);
    assert.equal(clock.now(), 30);
    clock.advance(1);
    assert.deepEqual(fired.at(-1), "late@31");
  });

  it("does not fire a zero-delay timer until time is advanced", () => {
    const clock = new FakeClock();
    let fired = 0;
    clock.setTimeout(() => fired++, 0);
    assert.equal(fired, 0);
    clock.advance(0);
    assert.equal(fired, 1);
  });

  it("treats a negative delay as zero", () => {
    const clock = new FakeClock(5);
    let when = -1;
    clock.setTimeout(() => {
      when = clock.now();
    }, -100);
    clock.advance(0);
    assert.equal(when, 5);
  });

  it("fires timers set by a callback within the same advance, in order", () => {
    const clock = new FakeClock();
    const fired: string[] = [];
    clock.setTimeout(() => {
      fired.push(`first@${clock.now()}`);
      clock.setTimeout(() => fired.push(`chained@${clock.now()}`), 5);
      clock.setTimeout(() => fired.push(`beyond@${clock.now()}`), 100);
    }, 10);
    clock.setTimeout(() => fired.push(`other@${clock.now()}`), 12);
    clock.advance(20);
    assert.deepEqual(fired, ["first@10", "other@12", "chained@15"]);
    clock.advance(90);
    assert.deepEqual(fired.at(-1), "beyond@110");
  });

  it("clearTimeout cancels, also from inside an earlier callback", () => {
    const clock = new FakeClock();
    const fired: string[] = [];
    const later = clock.setTimeout(() => fired.push("later"), 20);
    clock.setTimeout(() => {
      fired.push("early");
      clock.clearTimeout(later);
    }, 10);
    const never = clock.setTimeout(() => fired.push("never"), 5);
    clock.clearTimeout(never);
    clock.clearTimeout(never); // twice is harmless
    clock.advance(100);
    assert.deepEqual(fired, ["early"]);
  });

  it("gives each timer its own handle", () => {
    const clock = new FakeClock();
    const a = clock.setTimeout(() => {}, 1);
    const b = clock.setTimeout(() => {}, 1);
    assert.notEqual(a.id, b.id);
  });
});

describe("realClock", () => {
  it("is monotonic, fires timers and cancels them", async () => {
    const t0 = realClock.now();
    let fired = 0;
    let cancelled = 0;
    realClock.setTimeout(() => fired++, 5);
    const h = realClock.setTimeout(() => cancelled++, 5);
    realClock.clearTimeout(h);
    // realClock's timers are unref'd; this sleep keeps the event loop alive meanwhile.
    await sleep(60);
    assert.equal(fired, 1);
    assert.equal(cancelled, 0);
    assert.ok(realClock.now() >= t0 + 5);
  });
});

it("FakeClock refuses to move backwards", () => {
  assert.throws(() => new FakeClock(10).advance(-1), RangeError);
});
