import assert from "node:assert/strict";
import { once } from "node:events";
import { test } from "node:test";
import { NetError } from "./errors.ts";
import { dialTcp, listenTcp } from "./tcp.ts";
import type { Transport, TransportEvents } from "./transport.ts";

function next<E extends keyof TransportEvents>(
  t: Transport,
  event: E,
): Promise<TransportEvents[E]> {
  return new Promise((resolve) => {
    const fn = (...args: TransportEvents[E]) => {
      t.off(event, fn);
      resolve(args);
    };
    t.on(event, fn);
  });
}

test("tcp: listen on an ephemeral loopback port, dial it, talk both ways, close", async () => {
  const listener = await listenTcp({ port: 0, host: "127.0.0.1" });
  assert.ok(listener.port > 0);
  const incoming = once(listener, "connection") as Promise<[Transport]>;
  const client = await dialTcp("127.0.0.1", listener.port, { timeoutMs: 2000 });
  const [server] = await incoming;
  assert.equal(client.remotePort, listener.port);
  assert.equal(server.remoteAddress, "127.0.0.1");
  const got = next(server, "data");
  client.writev([Buffer.from("head"), Buffer.from("body")]);
  let text = (await got)[0].toString();
  while (text.length < 8) text += (await next(server, "data"))[0].toString();
  assert.equal(text, "headbody");
  const closed = next(client, "close");
  server.destroy();
  await closed;
  assert.equal(client.destroyed, true);
  await listener.close();
  await assert.rejects(dialTcp("127.0.0.1", listener.port, { timeoutMs: 2000 }), (e: unknown) => {
    assert.ok(e instanceof NetError);
    assert.equal(e.code, "connect_failed");
    assert.match(e.message, /127\.0\.0\.1:\d+.*ECONNREFUSED/);
    return true;
  });
});

test("tcp: dial honours an abort signal", async () => {
  const controller = new AbortController();
  controller.abort();
  await assert.rejects(dialTcp("127.0.0.1", 1, { signal: controller.signal }), {
    code: "aborted",
  });
});

test("tcp: listening twice on one port fails with listen_failed", async () => {
  const first = await listenTcp({ port: 0, host: "127.0.0.1" });
  await assert.rejects(listenTcp({ port: first.port, host: "127.0.0.1" }), {
    code: "listen_failed",
  });
  await first.close();
});
