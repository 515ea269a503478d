import assert from "node:assert/strict";
import { test } from "node:test";
import { FakeClock } from "../util/index.ts";
import type { SwarmPeer } from "./swarm-peer.ts";
import { UploadSlots } from "./upload-slots.ts";

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
