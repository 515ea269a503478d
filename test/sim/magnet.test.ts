/**
 * A magnet link's download in the deterministic swarm (issue 14): the peer
 * knows the info hash alone and fetches the info dictionary from its ten
 * peers over BEP 9, while one of them serves a dictionary that does not hash
 * to the info hash. The liar is caught (alone, it sent the whole dictionary,
 * so it is proven and banned), the metadata comes from the honest ones, and
 * the download completes; the same seed gives the same run.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { Swarm } from "./swarm-sim.ts";

const KiB = 1024;
const MiB = 1024 * KiB;

async function magnetAmongTen(seed: number) {
  const swarm = await Swarm.create({
    seed,
    size: 2 * MiB,
    pieceLength: 32 * KiB,
    peers: [
      // The liar is the nearest peer: its handshake comes first, so it is asked first.
      { name: "liar", seed: true, liesAboutMetadata: true, uploadRate: 1 * MiB, latencyMs: 1 },
      ...Array.from({ length: 6 }, (_, i) => ({
        name: `seed${i}`,
        seed: true,
        uploadRate: 512 * KiB,
        latencyMs: 20 + i,
      })),
      ...Array.from({ length: 3 }, (_, i) => ({
        name: `leech${i}`,
        uploadRate: 512 * KiB,
        latencyMs: 15,
      })),
      { name: "magnet", magnet: true, uploadRate: 512 * KiB, latencyMs: 5, joinAtMs: 100 },
    ],
  });
  await swarm.runFor(200);
  const t = swarm.torrent("magnet");
  const banned: string[] = [];
  t.on("peer-banned", (key) => banned.push(key));
  let metadataAt: number | undefined;
  t.on("metadata", () => {
    metadataAt = swarm.clock.now();
  });
  await swarm.run();
  const result = {
    metadataAt,
    completedAt: swarm.peer("magnet").completedAt,
    banned,
    stats: t.stats(),
    sent: swarm.sent(),
    sameContent: await holdsContent(swarm, "magnet"),
  };
  await swarm.close();
  return { swarm, result };
}

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

test("magnet: from 10 peers, one lying about the metadata, the download completes", async () => {
  const { swarm, result } = await magnetAmongTen(7);
  assert.ok(result.metadataAt !== undefined, "the metadata arrived");
  assert.ok(result.completedAt !== undefined, "the download completed");
  assert.deepEqual(result.banned, [`${swarm.peer("liar").address}`], "the liar alone is banned");
  assert.equal(result.stats.hashFailures, 0, "the data itself was sound");
  assert.equal(result.stats.state, "seeding");
  assert.ok(result.sameContent, "the magnet peer holds the content byte for byte");
});

test("magnet: the same seed, the same run", async () => {
  const a = (await magnetAmongTen(11)).result;
  const b = (await magnetAmongTen(11)).result;
  assert.deepEqual(
    [a.metadataAt, a.completedAt, a.banned, a.sent],
    [b.metadataAt, b.completedAt, b.banned, b.sent],
  );
});
