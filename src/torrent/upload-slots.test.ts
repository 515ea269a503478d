import assert from "node:assert/strict";
import { EventEmitter } from "node:events";
import { test } from "node:test";
import type { PeerConnection } from "../peer/index.ts";
import { FakeClock } from "../util/index.ts";
import { SwarmPeer } from "./swarm-peer.ts";
import { IDLE_SLOT_MS, UploadSlots } from "./upload-slots.ts";

/** A connection past nothing yet: rounds look at it, choke it, and move on. */
function quietPeer(id: string): SwarmPeer {
  return { id, conn: { ready: false, choke: () => {}, unchoke: () => {} } } as unknown as SwarmPeer;
}

test("choke rounds rest while a torrent has no peers, and run again once one joins", () => {
  const clock = new FakeClock();
  const peers: SwarmPeer[] = [];
  let looks = 0;
  const slots = new UploadSlots({
    clock,
    peers: () => {
      looks++;
      return peers;
    },
    seeding: () => true,
  });
  slots.start();
  const atStart = looks;
  clock.advance(60_000);
  assert.equal(looks, atStart, "a minute without peers: no round looked at them");

  peers.push(quietPeer("a"));
  slots.peerJoined();
  clock.advance(1_000);
  assert.ok(looks > atStart, "the first peer's round came within a second");
  const withPeer = looks;
  clock.advance(10_000);
  assert.ok(looks > withPeer, "rounds go on while it is there");

  peers.length = 0;
  clock.advance(10_000);
  const gone = looks;
  clock.advance(60_000);
  assert.equal(looks, gone, "the last peer gone, the rounds rest again");

  slots.stop();
  peers.push(quietPeer("b"));
  slots.peerJoined();
  clock.advance(60_000);
  assert.equal(looks, gone, "stopped (paused): a peer joining starts nothing");
});

/** What UploadSlots reads of a connection, with the peer's behaviour set by the test. */
class FakeConn extends EventEmitter {
  ready = true;
  amChoking = true;
  peerInterested = false;
  uploadStalled = false;
  peerRequests = 0;
  /** The peer has some piece (false: a newcomer with nothing yet). */
  hasPieces = true;
  readonly peerBitfield = { isComplete: () => false, isEmpty: () => !this.hasPieces };
  choke(): void {
    this.amChoking = true;
  }
  unchoke(): void {
    this.amChoking = false;
  }
  get stats() {
    return {
      peerInterested: this.peerInterested,
      amInterested: false,
      downloadRate: 0,
      uploadRate: 0,
      uploaded: 0,
      peerRequests: this.peerRequests,
    };
  }
}

function swarm(slots: number, seeding = true) {
  const clock = new FakeClock(0);
  const peers: SwarmPeer[] = [];
  const upload = new UploadSlots({
    clock,
    slots,
    random: () => 0.5,
    peers: () => peers,
    seeding: () => seeding,
  });
  const add = (name: string, interested: boolean) => {
    const conn = new FakeConn();
    conn.peerInterested = interested;
    const p = new SwarmPeer(conn as unknown as PeerConnection, name, 6881, false, clock.now());
    peers.push(p);
    upload.peerJoined();
    return { p, conn };
  };
  return { clock, upload, add };
}

test("upload slots: a peer that stops reading is choked at once and its slot goes to a waiting peer", () => {
  const { clock, upload, add } = swarm(2);
  upload.start();
  const a = add("10.0.0.1", true);
  const b = add("10.0.0.2", true);
  clock.advance(1000);
  assert.ok(!a.conn.amChoking && !b.conn.amChoking, "the first round fills both slots");
  a.p.lastRequestAt = b.p.lastRequestAt = clock.now();
  const h = add("10.0.0.3", true);
  upload.onInterested();
  assert.ok(h.conn.amChoking, "no free slot yet");

  a.conn.uploadStalled = true;
  upload.onUploadStalled(a.p);
  assert.ok(a.conn.amChoking, "the stalled peer is choked");
  assert.ok(!h.conn.amChoking, "the waiting peer has its slot at once");
  h.p.lastRequestAt = clock.now();
  for (let round = 0; round < 6; round++) {
    clock.advance(10_000);
    assert.ok(a.conn.amChoking, `round ${round}: no slot while its transport stays backed up`);
  }
  upload.stop();
});

