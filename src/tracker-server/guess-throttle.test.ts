import assert from "node:assert/strict";
import { test } from "node:test";
import { GuessThrottle } from "./guess-throttle.ts";

const opts = { maxFailures: 3, windowMs: 1000, maxAddresses: 4 };

test("an address is refused after maxFailures in a window, and free again after it", () => {
  const t = new GuessThrottle(opts);
  for (let i = 0; i < 3; i++) {
    assert.equal(t.waitMs("a", 100), 0);
    t.failed("a", 100);
  }
  assert.equal(t.waitMs("a", 400), 700);
  assert.equal(t.waitMs("b", 400), 0, "another address is not affected");
  assert.equal(t.waitMs("a", 1100), 0);
  assert.equal(t.size, 0, "the expired entry is gone");
});

test("the table never holds more than maxAddresses; expired entries go first", () => {
  const t = new GuessThrottle(opts);
  for (let i = 0; i < 100; i++) t.failed(`x${i}`, i);
  assert.equal(t.size, 4);
  for (let i = 0; i < 3; i++) t.failed("z", 5000);
  assert.ok(t.size <= 4);
  assert.ok(t.waitMs("z", 5000) > 0);
});

test("IPv6 addresses count per /64", () => {
  const a = `${"\x20\x01\x0d\xb8\x00\x00\x00\x01"}${"\x00".repeat(7)}\x01`;
  const b = `${"\x20\x01\x0d\xb8\x00\x00\x00\x01"}${"\x00".repeat(7)}\x02`;
  assert.equal(GuessThrottle.keyOf(6, a), GuessThrottle.keyOf(6, b));
  assert.notEqual(
    GuessThrottle.keyOf(4, "\x0a\x00\x00\x01"),
    GuessThrottle.keyOf(4, "\x0a\x00\x00\x02"),
  );
});
