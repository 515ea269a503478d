import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { encode } from "../bencode/index.ts";
import { MetainfoError, parseMetainfo } from "../metainfo/index.ts";
import { TorrentFileStore } from "./torrent-files.ts";

const dir = mkdtempSync(join(tmpdir(), "shoal-torrent-files-"));
after(() => rmSync(dir, { recursive: true, force: true }));

/** A .torrent of `pieces` pieces of 16 KiB (its piece hashes make its size). */
function torrentBytes(name: string, pieces: number): Buffer {
  const hashes = Buffer.alloc(20 * pieces);
  for (let i = 0; i < hashes.length; i++) hashes[i] = (i * 31 + name.length) & 0xff;
  const info = { length: pieces * 16384, name, "piece length": 16384, pieces: hashes };
  return Buffer.from(encode({ announce: "http://127.0.0.1:6969/announce", info }));
}

test("a restore's read of .torrent copies: small and large ones parsed whole, a missing one undefined, a damaged one refused", async () => {
  const store = new TorrentFileStore(dir);
  const small = torrentBytes("small.bin", 3);
  const large = torrentBytes("large.bin", 4000); // 80 KB of hashes: past one read's 64 KiB
  const smallMeta = parseMetainfo(small);
  const largeMeta = parseMetainfo(large);
  await store.put(smallMeta.infoHashHex, small);
  await store.put(largeMeta.infoHashHex, large);
  // Read in turn into the same buffer: each keeps its own bytes.
  const a = store.readMetainfoNow(smallMeta.infoHashHex);
  const b = store.readMetainfoNow(largeMeta.infoHashHex);
  assert.ok(a && b);
  assert.equal(a.infoHashHex, smallMeta.infoHashHex);
  assert.deepEqual(a.infoBytes, smallMeta.infoBytes);
  assert.deepEqual(a.pieces, smallMeta.pieces);
  assert.equal(b.infoHashHex, largeMeta.infoHashHex);
  assert.deepEqual(b.pieces, largeMeta.pieces);
  assert.deepEqual(b.announceList, [["http://127.0.0.1:6969/announce"]]);
  assert.equal(store.readMetainfoNow("00".repeat(20)), undefined);
  await store.put("11".repeat(20), small.subarray(0, 40));
  assert.throws(() => store.readMetainfoNow("11".repeat(20)), MetainfoError);
});
