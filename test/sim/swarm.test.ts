/**
 * The engine in a deterministic swarm (issue 12): whole peers on the
 * simulated network, on one fake clock, from one seed. Each test's swarm is
 * small (seconds of wall time) and its outcome repeats exactly.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { MemoryStorage } from "../../src/storage/index.ts";
import type { LyingStore } from "./lying-store.ts";
import { runSwarm } from "./scenarios.ts";
import { Swarm } from "./swarm-sim.ts";

const KiB = 1024;
const MiB = 1024 * KiB;

/** Every piece of the peer's store matches the content. */
async function holdsContent(swarm: Swarm, name: string): Promise<boolean> {
  const store = swarm.peer(name).store;
  if (!store.have.isComplete()) return false;
  const { pieceLength, pieceCount, totalLength } = swarm.meta;
  for (let i = 0; i < pieceCount; i++) {
    const length = Math.min(pieceLength, totalLength - i * pieceLength);
    const block = await store.readBlock(i, 0, length);
    const same = block.data.equals(
      swarm.content.subarray(i * pieceLength, i * pieceLength + length),
    );
    block.release();
    if (!same) return false;
  }
  return true;
}

describe("simulated swarm", () => {
  test("the same seed gives the same swarm byte for byte; another seed another", async () => {
    const options = { leechers: 5, size: 4 * MiB, pieceLength: 64 * KiB, chokeIntervalMs: 1000 };
    const first = await runSwarm({ seed: 7, ...options });
    const again = await runSwarm({ seed: 7, ...options });
    const other = await runSwarm({ seed: 8, ...options });
    process.stdout.write(`# ${first.line}\n`);
    assert.equal(again.line, first.line);
    assert.notEqual(other.line, first.line);
    assert.equal(first.finish.size, 5, "every leecher completed");
  });

  test("a lying peer is banned, and everyone completes with the true content", async () => {
    const swarm = await Swarm.create({
      seed: 3,
      size: 2 * MiB,
      pieceLength: 64 * KiB,
      chokeIntervalMs: 1000,
      peers: [
        { name: "s", seed: true, uploadRate: 512 * KiB },
        // It claims every piece and corrupts every block it sends.
        { name: "liar", uploadRate: 4 * MiB, lieAbout: () => true },
        { name: "l1", uploadRate: 256 * KiB },
        { name: "l2", uploadRate: 256 * KiB },
        { name: "l3", uploadRate: 256 * KiB },
      ],
    });
    const liar = swarm.peer("liar");
    const banned = new Set<string>();
    for (const name of ["l1", "l2", "l3"]) {
      swarm.torrent(name).on("hash-failed", (_index, hosts) => {
        if (hosts.includes(liar.address)) banned.add(name);
      });
    }
    await swarm.run();
    const lies = (liar.store as LyingStore).lies;
    assert.ok(lies > 0, "the liar was asked for data and lied");
    for (const name of ["l1", "l2", "l3"]) {
      assert.ok(await holdsContent(swarm, name), `${name} holds the true content`);
      const t = swarm.torrent(name);
      assert.ok(
        t.peers().every((p) => !p.address.startsWith(`${liar.address}:`)),
        `${name} dropped the liar`,
      );
    }
    assert.ok(banned.size > 0, "the liar was banned by a leecher it lied to");
    for (const name of banned) assert.equal(swarm.torrent(name).stats().banned, 1);
    await swarm.close();
  });

  test("a leecher paused mid-swarm holds still, and completes once resumed", async () => {
    const swarm = await Swarm.create({
      seed: 5,
      size: 4 * MiB,
      pieceLength: 64 * KiB,
      chokeIntervalMs: 1000,
      peers: [
        { name: "s", seed: true, uploadRate: 1 * MiB },
        { name: "l1", uploadRate: 256 * KiB },
        { name: "l2", uploadRate: 256 * KiB },
        { name: "l3", uploadRate: 256 * KiB },
      ],
    });
    const paused = swarm.torrent("l2");
    await swarm.run(() => paused.stats().progress >= 0.4);
    await swarm.settle(paused.pause());
    assert.equal(paused.state, "paused");
    const have = paused.stats().piecesHave;
    const othersBefore = swarm.torrent("l1").stats().piecesHave;
    await swarm.runFor(5000);
    assert.equal(paused.stats().piecesHave, have, "nothing arrives while paused");
    assert.equal(paused.stats().peers, 0, "a paused torrent has no connections");
    assert.ok(swarm.torrent("l1").stats().piecesHave > othersBefore, "the others go on");
    paused.start();
    paused.addPeers(
      swarm.peers.filter((p) => p.spec.name !== "l2").map((p) => ({ ip: p.address, port: 6881 })),
    );
    await swarm.run();
    assert.ok(await holdsContent(swarm, "l2"));
    assert.ok(swarm.peer("l2").completedAt! > swarm.peer("l1").completedAt!, "it lost time paused");
    await swarm.close();
  });

  test("peers that dial each other at the same moment keep one connection per pair", async () => {
    // Each side of a pair sees two connections to one peer id and drops one;
    // both must drop the same one, or the pair is left with none.
    const swarm = await Swarm.create({
      seed: 11,
      size: 1 * MiB,
      pieceLength: 64 * KiB,
      topology: "mesh",
      peers: [
        { name: "s", seed: true, uploadRate: 1 * MiB },
        { name: "l1", uploadRate: 1 * MiB },
        { name: "l2", uploadRate: 1 * MiB },
      ],
    });
    await swarm.runFor(500);
    for (const p of swarm.peers) {
      assert.equal(swarm.torrent(p.spec.name).stats().peers, 2, `${p.spec.name} keeps both others`);
    }
    await swarm.run();
    await swarm.close();
  });

  test("a torrent added by info hash alone waits with its peers, then downloads once given the metadata", async () => {
    const swarm = await Swarm.create({
      seed: 13,
      size: 2 * MiB,
      pieceLength: 64 * KiB,
      peers: [
        { name: "s", seed: true, uploadRate: 1 * MiB },
        { name: "l1", uploadRate: 1 * MiB },
        { name: "magnet", uploadRate: 1 * MiB, byInfoHash: true },
      ],
    });
    const t = swarm.torrent("magnet");
    await swarm.runFor(3000);
    assert.equal(t.state, "metadata");
    assert.equal(t.stats().peers, 2, "connected to both in the metadata phase");
    assert.equal(t.stats().downloaded, 0);
    // BEP 9 would deliver it over the wire (a later issue); here it is handed over.
    await swarm.settle(t.setMetadata(swarm.meta));
    await swarm.run();
    assert.ok(await holdsContent(swarm, "magnet"));
    await swarm.close();
  });

  test("endgame: blocks still on their way from a slow peer do not hold up the end", async () => {
    const slowRate = 4 * KiB;
    const swarm = await Swarm.create({
      seed: 21,
      size: 2 * MiB,
      pieceLength: 64 * KiB,
      peers: [
        { name: "fast", seed: true, uploadRate: 1 * MiB },
        { name: "slow", seed: true, uploadRate: slowRate },
        { name: "l1", uploadRate: 1 * MiB },
      ],
    });
    await swarm.run();
    const done = swarm.peer("l1").completedAt!;
    const [, fromSlow] = swarm.sent();
    assert.ok(
      fromSlow! > (slowRate * done) / 1000,
      `the slow seeder had more queued (${fromSlow} B) than it could deliver in ${done} ms`,
    );
    // 2 MiB at 1 MiB/s is 2 s; waiting for the slow seeder's blocks, or for
    // their requests to time out (5 s at least), would take twice as long.
    assert.ok(done < 3000, `complete after ${done} ms`);
    assert.ok(await holdsContent(swarm, "l1"));
    await swarm.close();
  });

  test("stores of one swarm share one copy of the content", async () => {
    const swarm = await Swarm.create({
      seed: 9,
      size: 1 * MiB,
      pieceLength: 64 * KiB,
      peers: [
        { name: "s", seed: true, uploadRate: 1 * MiB },
        { name: "l1", uploadRate: 1 * MiB },
      ],
    });
    await swarm.run();
    const a = await swarm.peer("s").store.readBlock(3, 0, 16 * KiB);
    const b = await swarm.peer("l1").store.readBlock(3, 0, 16 * KiB);
    assert.equal(a.data.buffer, b.data.buffer);
    assert.ok(swarm.peer("l1").store instanceof MemoryStorage);
    await swarm.close();
  });
});
