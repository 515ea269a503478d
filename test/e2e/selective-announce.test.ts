/**
 * A selective download against shoal's own tracker, as libtorrent reports
 * one (see Torrent's #partialSeed for the decision and why): once the wanted
 * files are here, `left` still counts the skipped ones, no `completed` is
 * sent, and regular announces say BEP 21's `paused`; once every file is
 * wanted and here, `completed` goes out and the tracker counts a download
 * and a second seeder.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { createTorrent } from "../../src/metainfo/index.ts";
import { Client } from "../../src/session/index.ts";
import type { Torrent } from "../../src/torrent/index.ts";
import { parseScrapeReply } from "../../src/tracker-proto/index.ts";
import type { Tracker } from "../../src/tracker-server/index.ts";
import { startTracker } from "./tracker-helpers.ts";

const cleanup: (() => Promise<unknown>)[] = [];
after(async () => {
  for (const c of cleanup.reverse()) await c();
});

async function until(ok: () => boolean, what: string, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function scrape(base: string, infoHash: Buffer) {
  const q = [...infoHash].map((b) => `%${b.toString(16).padStart(2, "0")}`).join("");
  const res = await fetch(`${base}/scrape?info_hash=${q}`);
  const [counts] = parseScrapeReply(Buffer.from(await res.arrayBuffer())).files;
  return counts!;
}

/** Announces of the leecher's that the tracker counted, by event. */
const events = (tracker: Tracker) => ({ ...tracker.metrics.announces.http });

test("a selective download: left counts the skipped file, `paused` not `completed`; the whole torrent then completes", async () => {
  const { tracker, base } = await startTracker();
  cleanup.push(() => tracker.stop());
  const dir = await mkdtemp(join(tmpdir(), "shoal-selective-"));
  cleanup.push(() => rm(dir, { recursive: true, force: true }));
  const folder = join(dir, "seed", "t");
  await mkdir(folder, { recursive: true });
  const sizes = { "a.bin": 160 * 1024, "b.bin": 96 * 1024 };
  for (const [name, size] of Object.entries(sizes))
    await writeFile(join(folder, name), randomBytes(size));
  const { torrent, metainfo } = await createTorrent(folder, {
    pieceLength: 16 * 1024,
    trackers: [[`${base}/announce`]],
    creationDate: null,
  });
  const skip = metainfo.files.findIndex((f) => f.path.at(-1) === "b.bin");
  const client = (name: string, downloadDir: string) =>
    Client.start({
      dataDir: join(dir, name, "data"),
      downloadDir,
      host: "127.0.0.1",
      port: 0,
      torrentDefaults: { chokeIntervalMs: 1000, announcer: { minIntervalMs: 0 } },
    });
  const seeder = await client("seeder", join(dir, "seed"));
  cleanup.push(() => seeder.close());
  const leecher = await client("leecher", join(dir, "leech"));
  cleanup.push(() => leecher.close());
  const seed = await seeder.add(torrent);
  await until(() => seed.complete, "the seeder's check");
  await until(() => events(tracker).started >= 1, "the seeder's started");

  const leech: Torrent = await leecher.add(torrent, {
    filePriorities: metainfo.files.map((_, i) => (i === skip ? "skip" : "normal")),
  });
  await until(() => leech.complete, "the wanted file");
  assert.equal(
    leech.left,
    sizes["b.bin"],
    "left counts the skipped file (libtorrent's bytes_left)",
  );
  const before = events(tracker);
  leech.announceNow();
  await until(() => events(tracker).paused > before.paused, "a paused announce (BEP 21)");
  assert.equal(events(tracker).completed, 0, "no completed for some files");
  const partial = await scrape(base, metainfo.infoHash);
  assert.equal(partial.downloaded, 0, "the tracker counted no download");
  assert.equal(partial.complete, 1, "one seeder: the seeder");

  await leech.setFilePriorities(metainfo.files.map(() => "normal"));
  await until(() => events(tracker).completed === 1, "the completed announce");
  assert.equal(leech.left, 0);
  const whole = await scrape(base, metainfo.infoHash);
  assert.equal(whole.downloaded, 1, "one download counted");
  assert.equal(whole.complete, 2, "two seeders");
  assert.equal(whole.incomplete, 0);
});
