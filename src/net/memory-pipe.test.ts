import assert from "node:assert/strict";
import { once } from "node:events";
import { test } from "node:test";
import { setImmediate as tick } from "node:timers/promises";
import { createMemoryPipe } from "./memory-pipe.ts";

test("memory pipe: delivers asynchronously, in order, both ways, without copying", async () => {
  const [a, b] = createMemoryPipe();
  const got: Buffer[] = [];
  b.on("data", (c) => got.push(c));
  const chunk = Buffer.from("hello");
  a.write(chunk);
  a.write(Buffer.from(" world"));
  assert.equal(got.length, 0, "nothing is delivered synchronously");
  await tick();
  assert.equal(Buffer.concat(got).toString(), "hello world");
  assert.equal(got[0], chunk, "the same buffer arrives (zero copy)");
  const back: Buffer[] = [];
  a.on("data", (c) => back.push(c));
  b.writev([Buffer.from("x"), Buffer.from("y")]);
  await tick();
  assert.equal(Buffer.concat(back).toString(), "xy");
  assert.equal(a.remoteAddress, "127.0.0.1");
  assert.equal(a.remotePort, 50002);
  assert.equal(b.remotePort, 50001);
});

test("memory pipe: a paused reader backs the writer up until drain", async () => {
  const [a, b] = createMemoryPipe({ highWaterMark: 100 });
  let received = 0;
  b.on("data", (c) => {
    received += c.length;
  });
  b.pause();
  assert.equal(a.write(Buffer.alloc(60)), true);
  assert.equal(a.write(Buffer.alloc(60)), false, "over the high-water mark");
  await tick();
  assert.equal(received, 0, "paused: nothing delivered");
  const drained = once(a, "drain");
  b.resume();
  await drained;
  assert.equal(received, 120);
});

test("memory pipe: maxChunk splits deliveries", async () => {
  const [a, b] = createMemoryPipe({ maxChunk: 3 });
  const sizes: number[] = [];
  b.on("data", (c) => sizes.push(c.length));
  a.write(Buffer.alloc(8));
  await tick();
  assert.deepEqual(sizes, [3, 3, 2]);
});

test("memory pipe: destroy delivers what was written, then both sides close once", async () => {
  const [a, b] = createMemoryPipe();
  const closes: string[] = [];
  a.on("close", () => closes.push("a"));
  b.on("close", () => closes.push("b"));
  let got = "";
  b.on("data", (c) => {
    got += c.toString();
  });
  const errors: Error[] = [];
  a.on("error", (e) => errors.push(e));
  a.write(Buffer.from("last words"));
  a.destroy(new Error("boom"));
  assert.equal(a.destroyed, true);
  assert.equal(a.write(Buffer.from("x")), false);
  assert.deepEqual(closes, ["a"]);
  assert.equal(errors[0]?.message, "boom");
  await tick();
  await tick();
  assert.equal(got, "last words");
  assert.deepEqual(closes, ["a", "b"]);
  a.destroy();
  b.destroy();
  await tick();
  assert.deepEqual(closes, ["a", "b"]);
});

test("memory pipe: end closes both sides after the data is read; error without listener is safe", async () => {
  const [a, b] = createMemoryPipe();
  let got = 0;
  b.on("data", (c) => {
    got += c.length;
  });
  a.write(Buffer.alloc(10));
  a.end();
  await Promise.all([once(a, "close"), once(b, "close")]);
  assert.equal(got, 10);
  const [c] = createMemoryPipe();
  c.destroy(new Error("no listener")); // must not throw
});
