/**
 * Idle connections do not take every slot (issue 13, item 7): 50
 * connections that handshake and then never ask for anything fill a
 * torrent's 50 peer slots; a real peer must still get in, whether it
 * reaches us or we learn its address, and the download go on within
 * seconds. On the simulator's clock, so the minutes an idle peer would
 * otherwise sit in its slot cost nothing.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Swarm } from "./swarm-sim.ts";
import { idleConnection } from "./wire-peers.ts";

const KiB = 1024;
const MiB = 1024 * KiB;
const PORT = 6881;

/** 50 hosts each holding one idle connection to `target`. */
async function fillWithIdle(swarm: Swarm, target: string, count = 50): Promise<boolean[]> {
  const dials = [];
  for (let i = 0; i < count; i++) {
    const address = `10.9.${Math.floor(i / 200)}.${(i % 200) + 1}`;
    const host = swarm.network.addHost(address, { latencyMs: 10 });
    dials.push(
      idleConnection({
        host,
        address: target,
        port: PORT,
        infoHash: swarm.meta.infoHash,
        clock: swarm.clock,
        tag: `idle${String(i).padStart(4, "0")}`,
      }),
    );
  }
  // The simulated network moves only with its clock.
  await swarm.runFor(1000);
  const connections = await Promise.all(dials);
  return Promise.all(connections.map((c) => c.answered));
}

describe("idle connections give way to a real peer", () => {
  test("a seeder full of idle connections still takes a leecher that reaches it", async () => {
    const swarm = await Swarm.create({
      seed: 31,
      size: 2 * MiB,
      pieceLength: 64 * KiB,
      limitMs: 120_000,
      peers: [
        { name: "s", seed: true, uploadRate: 1 * MiB },
        // Joins later, and dials the seeder (it joined before).
        { name: "l1", uploadRate: 1 * MiB, joinAtMs: 30_000 },
      ],
    });
    try {
      await fillWithIdle(swarm, swarm.peer("s").address);
      assert.equal(swarm.torrent("s").stats().peers, 50, "the idle connections fill every slot");
      await swarm.run();
      const done = swarm.peer("l1").completedAt!;
      // 2 MiB at 1 MiB/s: two seconds and a little.
      assert.ok(done < 30_000 + 5_000, `complete ${done - 30_000} ms after joining`);
      assert.ok(swarm.torrent("s").stats().peers <= 50, "never over the limit");
    } finally {
      await swarm.close();
    }
  });

  test("a leecher full of idle connections makes room to dial a seeder it learns of", async () => {
    const swarm = await Swarm.create({
      seed: 32,
      size: 2 * MiB,
      pieceLength: 64 * KiB,
      limitMs: 120_000,
      peers: [
        { name: "l1", uploadRate: 1 * MiB },
        { name: "s", seed: true, uploadRate: 1 * MiB, dialsNobody: true },
      ],
    });
    try {
      await fillWithIdle(swarm, swarm.peer("l1").address);
      const leecher = swarm.torrent("l1");
      assert.equal(leecher.stats().peers, 50);
      await swarm.runFor(29_000);
      leecher.addPeers([{ ip: swarm.peer("s").address, port: PORT }]);
      const from = swarm.clock.now();
      await swarm.run();
      const done = swarm.peer("l1").completedAt!;
      assert.ok(done - from < 5_000, `complete ${done - from} ms after learning of the seeder`);
      assert.ok(leecher.stats().peers <= 50);
    } finally {
      await swarm.close();
    }
  });

  test("connections in use are never dropped for a newcomer", async () => {
    const swarm = await Swarm.create({
      seed: 33,
      size: 8 * MiB,
      pieceLength: 64 * KiB,
      limitMs: 600_000,
      peers: [
        { name: "s", seed: true, uploadRate: 256 * KiB, maxPeers: 1 },
        { name: "l1", uploadRate: 256 * KiB },
      ],
    });
    try {
      // One slot: the leecher's download keeps it; an idle newcomer is refused.
      await swarm.runFor(25_000);
      const seeder = swarm.torrent("s");
      const before = seeder.peers().map((p) => p.id);
      assert.equal(before.length, 1);
      assert.deepEqual(await fillWithIdle(swarm, swarm.peer("s").address, 1), [false]);
      assert.deepEqual(
        seeder.peers().map((p) => p.id),
        before,
        "the busy leecher keeps its connection",
      );
      await swarm.run();
    } finally {
      await swarm.close();
    }
  });
});
