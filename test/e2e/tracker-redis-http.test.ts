/**
 * HTTP announces to a `shoal tracker` on Redis (issue 19) arrive at the
 * shared store through callbacks, not promises (http-announce-waiters.ts):
 * what a client sees must not change. Pipelined announces on one keep-alive
 * connection are answered in order, each in the form it asked for (compact,
 * dictionary, HEAD); a client that half-closes right after its request
 * still gets its reply; and with Redis gone, every pipelined announce gets
 * the failure reason, in order, on a connection that stays usable.
 */
import assert from "node:assert/strict";
import { connect } from "node:net";
import { after, before, describe, test } from "node:test";
import { buildAnnounceQuery, parseAnnounceReply } from "../../src/tracker-proto/index.ts";
import { type Child, TempDirs } from "../interop/helpers.ts";
import { RedisServer, redisSkip, startTrackerProcess } from "./redis-helpers.ts";
import { peerId } from "./tracker-helpers.ts";

const dirs = new TempDirs();
let redis: RedisServer | undefined;
let tracker: Child | undefined;
let port = 0;

interface Reply {
  status: number;
  headers: string;
  body: Buffer;
}

/** Sends `bytes` on one connection (then half-closes if asked) and reads `count` replies. */
function exchange(bytes: string, count: number, halfClose = false, head = -1): Promise<Reply[]> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: "127.0.0.1" });
    let got = Buffer.alloc(0);
    const replies: Reply[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`${replies.length} of ${count} replies within 10 s`));
    }, 10_000);
    socket.on("error", reject);
    socket.on("data", (chunk) => {
      got = Buffer.concat([got, chunk]);
      for (;;) {
        const end = got.indexOf("\r\n\r\n");
        if (end < 0) break;
        const headers = got.toString("latin1", 0, end);
        const length = Number(/content-length: (\d+)/i.exec(headers)?.[1] ?? 0);
        // A reply to HEAD announces its length and carries no body.
        const bodyLength = replies.length === head ? 0 : length;
        if (got.length < end + 4 + bodyLength) break;
        const status = Number(headers.split(" ")[1]);
        replies.push({ status, headers, body: got.subarray(end + 4, end + 4 + bodyLength) });
        got = got.subarray(end + 4 + bodyLength);
      }
      if (replies.length === count) {
        clearTimeout(timer);
        socket.destroy();
        resolve(replies);
      }
    });
    socket.write(bytes);
    if (halfClose) socket.end();
  });
}

const INFO = Buffer.alloc(20, 0x7b);

function announceRequest(
  n: number,
  opts: { compact?: boolean; method?: string; close?: boolean } = {},
) {
  const q = buildAnnounceQuery({
    infoHash: INFO,
    peerId: peerId(n),
    port: 20_000 + n,
    left: 100,
    numwant: 200,
    compact: opts.compact ?? true,
  });
  const connection = opts.close ? "Connection: close\r\n" : "";
  return `${opts.method ?? "GET"} /announce?${q} HTTP/1.1\r\nHost: t\r\n${connection}\r\n`;
}

before(async () => {
  if (redisSkip()) return;
  redis = await RedisServer.start(await dirs.make("redis-http"));
  const started = await startTrackerProcess([
    "--store",
    redis.url,
    "--shared-secret",
    "one-instance-secret-for-this-test",
  ]);
  tracker = started.child;
  port = started.port;
});

after(async () => {
  await tracker?.stop();
  await redis?.stop();
  await dirs.removeAll();
});

describe("HTTP announces to a tracker on Redis", { skip: redisSkip() }, () => {
  test("pipelined announces are answered in order, each in its own form; a half-closed client gets its reply", async () => {
    const n = 24;
    let pipeline = "";
    for (let i = 1; i <= n; i++) {
      // Every fifth asks for the dictionary form; the last closes the connection.
      pipeline += announceRequest(i, { compact: i % 5 !== 0, close: i === n });
    }
    const replies = await exchange(pipeline, n);
    for (let i = 1; i <= n; i++) {
      const r = replies[i - 1]!;
      assert.equal(r.status, 200);
      const reply = parseAnnounceReply(r.body);
      assert.equal(reply.failureReason, undefined);
      // In order: the i-th announce sees the i-1 peers before it.
      assert.equal(reply.incomplete, i, `reply ${i}`);
      assert.equal(reply.peers.length, i - 1, `reply ${i}`);
      // The dictionary form carries peer ids (BEP 3), the compact form none (BEP 23).
      if (i > 1) assert.equal(reply.peers[0]!.peerId !== undefined, i % 5 === 0, `reply ${i}`);
    }
    assert.match(replies[n - 1]!.headers, /connection: close/i);

    // HEAD between two GETs: a head only, and the next reply still in its place.
    const mixed = `${announceRequest(101)}${announceRequest(102, { method: "HEAD" })}${announceRequest(103, { close: true })}`;
    const three = await exchange(mixed, 3, false, 1);
    assert.equal(parseAnnounceReply(three[0]!.body).incomplete, n + 1);
    assert.equal(three[1]!.body.length, 0);
    assert.ok(Number(/content-length: (\d+)/i.exec(three[1]!.headers)?.[1]) > 0);
    assert.equal(parseAnnounceReply(three[2]!.body).incomplete, n + 3);

    // A client that sends its request and half-closes at once.
    const [last] = await exchange(announceRequest(200), 1, true);
    assert.equal(parseAnnounceReply(last!.body).incomplete, n + 4);
  });

  test("Redis gone: each pipelined announce gets the failure reason, in order", async () => {
    await redis!.stop();
    let pipeline = "";
    for (let i = 1; i <= 5; i++) pipeline += announceRequest(300 + i);
    pipeline += "GET /stats HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n";
    const replies = await exchange(pipeline, 6);
    for (const r of replies.slice(0, 5)) {
      assert.equal(r.status, 200);
      assert.match(parseAnnounceReply(r.body).failureReason ?? "", /briefly unavailable/);
    }
    // The request after them is answered too: the connection was never stuck.
    assert.match(replies[5]!.headers, /^HTTP\/1\.1 /);
    assert.match(replies[5]!.headers, /connection: close/i);
  });
});
