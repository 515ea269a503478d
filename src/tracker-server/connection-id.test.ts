import assert from "node:assert/strict";
import { test } from "node:test";
import { FakeClock } from "../util/index.ts";
import { CONNECTION_ID_WINDOW_MS, ConnectionIds } from "./connection-id.ts";

function issue(ids: ConnectionIds, address: string, port: number): Buffer {
  const out = Buffer.alloc(8);
  ids.issue(address, port, out, 0);
  return out;
}

test("an id verifies for the address and port it was issued to, and no other", () => {
  const clock = new FakeClock(1_000_000);
  const ids = new ConnectionIds(clock);
  const id = issue(ids, "127.0.0.1", 6881);
  assert.ok(ids.verify("127.0.0.1", 6881, id, 0));
  assert.ok(!ids.verify("127.0.0.2", 6881, id, 0));
  assert.ok(!ids.verify("127.0.0.1", 6882, id, 0));
  assert.ok(!ids.verify("::1", 6881, id, 0));
  const flipped = Buffer.from(id);
  flipped[7]! ^= 1;
  assert.ok(!ids.verify("127.0.0.1", 6881, flipped, 0));
});

test("BEP 15: an id stays valid at least two minutes, and expires within four", () => {
  const clock = new FakeClock(5 * CONNECTION_ID_WINDOW_MS - 1);
  const ids = new ConnectionIds(clock);
  const id = issue(ids, "::1", 51413);
  clock.advance(CONNECTION_ID_WINDOW_MS); // just over the next window start, still the previous one
  assert.ok(ids.verify("::1", 51413, id, 0));
  clock.advance(1);
  assert.ok(!ids.verify("::1", 51413, id, 0), "two windows later the id is refused");
  const late = issue(ids, "::1", 51413);
  clock.advance(2 * CONNECTION_ID_WINDOW_MS - 1);
  assert.ok(ids.verify("::1", 51413, late, 0), "an id issued at a window start lives ~4 minutes");
  clock.advance(1);
  assert.ok(!ids.verify("::1", 51413, late, 0));
});

test("two trackers with different secrets do not accept each other's ids", () => {
  const clock = new FakeClock(0);
  const a = new ConnectionIds(clock, Buffer.alloc(16, 7));
  const b = new ConnectionIds(clock, Buffer.alloc(16, 8));
  assert.ok(!b.verify("10.0.0.1", 1, issue(a, "10.0.0.1", 1), 0));
});

test("instances sharing a secret accept each other's ids, across the day's key rotation too", () => {
  const day = 86_400_000;
  const clock = new FakeClock(3 * day - 1000);
  const a = new ConnectionIds(clock, { secrets: ["0123456789abcdef-one"] });
  const b = new ConnectionIds(clock, { secrets: ["0123456789abcdef-one"] });
  const other = new ConnectionIds(clock, { secrets: ["0123456789abcdef-two"] });
  const id = issue(a, "10.0.0.1", 6881);
  assert.ok(b.verify("10.0.0.1", 6881, id, 0));
  assert.ok(!other.verify("10.0.0.1", 6881, id, 0));
  // The day's key changed a second after the id was issued: still accepted.
  clock.advance(2000);
  assert.ok(b.verify("10.0.0.1", 6881, id, 0));
  assert.notDeepEqual(issue(a, "10.0.0.1", 6881), id, "a new day issues with a new key");
});

test("rotating the shared secret: ids of the old one stay accepted while it is listed", () => {
  const clock = new FakeClock(0);
  const old = new ConnectionIds(clock, { secrets: ["0123456789abcdef-old"] });
  const rolled = new ConnectionIds(clock, {
    secrets: ["0123456789abcdef-new", "0123456789abcdef-old"],
  });
  const id = issue(old, "10.0.0.1", 1);
  assert.ok(rolled.verify("10.0.0.1", 1, id, 0));
  assert.ok(old.verify("10.0.0.1", 1, issue(rolled, "10.0.0.1", 1), 0) === false);
});
