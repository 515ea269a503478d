import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { test } from "node:test";
import { asInfoHash, sha1 } from "../util/index.ts";
import { METADATA_PIECE_LENGTH } from "../wire/index.ts";
import { MAX_REQUESTS_PER_PEER, MetadataFetch, REJECT_BACKOFF_MS } from "./metadata-fetch.ts";

/** An "info dictionary" of 3.5 pieces, and its hash. */
const info = randomBytes(3 * METADATA_PIECE_LENGTH + METADATA_PIECE_LENGTH / 2);
const infoHash = asInfoHash(sha1(info));
const piece = (i: number, of = info) =>
  of.subarray(i * METADATA_PIECE_LENGTH, (i + 1) * METADATA_PIECE_LENGTH);

function drain(fetch: MetadataFetch, peer: string, now = 0): number[] {
  const asked: number[] = [];
  for (;;) {
    const p = fetch.nextRequest(peer, now);
    if (p === undefined) return asked;
    asked.push(p);
  }
}

test("metadata fetch: pieces spread over peers, answered out of order, verified", () => {
  const fetch = new MetadataFetch(infoHash, info.length);
  assert.equal(fetch.pieceCount, 4);
  const asked = fetch.assign(["a", "b"], 0);
  // Four pieces over two peers: two each, no copies while a piece is unasked.
  assert.deepEqual(
    asked.map((r) => r.peer),
    ["a", "b", "a", "b"],
  );
  assert.equal(new Set(asked.map((r) => r.piece)).size, 4);
  for (const { peer, piece: p } of asked.reverse()) {
    assert.equal(fetch.receive(peer, p, piece(p)), "stored");
  }
  assert.ok(fetch.complete);
  const result = fetch.verify();
  assert.ok(result.ok);
  assert.deepEqual(result.info, info);
});

test("metadata fetch: a second copy goes to an idle peer; the late copy is a duplicate", () => {
  const small = randomBytes(100);
  const fetch = new MetadataFetch(asInfoHash(sha1(small)), small.length);
  assert.equal(fetch.nextRequest("a", 0), 0);
  assert.equal(fetch.nextRequest("a", 0), undefined, "one piece, asked once of a");
  assert.equal(fetch.nextRequest("b", 0), 0, "idle b asks a copy");
  assert.equal(fetch.nextRequest("c", 0), undefined, "at most two copies");
  assert.equal(fetch.receive("b", 0, small), "stored");
  assert.equal(fetch.receive("a", 0, small), "duplicate");
  assert.equal(fetch.receive("a", 0, small), "unrequested");
  assert.ok(fetch.verify().ok);
});

test("metadata fetch: data nobody asked for is not kept", () => {
  const fetch = new MetadataFetch(infoHash, info.length);
  assert.equal(fetch.receive("x", 0, piece(0)), "unrequested");
  assert.equal(fetch.receive("x", 99, piece(0)), "unrequested");
  assert.equal(fetch.received, 0);
});

test("metadata fetch: a reject sends the piece to another peer; the rejecter waits", () => {
  const fetch = new MetadataFetch(infoHash, info.length);
  const a = drain(fetch, "a");
  assert.ok(a.includes(0));
  fetch.rejected("a", 0, 1000);
  assert.equal(fetch.inFlight("a"), a.length - 1);
  // b is asked for piece 0 first (nobody has it in flight).
  assert.equal(fetch.nextRequest("b", 1000), 0);
  fetch.rejected("b", 0, 1000);
  // Neither is asked for piece 0 again until the back-off ends.
  assert.notEqual(fetch.nextRequest("a", 1000), 0);
  fetch.peerGone("a");
  assert.equal(drain(fetch, "b", 1000).includes(0), false);
  fetch.peerGone("b");
  assert.equal(drain(fetch, "b", 1000 + REJECT_BACKOFF_MS)[0], 0);
});

test("metadata fetch: a request that times out is retried on another peer", () => {
  const fetch = new MetadataFetch(infoHash, info.length);
  drain(fetch, "slow", 0);
  assert.deepEqual(fetch.expire(4000, 5000), []);
  const late = fetch.expire(5000, 5000);
  assert.equal(late.length, Math.min(4, MAX_REQUESTS_PER_PEER));
  assert.equal(fetch.inFlight("slow"), 0);
  const fast = drain(fetch, "fast", 5000);
  for (const p of fast) fetch.receive("fast", p, piece(p));
  // The slow peer's answer, after the timeout, is a duplicate now.
  assert.equal(fetch.receive("slow", late[0]!.piece, piece(late[0]!.piece)), "duplicate");
  assert.equal(fetch.receive("slow", late[0]!.piece, piece(late[0]!.piece)), "unrequested");
  assert.equal(fetch.nextRequest("slow", 5000), undefined, "backed off the rest too");
});

test("metadata fetch: a late answer is taken while its piece is missing", () => {
  const small = randomBytes(100);
  const fetch = new MetadataFetch(asInfoHash(sha1(small)), small.length);
  assert.equal(fetch.nextRequest("slow", 0), 0);
  assert.equal(fetch.expire(5000, 5000).length, 1);
  assert.equal(fetch.receive("slow", 0, small), "stored");
  assert.ok(fetch.verify().ok);
});

test("metadata fetch: a dictionary that fails the info-hash check is dropped, its senders named", () => {
  const fetch = new MetadataFetch(infoHash, info.length);
  const liar = Buffer.from(info);
  liar[METADATA_PIECE_LENGTH + 5] = liar[METADATA_PIECE_LENGTH + 5]! ^ 0xff; // in piece 1, which the liar sends
  for (const { peer, piece: p } of fetch.assign(["honest", "liar"], 0)) {
    fetch.receive(peer, p, piece(p, peer === "liar" ? liar : info));
  }
  assert.ok(fetch.complete);
  const result = fetch.verify();
  assert.equal(result.ok, false);
  assert.deepEqual(!result.ok && result.contributors, ["honest", "liar"]);
  // Everything is fetched again.
  assert.equal(fetch.received, 0);
  assert.equal(fetch.complete, false);
  for (const p of drain(fetch, "honest2")) fetch.receive("honest2", p, piece(p));
  assert.ok(fetch.complete);
  assert.ok(fetch.verify().ok);
});

test("metadata fetch: a corrupt dictionary from one peer names that peer alone", () => {
  const small = randomBytes(200);
  const fetch = new MetadataFetch(asInfoHash(sha1(small)), small.length);
  assert.equal(fetch.nextRequest("liar", 0), 0);
  fetch.receive("liar", 0, randomBytes(200));
  const result = fetch.verify();
  assert.deepEqual(result, { ok: false, contributors: ["liar"] });
});
