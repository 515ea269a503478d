/**
 * A magnet link's trackers outlive the metadata's arrival: a BEP 9 info
 * dictionary names no tracker, and the torrent took the metadata's empty
 * list over the link's `tr` once it had it, so after a pause (or with a
 * .torrent naming other trackers) it announced to none of the link's.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, test } from "node:test";
import { type Encodable, encode } from "../bencode/index.ts";
import { type Metainfo, parseMetainfo } from "../metainfo/index.ts";
import { MemoryStorage } from "../storage/index.ts";
import { buildAnnounceReply } from "../tracker-proto/index.ts";
import { asPeerId, sha1 } from "../util/index.ts";
import { Torrent } from "./torrent.ts";
import { unionTiers } from "./torrent-trackers.ts";

/** Announces by path ("/link", "/meta"). */
const announces = new Map<string, number>();
const tracker = createServer((req, res) => {
  const path = (req.url ?? "/").split("?")[0]!;
  announces.set(path, (announces.get(path) ?? 0) + 1);
  res.end(buildAnnounceReply({ interval: 1800 }));
});
let base = "";
const open: Torrent[] = [];
before(async () => {
  await new Promise<void>((resolve) => tracker.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(tracker.address() as AddressInfo).port}`;
});
after(async () => {
  await Promise.all(open.map((t) => t.close()));
  await new Promise<void>((resolve) => tracker.close(() => resolve()));
});

function metainfo(trackers?: string): Metainfo {
  const content = randomBytes(40_000);
  const info = { length: content.length, name: "m.bin", "piece length": 32768 };
  const pieces = Buffer.concat([sha1(content.subarray(0, 32768)), sha1(content.subarray(32768))]);
  const root: { [key: string]: Encodable } = { info: { ...info, pieces } };
  if (trackers) root.announce = trackers;
  return parseMetainfo(encode(root));
}

function magnetTorrent(meta: Metainfo): Torrent {
  const t = new Torrent({
    infoHash: meta.infoHash,
    announceList: [[`${base}/link`]],
    downloadDir: "/nonexistent",
    peerId: asPeerId(Buffer.from("-SH0100-magnettrack1")),
    listenPort: 6881,
    dial: () => Promise.reject(new Error("no peers here")),
    openStore: (m) => MemoryStorage.open(m),
  });
  open.push(t);
  return t;
}

async function until(what: () => boolean): Promise<void> {
  for (let i = 0; i < 250 && !what(); i++) await new Promise((r) => setTimeout(r, 20));
  assert.ok(what());
}

test("the link's trackers are announced to after the metadata arrives, and after a pause", async () => {
  const meta = metainfo();
  assert.deepEqual(meta.announceList, [], "a BEP 9 info dictionary names no tracker");
  const t = magnetTorrent(meta);
  t.start();
  await until(() => announces.get("/link") === 1);
  await t.setMetadata(meta);
  await t.pause();
  t.start();
  await until(() => (announces.get("/link") ?? 0) >= 3);
  assert.deepEqual(
    t.stats().trackers.map((s) => s.url),
    [`${base}/link`],
  );
});

test("metadata naming trackers of its own: both the metadata's and the link's", async () => {
  const meta = metainfo(`${base}/meta`);
  const t = magnetTorrent(meta);
  await t.setMetadata(meta);
  t.start();
  await until(() => t.stats().trackers.length === 2);
  assert.deepEqual(
    t
      .stats()
      .trackers.map((s) => s.url)
      .sort(),
    [`${base}/link`, `${base}/meta`],
  );
});

test("unionTiers keeps the first list's tiers, then the second's new URLs", () => {
  assert.deepEqual(unionTiers([["a", "b"], ["c"]], [["b"], ["d", "a"]]), [
    ["a", "b"],
    ["c"],
    ["d"],
  ]);
  assert.deepEqual(unionTiers([], [["x"]]), [["x"]]);
});
