/**
 * A fair swarm (issue 5): one seeder and 8 leechers with upload limits all
 * complete, and the seeder uploads less than 3× the file (the leechers trade
 * among themselves, tit-for-tat); a free-rider that never uploads finishes
 * after the fair leechers.
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

test("8 leechers trade among themselves; the seeder sends < 3× the file; the free-rider finishes behind them", async () => {
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
    );
  }
  const seederSent = seeding.stats().uploaded;
  process.stdout.write(
    `# fair leechers done in ${Math.min(...fairTimes).toFixed(1)}–${Math.max(...fairTimes).toFixed(1)} s, ` +
      `free-rider in ${riderTime.toFixed(1)} s; seeder sent ${(seederSent / size).toFixed(2)}× the file; ` +
      `rider uploaded ${riderTorrent.stats().uploaded} B\n`,
  );
  assert.equal(riderTorrent.stats().uploaded, 0, "the free-rider uploads nothing");
  assert.ok(seederSent < 3 * size, `the seeder sent ${(seederSent / size).toFixed(2)}× the file`);
  // Tit-for-tat: while they download, the fair leechers give free upload
  // slots only to peers that shared with them, and the rounds rank by what
  // each peer sends, so the rider gets leftovers and finishes last in most
  // runs. Once most fair leechers are seeds they serve whoever is left, rider
  // included, so in a few runs in twenty it passes the slowest fair leecher
  // (one that was unlucky early); it must not beat them as a group.
  const mean = fairTimes.reduce((a, b) => a + b, 0) / fairTimes.length;
  const beaten = fairTimes.filter((t) => t < riderTime).length;
  assert.ok(
    riderTime > mean,
    `the free-rider (${riderTime.toFixed(2)} s) beat the fair leechers' mean (${mean.toFixed(2)} s)`,
  );
  assert.ok(beaten >= 6, `the free-rider finished before ${8 - beaten} of 8 fair leechers`);
});
