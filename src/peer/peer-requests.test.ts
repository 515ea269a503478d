import assert from "node:assert/strict";
import { test } from "node:test";
import { FakeClock } from "../util/index.ts";
import type { BlockRef } from "../wire/index.ts";
import type { PeerConnection } from "./peer-connection.ts";
import {
  allBlocks,
  blockData,
  connectPair,
  connectRaw,
  full,
  settle,
  until,
} from "./test-helpers.ts";

/** B answers every request from the deterministic test content. */
function serveAll(b: PeerConnection): void {
  b.on("request", (r) => b.sendPiece(r.index, r.begin, blockData(r.index, r.begin, r.length)));
}

test("request → piece round trip; the pipeline deepens with the measured rate", async () => {
  const clock = new FakeClock(0);
  const { a, b } = await connectPair({ clock }, { clock, bitfield: full() }, {}, serveAll);
  b.unchoke();
  a.setInterested(true);
  await until(() => !a.peerChoking, "unchoke");
  const got = new Map<string, Buffer>();
  a.on("block", (blk) => got.set(`${blk.index}:${blk.begin}`, Buffer.from(blk.data)));
  const depth0 = a.pipelineDepth;
  let maxOutstanding = 0;
  // Ask for the whole torrent eight times over (distinct blocks each round).
  const blocks = allBlocks();
  for (let round = 0; round < 8; round++) {
    for (const blk of blocks) assert.ok(a.request(blk));
    assert.equal(a.request(blocks[0]!), false, "a duplicate is refused");
    while (a.stats.requestsQueued + a.stats.requestsOutstanding > 0) {
      maxOutstanding = Math.max(maxOutstanding, a.stats.requestsOutstanding);
      await settle(1);
    }
    clock.advance(250);
  }
  assert.equal(got.size, blocks.length);
  for (const blk of blocks) {
    assert.deepEqual(
      got.get(`${blk.index}:${blk.begin}`),
      blockData(blk.index, blk.begin, blk.length),
    );
  }
  assert.equal(depth0, 2, "starts at the minimum");
  assert.ok(a.pipelineDepth > 2, `grew to ${a.pipelineDepth}`);
  assert.ok(maxOutstanding > 2, `had ${maxOutstanding} requests in flight`);
  const total = blocks.reduce((n, blk) => n + blk.length, 0) * 8;
  assert.equal(a.stats.downloaded, total);
  assert.equal(b.stats.uploaded, total);
  assert.equal(a.stats.wasted, 0);
  assert.ok(a.stats.downloadRate > 0 && b.stats.uploadRate > 0);
  a.close();
});

test("pipeline depth is capped by the peer's reqq", async () => {
  const { a, b } = await connectPair({}, { bitfield: full(), maxQueuedRequests: 3 });
  b.unchoke();
  await until(() => !a.peerChoking, "unchoke");
  assert.equal(a.peerExtendedHandshake?.reqq, 3);
  // Pretend a very fast peer: even then at most reqq outstanding.
  for (const blk of allBlocks()) a.request(blk);
  await settle(2);
  assert.ok(a.stats.requestsOutstanding <= 3);
  a.close();
});

test("cancel: a queued request is dropped, an outstanding one cancelled on the wire", async () => {
  const { conn, raw } = await connectRaw();
  raw.send({ type: "unchoke" });
  await until(() => !conn.peerChoking, "unchoke");
  const [b0, b1, b2] = allBlocks() as [BlockRef, BlockRef, BlockRef];
  conn.request(b0);
  conn.request(b1);
  conn.request(b2); // depth 2: this one stays queued
  await settle();
  assert.equal(conn.stats.requestsOutstanding, 2);
  assert.ok(conn.cancel(b2));
  assert.ok(conn.cancel(b0));
  assert.equal(conn.cancel(b0), false);
  await settle();
  const sent = raw.messages().filter((m) => m.type === "request" || m.type === "cancel");
  assert.deepEqual(
    sent.map((m) => `${m.type}:${(m as BlockRef).begin}`),
    ["request:0", "request:16384", "cancel:0"],
  );
  // The cancelled block arriving anyway is wasted, not an error.
  raw.send({ type: "piece", index: 0, begin: 0, block: blockData(0, 0, 16384) });
  await settle();
  assert.equal(conn.stats.wasted, 16384);
  assert.equal(conn.closed, false);
  conn.close();
});

test("serving: the peer's cancel removes a queued request (fast: rejected; non-fast: 'cancel' event)", async () => {
  for (const fast of [true, false]) {
    const { conn, raw } = await connectRaw(
      { bitfield: full(), maxServing: 1, extensions: { fast } },
      { fast },
    );
    const handed: BlockRef[] = [];
    const cancelled: BlockRef[] = [];
    conn.on("request", (r) => handed.push(r));
    conn.on("cancel", (r) => cancelled.push(r));
    conn.unchoke();
    const [b0, b1] = allBlocks() as [BlockRef, BlockRef];
    raw.send({ type: "request", ...b0 });
    raw.send({ type: "request", ...b1 });
    await settle();
    assert.deepEqual(handed, [b0], "one serving slot");
    raw.send({ type: "cancel", ...b1 }); // still waiting
    raw.send({ type: "cancel", ...b0 }); // being served
    await settle();
    const rejects = raw.messages().filter((m) => m.type === "reject");
    if (fast) {
      // BEP 6: the waiting one is rejected; the one being served still completes.
      assert.deepEqual(
        rejects.map((m) => (m as BlockRef).begin),
        [16384],
      );
      assert.deepEqual(cancelled, []);
      assert.equal(conn.sendPiece(0, 0, blockData(0, 0, 16384)), true);
    } else {
      assert.deepEqual(rejects, []);
      assert.deepEqual(cancelled, [b0]);
      assert.equal(conn.sendPiece(0, 0, blockData(0, 0, 16384)), false, "no longer wanted");
    }
    assert.equal(conn.stats.peerRequests, 0);
    conn.close();
  }
});

