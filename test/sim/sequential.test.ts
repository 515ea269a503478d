/**
 * Sequential download (issue 16) in the deterministic swarm: a streaming
 * peer among four seeds has the start of the file, whole, long before the
 * same peer fetching rarest first in the same swarm would, and completes at
 * about the same time. The same seed gives the same run.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { Swarm } from "./swarm-sim.ts";

const KiB = 1024;
const MiB = 1024 * KiB;

/** When the leecher had the first quarter of the file whole, and everything; its piece order. */
async function leechAmongSeeds(seed: number, sequential: boolean) {
  const swarm = await Swarm.create({
    seed,
    size: 4 * MiB,
    pieceLength: 32 * KiB,
    peers: [
      ...Array.from({ length: 4 }, (_, i) => ({
        name: `seed${i}`,
        seed: true,
        uploadRate: 256 * KiB,
        latencyMs: 10 + 5 * i,
      })),
      { name: "leech", sequential, downloadRate: 2 * MiB, latencyMs: 5 },
    ],
  });
  const order: number[] = [];
  let quarterAt: number | undefined;
  const t = swarm.torrent("leech");
  t.on("piece", (i) => {
    order.push(i);
    let first = 0;
    while (first < t.storage.have.length && t.storage.have.has(first)) first++;
    if (first >= 32) quarterAt ??= swarm.clock.now();
  });
  await swarm.run();
  const result = { quarterAt: quarterAt!, completedAt: swarm.peer("leech").completedAt!, order };
  await swarm.close();
  return result;
}

test("sim: streaming gets the start of the file first and costs little; the same seed gives the same run", async () => {
  const stream = await leechAmongSeeds(16, true);
  const rarest = await leechAmongSeeds(16, false);
  assert.equal(stream.order.length, 128);
  assert.ok(
    stream.quarterAt * 2 < rarest.quarterAt,
    `the first quarter: at ${stream.quarterAt} ms streaming, ${rarest.quarterAt} ms rarest first`,
  );
  assert.ok(stream.completedAt < rarest.completedAt * 1.2, "streaming costs little");
  assert.deepEqual(await leechAmongSeeds(16, true), stream);
  console.log(
    `sequential: first quarter at ${(stream.quarterAt / 1000).toFixed(2)} s (rarest first: ` +
      `${(rarest.quarterAt / 1000).toFixed(2)} s); complete at ${(stream.completedAt / 1000).toFixed(2)} s ` +
      `(rarest first: ${(rarest.completedAt / 1000).toFixed(2)} s)`,
  );
});
