import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type Metainfo, parseMetainfo } from "../metainfo/index.ts";
import { randomBytesFrom, seededRandom, sha1 } from "../util/index.ts";
import { StorageError } from "./errors.ts";
import { MemoryStorage, PieceBank } from "./memory-storage.ts";
import type { OpenPieceStore } from "./piece-store.ts";
import { TorrentStorage } from "./torrent-storage.ts";

/** A single-file torrent over `content`, bencoded by hand (keys in order). */
function metaFor(content: Buffer, pieceLength: number): Metainfo {
  const hashes: Buffer[] = [];
  for (let at = 0; at < content.length; at += pieceLength) {
    hashes.push(sha1(content.subarray(at, at + pieceLength)));
  }
  const pieces = Buffer.concat(hashes);
  return parseMetainfo(
    Buffer.concat([
      Buffer.from(
        `d4:infod6:lengthi${content.length}e4:name8:data.bin12:piece lengthi${pieceLength}e6:pieces${pieces.length}:`,
      ),
      pieces,
      Buffer.from("ee"),
    ]),
  );
}

const content = randomBytesFrom(seededRandom(1))(40_000);
const meta = metaFor(content, 16_384);

describe("MemoryStorage", () => {
  it("starts complete from content it verifies, and serves blocks of it", async () => {
    const store = await MemoryStorage.open(meta, { content });
    assert.equal(store.have.count(), 3);
    const block = await store.readBlock(2, 100, 50);
    assert.ok(block.data.equals(content.subarray(2 * 16_384 + 100, 2 * 16_384 + 150)));
    block.release();
  });

  it("keeps a piece whose hash matches and refuses one whose hash does not", async () => {
    const store = await MemoryStorage.open(meta);
    assert.equal(store.have.count(), 0);
    const good = store.acquirePiece(0);
    content.copy(good, 0, 0, 16_384);
    assert.equal(await store.writePiece(0, good), true);
    const bad = store.acquirePiece(1);
    bad.fill(0);
    assert.equal(await store.writePiece(1, bad), false);
    assert.deepEqual([...store.have.indices()], [0]);
    await assert.rejects(store.readBlock(1, 0, 10), StorageError);
    await assert.rejects(
      store.writePiece(2, Buffer.alloc(10)),
      StorageError,
      "a piece of the wrong size",
    );
    const last = store.acquirePiece(2);
    assert.equal(last.length, 40_000 - 2 * 16_384, "the last piece is shorter");
  });

  it("completes calls in the order they were made", async () => {
    const store = await MemoryStorage.open(meta);
    const order: number[] = [];
    const writes = [2, 0, 1].map((i) => {
      const data = store.acquirePiece(i);
      content.copy(data, 0, i * 16_384, i * 16_384 + data.length);
      return store.writePiece(i, data).then(() => order.push(i));
    });
    await Promise.all(writes);
    assert.deepEqual(order, [2, 0, 1]);
  });

  it("shares verified pieces through a bank: one buffer per piece for many stores", async () => {
    const bank = new PieceBank();
    const seed = await MemoryStorage.open(meta, { content, bank });
    const leech = await MemoryStorage.open(meta, { bank });
    const data = leech.acquirePiece(1);
    content.copy(data, 0, 16_384, 2 * 16_384);
    assert.equal(await leech.writePiece(1, data), true);
    assert.equal(bank.bytes, content.length, "the leecher's copy was not kept twice");
    const a = await seed.readBlock(1, 0, 16_384);
    const b = await leech.readBlock(1, 0, 16_384);
    assert.equal(a.data.buffer, b.data.buffer);
  });

  it("rechecks what it holds, saves resume data in memory, and refuses work once closed", async () => {
    const store = await MemoryStorage.open(meta, { content });
    store.have.clear(1);
    assert.equal((await store.recheck()).count(), 3);
    await store.saveResume();
    await store.close();
    assert.equal(store.saves, 2);
    await assert.rejects(
      store.readBlock(0, 0, 10),
      (e: unknown) => e instanceof StorageError && e.code === "closed",
    );
  });

  it("has the surface of the file store: both open as an OpenPieceStore", () => {
    const files: OpenPieceStore = (m, dir, opts) => TorrentStorage.open(m, dir, opts);
    const memory: OpenPieceStore = (m) => MemoryStorage.open(m);
    assert.equal(typeof files, "function");
    assert.equal(typeof memory, "function");
  });
});
