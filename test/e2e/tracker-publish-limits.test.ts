/**
 * Issue 13, item 2: an unauthenticated client gets no work done for it, and
 * nobody can make the tracker hold unbounded request bodies. The publish
 * token is checked on the request head, before a byte of the body is read;
 * bodies held at once are bounded across all connections (max-body-bytes-total,
 * 503 past it) and per request (max-body-bytes, 413); what a connection held
 * is let go when it closes; and failed token guesses are throttled per
 * address (429).
 */
import assert from "node:assert/strict";
import { connect, type Socket } from "node:net";
import { test } from "node:test";
import { FakeClock } from "../../src/util/index.ts";
import { makeTorrent, rawHttp, startTracker } from "./tracker-helpers.ts";

const TOKEN = "s3cret-token";

function uploadHead(length: number, token?: string, extra = ""): string {
  const auth = token === undefined ? "" : `Authorization: Bearer ${token}\r\n`;
  return `POST /torrents HTTP/1.1\r\nHost: x\r\nContent-Length: ${length}\r\n${auth}${extra}\r\n`;
}

interface Held {
  socket: Socket;
  received: () => string;
  closed: Promise<void>;
}

/** A connection that sends `data` and keeps what comes back. */
function hold(port: number, data: (string | Buffer)[]): Promise<Held> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: "127.0.0.1" });
    let text = "";
    const closed = new Promise<void>((r) => socket.on("close", () => r()));
    socket.on("data", (c) => {
      text += c.toString("latin1");
    });
    socket.on("error", () => {});
    socket.once("connect", () => {
      for (const d of data) socket.write(d);
      resolve({ socket, received: () => text, closed });
    });
    socket.once("error", reject);
  });
}

async function until(what: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (what()) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return what();
}

interface HttpStats {
  http: { connections: number; bodyBytes: number };
}

test("a wrong or missing token is refused on the head, before the body is read", async () => {
  const { tracker, port } = await startTracker({ publishToken: TOKEN, maxBodyBytes: 1_000_000 });
  try {
    for (const token of [undefined, "guess"]) {
      // Only the head: the body never comes. The answer must not wait for it.
      const reply = await rawHttp(port, uploadHead(999_999, token), {
        until: (t) => t.includes("\r\n\r\n"),
        timeoutMs: 15_000,
      });
      assert.match(reply, /^HTTP\/1\.1 401 /, `token ${token}: ${JSON.stringify(reply)}`);
    }
    // Expect: 100-continue with a wrong token: 401, never 100.
    const reply = await rawHttp(port, uploadHead(999_999, "guess", "Expect: 100-continue\r\n"), {
      until: (t) => t.includes("\r\n\r\n"),
      timeoutMs: 15_000,
    });
    assert.match(reply, /^HTTP\/1\.1 401 /);
  } finally {
    await tracker.stop();
  }
});

test("bodies held at once are bounded across connections, and let go when they close", async () => {
  const { tracker, port, base } = await startTracker({
    publishToken: TOKEN,
    maxBodyBytes: 1_000_000,
    maxBodyBytesTotal: 3_000_000,
  });
  const held: Held[] = [];
  try {
    // Ten uploads, each one byte short of complete, as the attacker sent.
    for (let i = 0; i < 10; i++) {
      held.push(await hold(port, [uploadHead(1_000_000, TOKEN), Buffer.alloc(999_999, 1)]));
    }
    const busy = () => held.filter((h) => /^HTTP\/1\.1 503 /.test(h.received())).length;
    assert.ok(await until(() => busy() === 7, 30_000), `7 of 10 refused, got ${busy()}`);
    const stats = (await (await fetch(`${base}/stats`)).json()) as HttpStats;
    assert.ok(stats.http.bodyBytes <= 3_000_000, `held ${stats.http.bodyBytes}`);
    assert.ok(stats.http.bodyBytes >= 2_000_000, `held ${stats.http.bodyBytes}`);
    // The three admitted uploads still complete (a byte is not a torrent: 422).
    const admitted = held.filter((h) => h.received() === "");
    assert.equal(admitted.length, 3);
    admitted[0]!.socket.write(Buffer.alloc(1, 1));
    assert.ok(await until(() => /^HTTP\/1\.1 422 /.test(admitted[0]!.received()), 30_000));
    // Closed connections give back what they held.
    for (const h of held) h.socket.destroy();
    await Promise.all(held.map((h) => h.closed));
    let after = -1;
    for (let i = 0; i < 1500 && after !== 0; i++) {
      after = ((await (await fetch(`${base}/stats`)).json()) as HttpStats).http.bodyBytes;
      if (after !== 0) await new Promise((r) => setTimeout(r, 20));
    }
    assert.equal(after, 0, "after closing, nothing is held");
    // And a real upload goes through.
    const t = makeTorrent("after-the-storm.bin");
    const ok = await fetch(`${base}/torrents`, {
      method: "POST",
      body: t.bytes,
      headers: { Authorization: `Bearer ${TOKEN}` },
    });
    assert.equal(ok.status, 201);
  } finally {
    for (const h of held) h.socket.destroy();
    await tracker.stop();
  }
});

test("failed token guesses are throttled per address, until the window ends", async () => {
  const clock = new FakeClock(1_000_000);
  const { tracker, port } = await startTracker({ publishToken: TOKEN }, { clock });
  const t = makeTorrent("throttled.bin");
  const post = async (token: string) => {
    const reply = await rawHttp(port, [uploadHead(t.bytes.length, token), t.bytes], {
      until: (x) => /\r\n\r\n[\s\S]*\}\n$/.test(x),
      timeoutMs: 15_000,
    });
    return Number(reply.slice(9, 12));
  };
  try {
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) statuses.push(await post(`guess-${i}`));
    assert.deepEqual(statuses, [401, 401, 401, 401, 401, 429, 429, 429]);
    // While throttled even the right token is refused: a guess must not be confirmable.
    assert.equal(await post(TOKEN), 429);
    clock.advance(61_000);
    assert.equal(await post(TOKEN), 201);
  } finally {
    await tracker.stop();
  }
});
