import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Choker, type ChokerPeer } from "./choker.ts";

function peer(id: string, downloadRate: number, extra: Partial<ChokerPeer> = {}): ChokerPeer {
  return {
    id,
    peerInterested: true,
    amInterested: true,
    downloadRate,
    uploadRate: 0,
    connectedAt: -1_000_000,
    lastBlockAt: 0,
    isSeed: false,
    ...extra,
  };
}

/** A deterministic random source (mulberry32). */
function seeded(seed = 1): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe("Choker", () => {
  test("downloading: the 3 fastest uploaders to us get regular slots, plus one optimistic", () => {
    const choker = new Choker({ random: seeded() });
    const peers = [
      peer("a", 100),
      peer("b", 500),
      peer("c", 300),
      peer("d", 50),
      peer("e", 400),
      peer("f", 10),
    ];
    const d = choker.decide(peers, 0, false);
    assert.equal(d.unchoke.size, 4);
    for (const id of ["b", "e", "c"]) assert.ok(d.unchoke.has(id), `${id} should be unchoked`);
    assert.ok(d.optimistic && ["a", "d", "f"].includes(d.optimistic));
  });

  test("peers that are not interested are never unchoked; seeds get no regular slot while downloading", () => {
    const choker = new Choker({ random: seeded() });
    const d = choker.decide(
      [peer("a", 900, { peerInterested: false }), peer("s", 800, { isSeed: true }), peer("b", 1)],
      0,
      false,
    );
    assert.ok(!d.unchoke.has("a"));
    assert.ok(d.unchoke.has("b"));
  });

  test("the optimistic slot holds for 30 s, then rotates", () => {
    const choker = new Choker({ random: seeded(7) });
    const peers = [
      peer("r1", 900),
      peer("r2", 800),
      peer("r3", 700),
      peer("x", 1),
      peer("y", 1),
      peer("z", 1),
    ];
    const first = choker.decide(peers, 0, false).optimistic;
    assert.equal(choker.decide(peers, 10_000, false).optimistic, first);
    assert.equal(choker.decide(peers, 20_000, false).optimistic, first);
    const next = choker.decide(peers, 30_000, false).optimistic;
    assert.ok(next && next !== first, "rotates to another peer after 30 s");
  });

  test("a peer silent for 60 s while we are interested is snubbed and loses its slot", () => {
    const choker = new Choker({ random: seeded() });
    const now = 100_000;
    const peers = [
      peer("snub", 10_000, { lastBlockAt: now - 61_000 }),
      peer("a", 100, { lastBlockAt: now - 1000 }),
      peer("b", 90, { lastBlockAt: now - 1000 }),
      peer("c", 80, { lastBlockAt: now - 1000 }),
      peer("d", 70, { lastBlockAt: now - 1000 }),
    ];
    const d = choker.decide(peers, now, false);
    assert.ok(d.snubbed.has("snub"));
    for (const id of ["a", "b", "c"]) assert.ok(d.unchoke.has(id));
    // It may still win the optimistic draw, never a regular slot.
    if (d.unchoke.has("snub")) assert.equal(d.optimistic, "snub");
  });

  test("newly connected peers are three times as likely to get the optimistic slot", () => {
    const counts = { fresh: 0, old: 0 };
    for (let seed = 1; seed <= 400; seed++) {
      const choker = new Choker({ slots: 1, random: seeded(seed) });
      const d = choker.decide(
        [peer("old", 0), peer("fresh", 0, { connectedAt: 90_000 })],
        100_000,
        false,
      );
      counts[d.optimistic as "fresh" | "old"]++;
    }
    const share = counts.fresh / 400;
    assert.ok(share > 0.65 && share < 0.85, `fresh peers got ${share} of optimistic slots`);
  });

  test("seeding: ranked by upload rate, and every leecher gets a turn", () => {
    const choker = new Choker({ random: seeded(3) });
    const leechers = Array.from({ length: 9 }, (_, i) =>
      peer(`l${i}`, 0, { amInterested: false, uploadRate: 1000 - i * 10 }),
    );
    const served = new Set<string>();
    for (let round = 0; round < 12; round++) {
      const d = choker.decide(leechers, round * 10_000, true);
      assert.equal(d.unchoke.size, 4);
      for (const id of d.unchoke) served.add(id);
    }
    assert.equal(served.size, 9, `served only ${[...served]}`);
  });

  test("with few peers every interested one is unchoked", () => {
    const choker = new Choker({ random: seeded() });
    const d = choker.decide([peer("a", 0), peer("b", 0)], 0, false);
    assert.deepEqual([...d.unchoke].sort(), ["a", "b"]);
  });
});

