import assert from "node:assert/strict";
import { test } from "node:test";
import { loadMemoryNetwork } from "../net/index.ts";
import { FakeClock } from "../util/index.ts";
import { dialOutgoing, RawPeer, settle, until } from "./test-helpers.ts";

const { createMemoryPipe } = await loadMemoryNetwork();

/** A connection (haves delayed by `haveDelayMs`) facing a raw peer; counts its writes. */
async function open(haveDelayMs: number) {
  const clock = new FakeClock(0);
  const [ta, tb] = createMemoryPipe();
  // Calls made by the connection (the pipe's writev writes each chunk in turn).
  let writes = 0;
  let inWritev = false;
  const write = ta.write.bind(ta);
  const writev = ta.writev.bind(ta);
  ta.write = (chunk) => {
    if (!inWritev) writes++;
    return write(chunk);
  };
  ta.writev = (chunks) => {
    writes++;
    inWritev = true;
    try {
      return writev(chunks);
    } finally {
      inWritev = false;
    }
  };
  const raw = new RawPeer(tb);
  raw.handshake();
  const conn = await dialOutgoing(ta, { clock, haveDelayMs });
  await until(() => conn.ready, "ready");
  await settle();
  const haves = () => raw.messages().filter((m) => m.type === "have").length;
  return { clock, conn, haves, writes: () => writes };
}

test("haves: with haveDelayMs they gather and leave together once it has passed", async () => {
  const { clock, conn, haves, writes } = await open(100);
  const before = writes();
  conn.sendHave(1);
  conn.sendHave(2);
  clock.advance(50);
  conn.sendHave(3);
  await settle();
  assert.equal(haves(), 0, "nothing before the delay");
  clock.advance(50);
  await settle();
  assert.equal(haves(), 3);
  assert.equal(writes() - before, 1, "three haves, one write");
  conn.close();
});

test("haves: without a delay each goes at once (an idle connection)", async () => {
  const { conn, haves } = await open(0);
  conn.sendHave(1);
  await settle();
  assert.equal(haves(), 1);
  conn.close();
});

test("haves: a delayed have goes out with the next message written", async () => {
  const { conn, haves, writes } = await open(100);
  const before = writes();
  conn.sendHave(4);
  conn.setInterested(true);
  await settle();
  assert.equal(haves(), 1, "went with 'interested', before the delay");
  assert.equal(writes() - before, 1);
  conn.close();
});
