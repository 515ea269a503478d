/**
 * Tit-for-tat against a free-rider (issues 12 and 21), the claim
 * test/e2e/fair-swarm.test.ts cannot make on wall-clock time: one seeder,
 * 8 fair leechers with upload caps and one leecher that never uploads
 * (no upload slots), over 20 seeds. The rider must finish after every fair
 * leecher in each: while they download, fair leechers give it nothing once
 * it has taken from them without giving back, so it gets the seeder's share
 * alone until the fair leechers, complete, serve it as seeds. And the fair
 * leechers trade among themselves: the seeder sends less than 3× the file.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { runSwarm } from "./scenarios.ts";

const KiB = 1024;

test("over 20 seeds the free-rider finishes after every fair leecher; the seeder sends < 3× the file", async () => {
  const lines: string[] = [];
  for (let seed = 1; seed <= 20; seed++) {
    // The e2e swarm's shape: 3 MiB, 32 KiB pieces, seeder 1 MiB/s, leechers
    // 512 KiB/s, quarter-second choke rounds so the swarm lives some twenty rounds.
    const run = await runSwarm({
      seed,
      leechers: 9,
      size: 3 * 1024 * KiB,
      pieceLength: 32 * KiB,
      seederRate: 1024 * KiB,
      leecherRate: 512 * KiB,
      chokeIntervalMs: 250,
      freeRider: true,
    });
    const rider = run.finish.get("rider");
    assert.ok(rider !== undefined, `seed ${seed}: the rider completed`);
    const fair = [...run.finish].filter(([name]) => name !== "rider");
    assert.equal(fair.length, 8, `seed ${seed}: every fair leecher completed`);
    const ahead = fair.filter(([, t]) => t >= rider).map(([name]) => name);
    lines.push(
      `seed ${seed}: rider ${(rider / 1000).toFixed(2)} s, fair ${(Math.min(...fair.map(([, t]) => t)) / 1000).toFixed(2)}-${(Math.max(...fair.map(([, t]) => t)) / 1000).toFixed(2)} s, seeder sent ${(run.sent.get("s")! / (3 * 1024 * KiB)).toFixed(2)}×`,
    );
    assert.deepEqual(
      ahead,
      [],
      `seed ${seed}: the rider finished before ${ahead.join(", ")}\n${run.line}`,
    );
    assert.equal(run.sent.get("rider"), 0, `seed ${seed}: the rider uploaded nothing`);
    // The fair leechers trade among themselves (tit-for-tat): the seeder
    // sends well under one copy per leecher.
    const seederSent = run.sent.get("s")! / (3 * 1024 * KiB);
    assert.ok(seederSent < 3, `seed ${seed}: the seeder sent ${seederSent.toFixed(2)}× the file`);
  }
  process.stdout.write(`# ${lines.join("\n# ")}\n`);
});
