import assert from "node:assert/strict";
import { after, test } from "node:test";
import { FakeClock } from "../util/index.ts";
import { RateShares } from "./rate-shares.ts";
import type { TorrentEntry } from "./registry.ts";
import { SessionLimits } from "./session-limits.ts";
import { MemoryClients, smallTorrent, waitUntil } from "./test-clients.ts";

const clients = new MemoryClients();
after(() => clients.close());

test("the session's rates: the sum of its torrents' while data moves, none once no peer is connected", async () => {
  const t = smallTorrent(40 * 16 * 1024, "r.bin");
  const idle = smallTorrent(20_000, "idle.bin");
  const seeder = await clients.start("10.8.0.1", t.content);
  await seeder.add(t.meta);
  const leecher = await clients.start("10.8.0.2");
  await leecher.add(idle.meta, { paused: true });
  assert.deepEqual(leecher.rates(), { downloadRate: 0, uploadRate: 0 });
  // Slow enough (64 KiB/s for 640 KiB) to be read while it moves.
  await leecher.add(t.meta, { peers: [{ host: "10.8.0.1", port: 6881 }], downloadLimit: 65_536 });
  await waitUntil(() => leecher.rates().downloadRate > 0, "data moving", 10_000);
  // Read a moment apart, the meters move a little between the two reads.
  const view = leecher.view();
  const rates = leecher.rates();
  const near = (a: number, b: number) => Math.abs(a - b) <= 0.01 * Math.max(a, b);
  assert.ok(
    near(rates.downloadRate, view.downloadRate),
    `${rates.downloadRate} vs ${view.downloadRate}`,
  );
  assert.ok(near(rates.uploadRate, view.uploadRate), `${rates.uploadRate} vs ${view.uploadRate}`);
  assert.ok(seeder.rates().uploadRate > 0);
  // The torrents moving data, each with its rates, in the same one walk.
  const active = leecher.activeRates();
  assert.deepEqual(
    active.torrents.map(([hash]) => hash),
    [t.meta.infoHashHex],
    "the paused one is not listed",
  );
  assert.equal(active.torrents[0]![1], active.downloadRate);
  assert.ok(active.downloadRate > 0);
  await leecher.whenComplete(t.meta.infoHashHex, { timeoutMs: 30_000 });
  await leecher.remove(t.meta.infoHashHex);
  await waitUntil(() => seeder.view().peers === 0, "the seeder's peer gone", 10_000);
  assert.deepEqual(seeder.rates(), { downloadRate: 0, uploadRate: 0 });
  assert.deepEqual(leecher.rates(), { downloadRate: 0, uploadRate: 0 });
  assert.deepEqual(leecher.activeRates().torrents, []);
});

test("active rates: no torrent is walked while no connection is open", () => {
  let connections = 0;
  let walks = 0;
  const rates = [
    { downloadRate: 0, uploadRate: 0 },
    { downloadRate: 300, uploadRate: 0 },
    { downloadRate: 0, uploadRate: 50 },
  ];
  const entries = rates.map(
    (r, i) => ({ infoHashHex: String(i).repeat(40), torrent: { rates: () => r } }) as TorrentEntry,
  );
  const limits = new SessionLimits(new FakeClock(), 0, 0, {
    entries: () => {
      walks++;
      return entries;
    },
    connections: () => connections,
  });
  assert.deepEqual(limits.activeRates(), { downloadRate: 0, uploadRate: 0, torrents: [] });
  assert.deepEqual(limits.rates(), { downloadRate: 0, uploadRate: 0 });
  assert.equal(walks, 0, "idle: not walked");
  connections = 1;
  assert.deepEqual(limits.activeRates(), {
    downloadRate: 300,
    uploadRate: 50,
    torrents: [
      ["1".repeat(40), 300, 0],
      ["2".repeat(40), 0, 50],
    ],
  });
  assert.deepEqual(limits.rates(), { downloadRate: 300, uploadRate: 50 });
  assert.equal(walks, 2, "one walk each");
});

test("a torrent's rate buckets are made for its first connection, with the rate its share last gave it", () => {
  const shares = new RateShares(new FakeClock(), 100_000, 0);
  const idle = shares.torrentLimits();
  const limited = shares.torrentLimits(30_000, 0);
  // Under the global 100 kB/s, two torrents moving nothing get half each (the second its own 30 kB/s).
  shares.share([
    { limits: idle, uploadRate: 0, downloadRate: 0 },
    { limits: limited, uploadRate: 0, downloadRate: 0 },
  ]);
  const [own, global] = idle.upload();
  assert.equal(own?.rate, 50_000);
  assert.equal(global, shares.upload);
  assert.equal(limited.up.rate, 30_000);
  assert.equal(idle.download()[0]?.unlimited, true);
  // Made once: later shares set the same bucket.
  shares.setGlobal({ upload: 40_000 });
  shares.share([
    { limits: idle, uploadRate: 0, downloadRate: 0 },
    { limits: limited, uploadRate: 0, downloadRate: 0 },
  ]);
  assert.equal(idle.upload()[0], own);
  assert.equal(own?.rate, 20_000);
});