describe("a likely free-rider", () => {
  // Took our data, had pieces we wanted, never unchoked us nor sent us anything.
  const rider = (id: string) =>
    peer(id, 0, { reciprocated: false, owesUs: true, lastBlockAt: undefined });

  test("is one only after a full optimistic period, and only if it owes us", () => {
    const choker = new Choker({ random: seeded() });
    const now = 100_000;
    assert.equal(choker.freeRider(rider("r"), now), true);
    assert.equal(choker.freeRider({ ...rider("r"), connectedAt: now - 29_000 }, now), false);
    assert.equal(
      choker.freeRider({ ...rider("r"), owesUs: false }, now),
      false,
      "a newcomer with nothing we want",
    );
    assert.equal(choker.freeRider({ ...rider("r"), reciprocated: true }, now), false);
  });

  test("is judged after freeRiderMs when that is shorter than the optimistic period", () => {
    const choker = new Choker({ random: seeded(), freeRiderMs: 10_000 });
    const now = 100_000;
    assert.equal(choker.freeRider({ ...rider("r"), connectedAt: now - 10_000 }, now), true);
    assert.equal(choker.freeRider({ ...rider("r"), connectedAt: now - 9_000 }, now), false);
  });

  test("gets no slot while we download, not even the optimistic one when it is alone in the pool", () => {
    const choker = new Choker({ random: seeded(5) });
    for (let round = 0; round < 10; round++) {
      const now = 100_000 + round * 10_000;
      const d = choker.decide(
        [peer("a", 100, { lastBlockAt: now }), peer("b", 50, { lastBlockAt: now }), rider("r")],
        now,
        false,
      );
      assert.ok(!d.unchoke.has("r"), `round ${round}: the rider was unchoked`);
      assert.deepEqual([...d.unchoke].sort(), ["a", "b"]);
    }
  });

  test("while we seed, it is served after the peers that shared", () => {
    const choker = new Choker({ slots: 2, random: seeded(9) });
    const seedingPeer = (id: string, extra: Partial<ChokerPeer> = {}) =>
      peer(id, 0, { amInterested: false, reciprocated: true, ...extra });
    const peers = [seedingPeer("a"), seedingPeer("b"), { ...rider("r"), amInterested: false }];
    let riderServed = 0;
    for (let round = 0; round < 12; round++) {
      const d = choker.decide(peers, 100_000 + round * 10_000, true);
      if (d.unchoke.has("r") && d.optimistic !== "r") riderServed++;
    }
    assert.equal(riderServed, 0, "no regular slot while fair peers wait");
  });
});

test("no upload slots: nobody is unchoked", () => {
  const d = new Choker({ slots: 0 }).decide([peer("a", 100)], 0, false);
  assert.equal(d.unchoke.size, 0);
});

describe("a slot is for moving data", () => {
  const leecher = (id: string, extra: Partial<ChokerPeer> = {}) =>
    peer(id, 0, { amInterested: false, ...extra });

  test("a peer that does not read what we send gets no slot, however fast it looked", () => {
    for (const seeding of [true, false]) {
      const choker = new Choker({ slots: 4, random: seeded(3) });
      const peers = [
        peer("stuck", 900, { uploadRate: 900, uploadStalled: true }),
        peer("a", 10),
        peer("b", 5),
      ];
      const d = choker.decide(peers, 0, seeding);
      assert.ok(!d.unchoke.has("stuck"), `seeding ${seeding}: the stalled peer holds no slot`);
      assert.notEqual(d.optimistic, "stuck");
      assert.ok(d.unchoke.has("a") && d.unchoke.has("b"));
    }
  });

  test("seeding: a peer that wasted its slot waits behind every other, and gets a free one", () => {
    const choker = new Choker({ slots: 2, random: seeded(5) });
    // In turn since the last round, but it asked for nothing in its slot.
    choker.decide([leecher("idle")], 0, true);
    const peers = [
      leecher("idle", { uploadRate: 500, wastedSlot: true }),
      leecher("a"),
      leecher("b"),
    ];
    for (let round = 1; round <= 6; round++) {
      const d = choker.decide(peers, round * 10_000, true);
      assert.ok(!d.unchoke.has("idle"), `round ${round}: the idle peer is served after a and b`);
    }
    const alone = choker.decide(
      [leecher("idle", { wastedSlot: true }), leecher("a")],
      70_000,
      true,
    );
    assert.ok(alone.unchoke.has("idle"), "a slot nobody else wants is still its");
  });

  test("downloading: a peer that wasted its slot comes after the others", () => {
    const choker = new Choker({ slots: 3, random: seeded(11) });
    const peers = [
      peer("idle", 900, { wastedSlot: true }),
      peer("a", 10),
      peer("b", 5),
      peer("c", 1),
    ];
    for (let round = 0; round < 6; round++) {
      const d = choker.decide(peers, round * 10_000, false);
      assert.ok(!d.unchoke.has("idle"), `round ${round}`);
    }
  });
});
