/** Persistence: a restart keeps the index, completed counts and live peers. */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import {
  buildScrapeQuery,
  parseAnnounceReply,
  parseScrapeReply,
} from "../../src/tracker-proto/index.ts";
import { announce, hash20, makeTorrent, peerId, startTracker } from "./tracker-helpers.ts";

test("publish, count, stop, start: the index, counts and peers are all still there", async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), "shoal-tracker-"));
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));
  const torrent = makeTorrent("restart.bin", 100_000, { comment: "kept byte for byte" });
  const hex = torrent.infoHash.toString("hex");
  const loose = hash20(77); // tracked but never published

  let { tracker, base } = await startTracker({ dataDir, flushInterval: 3600 });
  const up = await fetch(`${base}/torrents`, { method: "POST", body: torrent.bytes });
  assert.equal(up.status, 201);
  const published = (await up.json()) as { infoHash: string; magnet: string };
  assert.equal(published.infoHash, hex);
  assert.match(published.magnet, new RegExp(`^magnet:\\?xt=urn:btih:${hex}`));
  for (const ih of [torrent.infoHash, loose]) {
    await announce(base, {
      infoHash: ih,
      peerId: peerId(1),
      port: 7001,
      left: 5,
      event: "started",
    });
    await announce(base, {
      infoHash: ih,
      peerId: peerId(1),
      port: 7001,
      left: 0,
      event: "completed",
    });
    await announce(base, {
      infoHash: ih,
      peerId: peerId(2),
      port: 7002,
      left: 5,
      event: "started",
    });
  }
  await tracker.stop();

  ({ tracker, base } = await startTracker({ dataDir }));
  try {
    const list = (await (await fetch(`${base}/torrents`)).json()) as {
      infoHash: string;
      completed: number;
    }[];
    assert.deepEqual(
      list.map((x) => [x.infoHash, x.completed]),
      [[hex, 1]],
    );
    const file = Buffer.from(await (await fetch(`${base}/torrents/${hex}.torrent`)).arrayBuffer());
    assert.ok(file.equals(torrent.bytes), "the exact bytes that were published");
    const details = (await (await fetch(`${base}/torrents/${hex}`)).json()) as {
      comment: string;
      size: number;
    };
    assert.equal(details.comment, "kept byte for byte");
    assert.equal(details.size, 100_000);
    const scrape = parseScrapeReply(
      Buffer.from(
        await (
          await fetch(`${base}/scrape?${buildScrapeQuery([torrent.infoHash, loose])}`)
        ).arrayBuffer(),
      ),
    );
    for (const f of scrape.files) {
      assert.deepEqual(
        [f.complete, f.incomplete, f.downloaded],
        [1, 1, 1],
        f.infoHash.toString("hex"),
      );
    }
    // Peer lists are served at once, before anyone re-announces.
    const r = parseAnnounceReply(
      await announce(base, { infoHash: loose, peerId: peerId(3), port: 7003, left: 5 }),
    );
    assert.deepEqual(r.peers.map((p) => p.port).sort(), [7001, 7002]);
  } finally {
    await tracker.stop();
  }
});

test("the completed count is written in batches while running, not only at shutdown", async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), "shoal-tracker-"));
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));
  const { tracker, base } = await startTracker({ dataDir });
  try {
    await announce(base, {
      infoHash: hash20(5),
      peerId: peerId(1),
      port: 7001,
      left: 0,
      event: "completed",
    });
    tracker.flush();
    // A second tracker on the same database sees the flushed count.
    const { tracker: reader } = await startTracker({ dataDir });
    try {
      assert.equal(reader.completedOf(hash20(5).toString("latin1")), 1);
    } finally {
      await reader.stop({ snapshot: false });
    }
  } finally {
    await tracker.stop();
  }
});