test("fast extension: choking rejects pending requests; requests while choked are rejected", async () => {
  const { a, b } = await connectPair({}, { bitfield: full() });
  const handed: BlockRef[] = [];
  b.on("request", (r) => handed.push(r));
  b.unchoke();
  await until(() => !a.peerChoking, "unchoke");
  const rejected: BlockRef[] = [];
  const returned: BlockRef[][] = [];
  a.on("reject", (r) => rejected.push(r));
  a.on("choke", (r) => returned.push(r));
  const blocks = allBlocks().slice(0, 4);
  for (const blk of blocks) a.request(blk);
  await settle();
  assert.equal(handed.length, 2, "depth 2 outstanding");
  b.choke();
  await settle();
  assert.deepEqual(returned, [blocks.slice(2)], "unsent requests come back at the choke");
  assert.deepEqual(rejected, blocks.slice(0, 2), "sent ones are rejected explicitly (BEP 6)");
  assert.equal(b.sendPiece(0, 0, blockData(0, 0, 16384)), false, "choked: not sent");
  assert.equal(a.stats.requestsOutstanding, 0);
  // Requests while choked wait in the queue; a request arriving at a choking peer is rejected.
  const { conn, raw } = await connectRaw({ bitfield: full() });
  raw.send({ type: "request", index: 1, begin: 0, length: 16384 });
  await settle();
  assert.deepEqual(
    raw.messages().filter((m) => m.type === "reject"),
    [{ type: "reject", index: 1, begin: 0, length: 16384 }],
  );
  conn.close();
  a.close();
});

test("without the fast extension a choke drops outstanding requests; late blocks are wasted", async () => {
  const { conn, raw } = await connectRaw({}, { extended: true });
  raw.send({ type: "unchoke" });
  await until(() => !conn.peerChoking, "unchoke");
  const returned: BlockRef[][] = [];
  conn.on("choke", (r) => returned.push(r));
  const blocks = allBlocks().slice(0, 3);
  for (const blk of blocks) conn.request(blk);
  await settle();
  raw.send({ type: "choke" });
  await settle();
  assert.equal(returned.length, 1);
  assert.deepEqual(
    new Set(returned[0]!.map((r) => r.begin + r.index * 1e6)),
    new Set(blocks.map((r) => r.begin + r.index * 1e6)),
  );
  assert.equal(conn.stats.requestsOutstanding, 0);
  assert.deepEqual(conn.pendingRequests(), []);
  raw.send({ type: "piece", index: 0, begin: 0, block: blockData(0, 0, 16384) });
  await settle();
  assert.equal(conn.stats.wasted, 16384);
  assert.equal(conn.stats.downloaded, 0);
  assert.equal(conn.closed, false);
  // Reject is a fast-extension message: illegal here.
  raw.send({ type: "reject", index: 0, begin: 0, length: 16384 });
  await until(() => conn.closed, "close");
  assert.equal(conn.closeReason?.includes("fast extension"), true);
});

test("requests time out on the clock, are cancelled and reported", async () => {
  const clock = new FakeClock(0);
  const { conn, raw } = await connectRaw({ clock, requestTimeoutMs: 20_000 });
  raw.send({ type: "unchoke" });
  await until(() => !conn.peerChoking, "unchoke");
  const timedOut: BlockRef[] = [];
  conn.on("request-timeout", (r) => timedOut.push(r));
  const blocks = allBlocks().slice(0, 2);
  for (const blk of blocks) conn.request(blk);
  await settle();
  for (let t = 0; t < 19; t++) {
    raw.send({ type: "keep-alive" }); // the peer is alive, just not answering
    await settle(3);
    clock.advance(1000);
  }
  assert.deepEqual(timedOut, []);
  clock.advance(1000);
  assert.deepEqual(timedOut, blocks);
  await settle();
  assert.deepEqual(
    raw.messages().filter((m) => m.type === "cancel"),
    blocks.map((b) => ({ type: "cancel", ...b })),
  );
  assert.equal(conn.closed, false);
  conn.close();
});

test("unrequested blocks are wasted; a flood of them closes the connection", async () => {
  const { conn, raw, closed } = await connectRaw();
  for (let i = 0; i < 70; i++) {
    raw.send({ type: "piece", index: 1, begin: 0, block: Buffer.alloc(16384) });
    await settle(1);
    if (conn.closed) break;
  }
  await settle();
  assert.equal(closed.error?.code, "unsolicited_pieces");
  assert.ok(conn.stats.wasted > 1024 * 1024);
});