test("upload slots: a peer unchoked that asks for nothing loses its slot after IDLE_SLOT_MS and waits behind others", () => {
  const { clock, upload, add } = swarm(1);
  upload.start();
  const idle = add("10.0.0.1", true);
  clock.advance(1000);
  assert.ok(!idle.conn.amChoking);
  const h = add("10.0.0.2", true);
  upload.onInterested();
  assert.ok(h.conn.amChoking);
  clock.advance(IDLE_SLOT_MS - 1);
  assert.ok(!idle.conn.amChoking, "a grace period to ask");
  clock.advance(1);
  assert.ok(idle.conn.amChoking, "choked: it asked for nothing");
  assert.ok(!h.conn.amChoking, "the slot went on at once");
  h.p.lastRequestAt = clock.now();
  for (let t = 0; t < 25_000; t += 1000) {
    clock.advance(1000);
    assert.ok(
      idle.conn.amChoking && !h.conn.amChoking,
      `${t} ms on: the one that used its slot keeps it`,
    );
  }
  upload.stop();
});

test("upload slots: a peer that asks within its slot keeps it", () => {
  const { clock, upload, add } = swarm(1);
  upload.start();
  const a = add("10.0.0.1", true);
  const b = add("10.0.0.2", true);
  clock.advance(1000);
  const [served, waiting] = a.conn.amChoking ? [b, a] : [a, b];
  clock.advance(500);
  served.p.lastRequestAt = clock.now();
  clock.advance(IDLE_SLOT_MS * 2);
  assert.ok(!served.conn.amChoking && waiting.conn.amChoking);
  upload.stop();
});

test("upload slots: a seed passes its slots on every second while leechers wait, so each gets pieces early", () => {
  const { clock, upload, add } = swarm(2);
  upload.start();
  const leechers = ["10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4", "10.0.0.5", "10.0.0.6"].map(
    (ip) => add(ip, true),
  );
  const served = new Set<number>();
  for (let t = 0; t < 8000; t += 1000) {
    clock.advance(1000);
    leechers.forEach((l, i) => {
      if (!l.conn.amChoking) {
        served.add(i);
        l.p.lastRequestAt = clock.now(); // it uses its slot
      }
    });
  }
  assert.equal(served.size, leechers.length, `served in 8 s: ${[...served].join(", ")}`);
  upload.stop();
});

test("upload slots: while downloading, a free slot and a peer waiting for it bring the round within 250 ms", () => {
  // At a swarm's start no leecher has unchoked another, so a free slot can
  // go to nobody between rounds; the round that gives it out comes soon.
  const { clock, upload, add } = swarm(2, false);
  upload.start();
  const a = add("10.0.0.1", false);
  clock.advance(1100);
  assert.ok(a.conn.amChoking, "not interested: nothing to unchoke");
  a.conn.peerInterested = true;
  upload.onInterested();
  assert.ok(a.conn.amChoking, "it has not shared with us: no slot between rounds");
  clock.advance(250);
  assert.ok(!a.conn.amChoking, "the round came within 250 ms and gave it the free slot");
  upload.stop();
});

test("upload slots: while downloading, a newcomer with no piece gets a free slot at once", () => {
  // It could not have shared with anyone yet: waiting for the round would
  // only delay the swarm's start.
  const { clock, upload, add } = swarm(2, false);
  upload.start();
  clock.advance(1100);
  const fresh = add("10.0.0.1", false);
  fresh.conn.hasPieces = false;
  const other = add("10.0.0.2", false);
  for (const p of [fresh, other]) p.conn.peerInterested = true;
  upload.onInterested();
  assert.ok(!fresh.conn.amChoking, "the newcomer with nothing was unchoked between rounds");
  assert.ok(other.conn.amChoking, "a peer with pieces that never shared waits for the round");
  upload.stop();
});
