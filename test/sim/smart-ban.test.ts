/**
 * Smart ban (issue 13, item 3) in the deterministic swarm: a liar beside an
 * honest seeder. Every piece the liar takes part in mixes its bad block with
 * the seeder's good ones, so a strike for every contributor of a failed piece
 * bans the honest seeder with the liar, and the download stalls with nobody
 * left. The liar must be the only one banned, and every download complete.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  badFirstBlocks,
  corruptPieces,
  type LiePolicy,
  type LyingStore,
  oneBadBlockPerPiece,
} from "./lying-store.ts";
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

async function liarBesideSeeder(
  seed: number,
  lie: () => LiePolicy,
  liarRate = 512 * KiB,
): Promise<void> {
  const swarm = await Swarm.create({
    seed,
    size: 2 * MiB,
    pieceLength: 64 * KiB,
    chokeIntervalMs: 1000,
    limitMs: 600_000,
    peers: [
      { name: "honest", seed: true, uploadRate: 512 * KiB },
      { name: "liar", uploadRate: liarRate, lie: lie() },
      { name: "l1", uploadRate: 256 * KiB },
      { name: "l2", uploadRate: 256 * KiB },
    ],
  });
  const liar = swarm.peer("liar");
  const banned = new Map<string, Set<string>>();
  for (const name of ["l1", "l2"]) {
    const set = new Set<string>();
    banned.set(name, set);
    const t = swarm.torrent(name);
    t.on("hash-failed", (_index, hosts) => {
      for (const h of hosts) set.add(h);
    });
    t.on("peer-banned", (host) => set.add(host));
  }
  try {
    try {
      await swarm.run();
    } catch (err) {
      const stats = ["l1", "l2"].map((n) => {
        const s = swarm.torrent(n).stats();
        const who = [...banned.get(n)!].join(",");
        return `${n}: ${s.piecesHave}/${s.pieceCount} pieces, ${s.peers} peers, banned [${who}], ${s.hashFailures} failures`;
      });
      throw new Error(`seed ${seed}: ${(err as Error).message}; ${stats.join("; ")}`);
    }
    assert.ok((liar.store as LyingStore).lies > 0, "the liar was asked for data and lied");
    for (const name of ["l1", "l2"]) {
      assert.ok(await holdsContent(swarm, name), `seed ${seed}: ${name} holds the true content`);
      const t = swarm.torrent(name);
      const set = banned.get(name)!;
      assert.deepEqual(
        [...set].filter((h) => h !== liar.address),
        [],
        `seed ${seed}: ${name} banned nobody but the liar`,
      );
      assert.equal(t.stats().banned, set.size, `seed ${seed}: ${name}'s ban count`);
      if (t.stats().hashFailures > 0) {
        assert.ok(set.has(liar.address), `seed ${seed}: ${name} found the liar out`);
      }
    }
  } finally {
    await swarm.close();
  }
}

const SEEDS = [1, 2, 3, 4, 5];

describe("smart ban: a liar beside an honest seeder", () => {
  test("one bad block per piece, the rest refused: only the liar is banned, every download completes", async () => {
    for (const seed of SEEDS) await liarBesideSeeder(seed, oneBadBlockPerPiece);
  });

  test("a bad first block whenever asked, the rest refused", async () => {
    for (const seed of SEEDS) await liarBesideSeeder(seed, badFirstBlocks);
  });

  test("whole pieces corrupted: only the liar is banned, every download completes", async () => {
    const everyPiece = () => corruptPieces(() => true);
    for (const seed of SEEDS) await liarBesideSeeder(seed, everyPiece);
    // A liar faster than the seeder sends most pieces alone (a failure proves it at once).
    for (const seed of SEEDS) await liarBesideSeeder(seed, everyPiece, 4 * MiB);
  });
});
