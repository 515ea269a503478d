/**
 * Issue 13, item 1: 64-bit counters from the network and values read back
 * from storage can never stop the tracker from starting.
 *
 * The decision (tracker-proto/counters.ts): BitTorrent's 64-bit counters
 * (`left`, `uploaded`, `downloaded`, over HTTP and UDP) are held as numbers
 * clamped to Number.MAX_SAFE_INTEGER (2^53 − 1, 8 PiB) where they are
 * decoded; the tracker only needs `left` to tell seeders from leechers, and a
 * clamped value keeps that. Whatever is read back from the database goes
 * through a checked reader: a counter beyond that range is clamped the same
 * way, and a row that is not a usable row (wrong types, wrong lengths) is
 * skipped with a log line. A start never fails on a row.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { test } from "node:test";
import {
  buildScrapeQuery,
  decodeUdpResponse,
  encodeAnnounceRequest,
  parseAnnounceReply,
  parseScrapeReply,
  percentEncode,
} from "../../src/tracker-proto/index.ts";
import { DATABASE_FILE } from "../../src/tracker-server/index.ts";
import type { Logger } from "../../src/util/index.ts";
import { hash20, makeTorrent, peerId, startTracker, UdpClient } from "./tracker-helpers.ts";

function recordingLogger(): Logger & { lines: { level: string; msg: string }[] } {
  const lines: { level: string; msg: string }[] = [];
  const at = (level: string) => (msg: string) => {
    lines.push({ level, msg });
  };
  return { lines, debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
}

async function scrape(base: string, ih: Buffer) {
  const body = await (await fetch(`${base}/scrape?${buildScrapeQuery([ih])}`)).arrayBuffer();
  return parseScrapeReply(Buffer.from(body)).files[0];
}

test("left ≥ 2^53 over HTTP and UDP: kept as a leecher, saved, and the next start works", async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), "shoal-counters-"));
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));
  const ih = hash20(1);
  let { tracker, base, port } = await startTracker({ dataDir });
  try {
    // The repro, and every other counter at its largest.
    const q =
      `info_hash=${percentEncode(ih)}&peer_id=${percentEncode(peerId(1))}&port=6881` +
      "&left=9007199254740993&uploaded=18446744073709551615&downloaded=99999999999999999999";
    const r = parseAnnounceReply(
      Buffer.from(await (await fetch(`${base}/announce?${q}`)).arrayBuffer()),
    );
    assert.equal(r.failureReason, undefined);
    const udp = await UdpClient.open(4);
    try {
      const connectionId = await udp.connectionId(port);
      const packet = encodeAnnounceRequest({
        connectionId,
        transactionId: 9,
        infoHash: ih,
        peerId: peerId(2),
        downloaded: 0,
        left: 0,
        uploaded: 0,
        event: "started",
        port: 6882,
      });
      // downloaded, left and uploaded all 2^64 − 1, written as raw bytes.
      packet.fill(0xff, 56, 80);
      udp.send(packet, port);
      const reply = decodeUdpResponse((await udp.next())!, 4);
      assert.ok(reply?.action === "announce");
    } finally {
      udp.close();
    }
    assert.deepEqual(await scrape(base, ih), {
      infoHash: ih,
      complete: 0,
      downloaded: 0,
      incomplete: 2,
    });
  } finally {
    await tracker.stop();
  }
  // The snapshot holds both peers; the start after it must not die on them.
  ({ tracker, base } = await startTracker({ dataDir }));
  try {
    assert.deepEqual(await scrape(base, ih), {
      infoHash: ih,
      complete: 0,
      downloaded: 0,
      incomplete: 2,
    });
  } finally {
    await tracker.stop();
  }
  // And again: what the second start saved reads back as well.
  ({ tracker, base } = await startTracker({ dataDir }));
  await tracker.stop();
});

test("bad rows in the database are logged and skipped; the start goes on", async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), "shoal-counters-"));
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));
  const good = makeTorrent("good.bin");
  const ih = hash20(2);
  // A tracker makes the schema and a good torrent, then stops.
  let { tracker, base } = await startTracker({ dataDir });
  assert.equal((await fetch(`${base}/torrents`, { method: "POST", body: good.bytes })).status, 201);
  await tracker.stop({ snapshot: false });

  // Rows such as an older version, a bug or a hand edit could leave behind.
  const db = new DatabaseSync(join(dataDir, DATABASE_FILE));
  const now = Date.now();
  const addr = Buffer.from([127, 0, 0, 1, 0x1a, 0xe1]);
  const insertPeer = db.prepare(
    "INSERT INTO peers (info_hash, peer_id, owner, addr4, addr6, left, seen) VALUES (?, ?, -1, ?, ?, ?, ?)",
  );
  insertPeer.run(ih, peerId(1), addr, Buffer.alloc(0), 5, now); // good
  insertPeer.run(ih, peerId(2), addr, Buffer.alloc(0), 2n ** 62n, now); // counter too large: clamped
  insertPeer.run(ih, peerId(3), addr, Buffer.alloc(0), "lots", now); // not a number: skipped
  insertPeer.run(ih, Buffer.from("short"), addr, Buffer.alloc(0), 5, now); // bad peer id: skipped
  insertPeer.run(ih, peerId(5), addr, Buffer.alloc(0), 5, 2n ** 62n); // bad time: skipped
  insertPeer.run(Buffer.alloc(3), peerId(6), addr, Buffer.alloc(0), 5, now); // bad info hash
  const insertTorrent = db.prepare(
    `INSERT INTO torrents (info_hash, name, size, files, pieces, piece_length, private, added, torrent)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  insertTorrent.run(hash20(3), "huge", 2n ** 62n, 1, 1, 16384, 0, now, Buffer.from("x"));
  insertTorrent.run(Buffer.alloc(4), "short hash", 1, 1, 1, 16384, 0, now, Buffer.from("x"));
  db.prepare("INSERT INTO completed (info_hash, count) VALUES (?, ?)").run(ih, 2n ** 62n);
  db.close();

  const logger = recordingLogger();
  ({ tracker, base } = await startTracker({ dataDir }, { logger }));
  try {
    assert.deepEqual(await scrape(base, ih), {
      infoHash: ih,
      complete: 0,
      downloaded: Number.MAX_SAFE_INTEGER,
      incomplete: 2,
    });
    const list = (await (await fetch(`${base}/torrents`)).json()) as {
      infoHash: string;
      size: number;
    }[];
    assert.deepEqual(
      list.map((x) => x.infoHash).sort(),
      [good.infoHash.toString("hex"), hash20(3).toString("hex")].sort(),
    );
    assert.equal(
      list.find((x) => x.infoHash === hash20(3).toString("hex"))?.size,
      Number.MAX_SAFE_INTEGER,
    );
    const warnings = logger.lines.filter((l) => l.level === "warn").map((l) => l.msg);
    assert.ok(
      warnings.some((m) => /skipped/.test(m) && /peer/.test(m)),
      `a warning names the skipped peer rows: ${JSON.stringify(warnings)}`,
    );
    assert.ok(
      warnings.some((m) => /skipped/.test(m) && /torrent/.test(m)),
      `a warning names the skipped torrent rows: ${JSON.stringify(warnings)}`,
    );
  } finally {
    await tracker.stop();
  }
});
