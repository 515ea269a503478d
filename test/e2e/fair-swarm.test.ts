/**
 * A fair swarm over real sockets (issue 5): one seeder and 8 leechers with
 * upload limits and a free-rider that never uploads all complete with the
 * right bytes, the rider sends nothing, and the leechers trade among
 * themselves (the seeder sends fewer copies than there are leechers).
 *
 * What depends on timing is test/sim/fair-swarm.test.ts's to claim, on
 * simulated time over 20 seeds (issue 21): that the rider finishes after
 * every fair leecher, and that the seeder sends less than 3× the file. Here,
 * under the load of a full test run, a peer starved of CPU falls seconds
 * behind the others: the rider's place was a coin toss, and the seeder's
 * share, which grows with the slowest peer's tail, went past 3× (3.07×,
 * 3.58× with two runs side by side; 3.39× and 3.72× before free-riders
 * were refused slots, so not a new effect).
 */
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { after, test } from "node:test";
import type { Client } from "../../src/session/index.ts";
import type { Torrent } from "../../src/torrent/index.ts";
import {
  completed,
  type Fixture,
  makeFixture,
  removeFixture,
  startClient,
} from "./swarm-helpers.ts";

const clients: Client[] = [];
let fixture: Fixture | undefined;
after(async () => {
  await Promise.all(clients.map((c) => c.close()));
  if (fixture) await removeFixture(fixture);
});

test("8 leechers and a free-rider complete over real sockets; the rider sends nothing; the leechers trade", async () => {
  const size = 3 * 1024 * 1024;
  const f = await makeFixture(size, 32 * 1024);
  fixture = f;
  // Quarter-second choke rounds: a 3 MiB swarm lives for some twenty rounds, as a
  // large one does with the usual 10 s rounds, so tit-for-tat has time to act.
  const rounds = { trackers: false, chokeIntervalMs: 250 };
  const seeder = await startClient(f, "seeder", {
    downloadDir: f.seedDir,
    uploadLimit: 1024 * 1024,
    torrentDefaults: rounds,
  });
  clients.push(seeder);
  const seeding = await seeder.add(f.meta);
  const fair = await Promise.all(
    Array.from({ length: 8 }, (_, i) =>
      startClient(f, `leecher${i}`, { uploadLimit: 512 * 1024, torrentDefaults: rounds }),
    ),
  );
  // The free-rider never unchokes anybody.
  const rider = await startClient(f, "rider", { torrentDefaults: { ...rounds, uploadSlots: 0 } });
  clients.push(...fair, rider);
  const torrents = await Promise.all([...fair, rider].map((c) => c.add(f.meta)));
  const everyone = [seeder, ...fair, rider].map((c) => ({ ip: "127.0.0.1", port: c.port }));
  const started = performance.now();
  const finish = new Map<Torrent, number>();
  await Promise.all(
    torrents.map(async (t) => {
      t.addPeers(everyone);
      await completed(t, 120_000);
      finish.set(t, (performance.now() - started) / 1000);
    }),
  );
  const riderTorrent = torrents.at(-1)!;
  const fairTimes = torrents.slice(0, -1).map((t) => finish.get(t)!);
  const riderTime = finish.get(riderTorrent)!;
  for (const [i] of fair.entries()) {
    assert.ok(
      (await readFile(join(f.dir, `leecher${i}`, "download", "payload.bin"))).equals(f.data),
      `leecher${i} has the file`,
    );
  }
  assert.ok(
    (await readFile(join(f.dir, "rider", "download", "payload.bin"))).equals(f.data),
    "the rider has the file",
  );
  const seederSent = seeding.stats().uploaded;
  process.stdout.write(
    `# fair leechers done in ${Math.min(...fairTimes).toFixed(1)}–${Math.max(...fairTimes).toFixed(1)} s, ` +
      `free-rider in ${riderTime.toFixed(1)} s; seeder sent ${(seederSent / size).toFixed(2)}× the file; ` +
      `rider uploaded ${riderTorrent.stats().uploaded} B\n`,
  );
  assert.equal(riderTorrent.stats().uploaded, 0, "the free-rider uploads nothing");
  // Without trading the seeder would send one copy per leecher, 9×.
  assert.ok(
    seederSent < 9 * size,
    `the seeder sent ${(seederSent / size).toFixed(2)}× the file: the leechers did not trade`,
  );
});
