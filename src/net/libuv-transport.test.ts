import assert from "node:assert/strict";
import { once } from "node:events";
import { test } from "node:test";
import { setImmediate as tick } from "node:timers/promises";
import { LibuvTransport, libuvTcpBindings } from "./libuv-transport.ts";
import { dialTcp, listenTcp } from "./tcp.ts";
import type { Transport } from "./transport.ts";

const skip = libuvTcpBindings() ? false : "this Node offers no libuv TCP handles";

async function pair(): Promise<{ client: Transport; server: Transport; close(): Promise<void> }> {
  const listener = await listenTcp({ port: 0, host: "127.0.0.1" });
  const incoming = once(listener, "connection") as Promise<[Transport]>;
  const client = await dialTcp("127.0.0.1", listener.port, { timeoutMs: 2000 });
  const [server] = await incoming;
  return {
    client,
    server,
    close: async () => {
      client.destroy();
      server.destroy();
      await listener.close();
    },
  };
}

/** Resolves at the transport's next `event`. */
function next(t: Transport, event: "drain" | "close"): Promise<void> {
  return new Promise((resolve) => {
    const on = () => {
      t.off(event, on);
      resolve();
    };
    t.on(event, on);
  });
}

/** Everything `t` receives until `bytes` have come. */
async function receive(t: Transport, bytes: number): Promise<Buffer> {
  const got: Buffer[] = [];
  let n = 0;
  await new Promise<void>((resolve) => {
    const on = (chunk: Buffer) => {
      got.push(Buffer.from(chunk));
      n += chunk.length;
      if (n >= bytes) {
        t.off("data", on);
        resolve();
      }
    };
    t.on("data", on);
  });
  return Buffer.concat(got);
}

test("libuv transport: both ends are libuv's; bytes sent before anyone listens are kept", {
  skip,
}, async () => {
  const { client, server, close } = await pair();
  assert.ok(client instanceof LibuvTransport && server instanceof LibuvTransport);
  client.write(Buffer.from("early"));
  // Let the bytes arrive with nobody listening on the server side.
  for (let i = 0; i < 20; i++) await tick();
  client.writev([Buffer.from(" and"), Buffer.from(" later")]);
  assert.equal((await receive(server, 15)).toString(), "early and later");
  await close();
});

test("libuv transport: a large write backs up, says so, drains, and calls `sent` once written", {
  skip,
}, async () => {
  const { client, server, close } = await pair();
  server.pause();
  const big = Buffer.alloc(32 * 1024 * 1024, 7);
  let sent = 0;
  const ok = client.writev([Buffer.from("x"), big], () => sent++);
  assert.equal(ok, false, "more than the kernel takes at once");
  assert.equal(sent, 0, "not before the kernel has every byte");
  const drained = next(client, "drain");
  server.resume();
  const got = await receive(server, big.length + 1);
  await drained;
  assert.equal(got.length, big.length + 1);
  assert.equal(sent, 1);
  await close();
});

test("libuv transport: the peer's close is seen without a reader; destroy emits close once", {
  skip,
}, async () => {
  const { client, server, close } = await pair();
  let closes = 0;
  client.on("close", () => closes++);
  server.destroy();
  await next(client, "close");
  assert.equal(client.destroyed, true);
  assert.equal(client.write(Buffer.from("late")), false);
  client.destroy();
  await tick();
  assert.equal(closes, 1);
  await close();
});
