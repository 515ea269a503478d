/** Peers that stop announcing expire after peer-expiry × interval; stopped peers leave at once. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { parseAnnounceReply } from "../../src/tracker-proto/index.ts";
import { FakeClock } from "../../src/util/index.ts";
import { announce, hash20, peerId, startTracker } from "./tracker-helpers.ts";

test("a silent peer expires after the expiry time; one that keeps announcing stays", async () => {
  const clock = new FakeClock(0);
  const { tracker, base } = await startTracker({ interval: 10, peerExpiry: 2 }, { clock });
  try {
    const ih = hash20(1);
    const ports = async (asker: number) =>
      parseAnnounceReply(
        await announce(base, { infoHash: ih, peerId: peerId(asker), port: 7000 + asker, left: 1 }),
      )
        .peers.map((p) => p.port)
        .sort();
    await announce(base, { infoHash: ih, peerId: peerId(1), port: 7001, left: 1 });
    await announce(base, { infoHash: ih, peerId: peerId(2), port: 7002, left: 1 });
    for (let t = 0; t < 3; t++) {
      clock.advance(8_000);
      await announce(base, { infoHash: ih, peerId: peerId(2), port: 7002, left: 1 });
    }
    // 24 s: peer 1 has been silent longer than 2 × 10 s (plus one sweep bucket).
    clock.advance(2_000);
    assert.deepEqual(await ports(3), [7002]);
    assert.ok(tracker.metrics.expired >= 1);
    clock.advance(30_000);
    assert.equal(tracker.store.totals().peers, 0, "everyone silent for long enough is gone");
  } finally {
    await tracker.stop();
  }
});

test("a stopped peer leaves at once", async () => {
  const { tracker, base } = await startTracker();
  try {
    const ih = hash20(2);
    await announce(base, { infoHash: ih, peerId: peerId(1), port: 7001, left: 1 });
    await announce(base, {
      infoHash: ih,
      peerId: peerId(1),
      port: 7001,
      left: 1,
      event: "stopped",
    });
    const r = parseAnnounceReply(
      await announce(base, { infoHash: ih, peerId: peerId(2), port: 7002, left: 1 }),
    );
    assert.deepEqual(r.peers, []);
    assert.equal(r.incomplete, 1);
  } finally {
    await tracker.stop();
  }
});
