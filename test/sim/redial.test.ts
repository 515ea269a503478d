/**
 * Known peers are dialled again (issue 13, item 10): an address was dialled
 * once, so a seeder whose connection dropped, or that started listening a
 * few seconds late, was never tried again and the download sat at "0
 * peers" for good. On the simulator's clock: the back-off's seconds and
 * minutes pass in no time, and every run repeats.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Swarm } from "./swarm-sim.ts";
import { startWireSeeder } from "./wire-peers.ts";

const KiB = 1024;
const MiB = 1024 * KiB;
const PORT = 6881;

describe("known peers are dialled again", () => {
  test("a seeder that starts listening 3 s after the leecher is found", async () => {
    const swarm = await Swarm.create({
      seed: 41,
      size: 2 * MiB,
      pieceLength: 64 * KiB,
      limitMs: 120_000,
      peers: [
        { name: "l1", uploadRate: 1 * MiB },
        { name: "s", seed: true, uploadRate: 1 * MiB, joinAtMs: 3_000, dialsNobody: true },
      ],
    });
    try {
      // Told of the seeder before it listens (as `get --peer` would be): the first dial is refused.
      swarm.torrent("l1").addPeers([{ ip: swarm.peer("s").address, port: PORT }]);
      await swarm.run();
      const done = swarm.peer("l1").completedAt!;
      // Dialled again 5 s after the refusal; 2 MiB at 1 MiB/s after that.
      assert.ok(done < 12_000, `complete at ${done} ms`);
    } finally {
      await swarm.close();
    }
  });

  test("a seeder whose connection drops after some data is dialled again, and the download completes", async () => {
    const swarm = await Swarm.create({
      seed: 42,
      size: 4 * MiB,
      pieceLength: 64 * KiB,
      limitMs: 120_000,
      peers: [{ name: "l1", uploadRate: 1 * MiB }],
    });
    const address = "10.8.0.1";
    const host = swarm.network.addHost(address, { latencyMs: 10, uploadRate: 2 * MiB });
    const seeder = startWireSeeder({
      host,
      port: PORT,
      infoHash: swarm.meta.infoHash,
      content: swarm.content,
      pieceLength: swarm.meta.pieceLength,
      clock: swarm.clock,
      // Its first connection drops after a quarter of the data (the 3 MiB of 16).
      dropAfterBytes: 1 * MiB,
      drops: 1,
    });
    try {
      const t = swarm.torrent("l1");
      t.addPeers([{ ip: address, port: PORT }]);
      await swarm.run(() => seeder.sent >= 1 * MiB && t.stats().peers === 0);
      const progress = t.stats().progress;
      assert.ok(progress > 0.1 && progress < 0.5, `dropped at ${progress}`);
      await swarm.run();
      assert.equal(seeder.connections, 2, "dialled again, once");
      assert.ok(swarm.peer("l1").store.have.isComplete());
    } finally {
      seeder.stop();
      await swarm.close();
    }
  });

  test("an address that keeps failing is tried with a growing back-off, then dropped", async () => {
    const swarm = await Swarm.create({
      seed: 43,
      size: 1 * MiB,
      pieceLength: 64 * KiB,
      peers: [{ name: "l1", uploadRate: 1 * MiB }],
    });
    const address = "10.8.0.2";
    const host = swarm.network.addHost(address, { latencyMs: 10 });
    // Takes the connection and drops it at once: every dial fails its handshake.
    const tries: number[] = [];
    host.listen(PORT).on("connection", (transport) => {
      tries.push(swarm.clock.now());
      transport.destroy();
    });
    try {
      const t = swarm.torrent("l1");
      t.addPeers([{ ip: address, port: PORT }]);
      await swarm.runFor(3_600_000);
      const gaps = tries.slice(1).map((at, i) => Math.round((at - tries[i]!) / 1000));
      // 5 s doubling per failure, at most 5 minutes; forgotten after 10 failures.
      assert.deepEqual(gaps, [5, 10, 20, 40, 80, 160, 300, 300, 300]);
      assert.equal(t.stats().peers, 0);
    } finally {
      await swarm.close();
    }
  });
});
