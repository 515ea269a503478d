import assert from "node:assert/strict";
import { test } from "node:test";
import { FakeClock } from "../util/index.ts";
import { connectPair, connectRaw, settle } from "./test-helpers.ts";

test("keep-alive after 90 s of silence from us; idle timeout after 180 s of silence from them", async () => {
  const clock = new FakeClock(0);
  const { conn, raw, closed } = await connectRaw({ clock });
  const keepAlives = () => raw.types().filter((t) => t === "keep-alive").length;
  clock.advance(89_000);
  await settle();
  assert.equal(keepAlives(), 0);
  clock.advance(1_000);
  await settle();
  assert.equal(keepAlives(), 1);
  clock.advance(89_000);
  assert.equal(conn.closed, false);
  clock.advance(1_000);
  assert.equal(closed.error?.code, "idle_timeout");
  assert.match(closed.reason!, /nothing received from the peer in 180 s/);
});

test("their keep-alives keep the connection open; ours go out every 90 s", async () => {
  const clock = new FakeClock(0);
  const { conn, raw } = await connectRaw({ clock });
  for (let s = 0; s < 400; s += 60) {
    raw.send({ type: "keep-alive" });
    await settle(3);
    clock.advance(60_000);
  }
  await settle();
  assert.equal(conn.closed, false);
  const n = raw.types().filter((t) => t === "keep-alive").length;
  assert.ok(n >= 4 && n <= 5, `${n} keep-alives in 420 s`);
  conn.close();
});

test("two connections on one fake clock keep each other alive", async () => {
  const clock = new FakeClock(0);
  const { a, b } = await connectPair({ clock }, { clock });
  for (let i = 0; i < 10; i++) {
    clock.advance(60_000);
    await settle(5);
  }
  assert.ok(a.ready && b.ready);
  a.close();
});

test("options shorten the timers", async () => {
  const clock = new FakeClock(0);
  const { conn, closed } = await connectRaw({ clock, keepAliveMs: 5_000, idleTimeoutMs: 10_000 });
  clock.advance(10_000);
  assert.equal(closed.error?.code, "idle_timeout");
  assert.ok(conn.closed);
});
