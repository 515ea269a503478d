import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { encode } from "../bencode/index.ts";
import { parseMetainfo } from "../metainfo/index.ts";
import { sha1 } from "../util/index.ts";
import { partFileName, TorrentStorage } from "./torrent-storage.ts";

const PIECE = 16384;
const dirs: string[] = [];
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), "shoal-part-"));
  dirs.push(d);
  return d;
}

/**
 * Three files over five pieces: a (20000 bytes: piece 0 and the start of 1),
 * b (30000: the rest of 1, 2, the start of 3), c (25000: the rest of 3, 4).
 * Unwanting b leaves pieces 1 and 3 shared with wanted files, 2 b's alone.
 */
function threeFiles() {
  const sizes = [20000, 30000, 25000];
  const files = sizes.map((length, i) => ({ length, path: ["d", `f${i}.bin`] }));
  const data = randomBytes(sizes.reduce((a, b) => a + b));
  const pieces: Buffer[] = [];
  for (let o = 0; o < data.length; o += PIECE) pieces.push(sha1(data.subarray(o, o + PIECE)));
  const meta = parseMetainfo(
    encode({
      info: { name: "t", "piece length": PIECE, files, pieces: Buffer.concat(pieces) },
    } as never),
  );
  const piece = (i: number) => Buffer.from(data.subarray(i * PIECE, (i + 1) * PIECE));
  return { meta, data, piece };
}

test("an unwanted file is never created; its bytes in shared pieces wait in the part file", async () => {
  const dir = await tempDir();
  const resumePath = join(dir, "resume.json");
  const { meta, data, piece } = threeFiles();
  const s = await TorrentStorage.open(meta, dir, { resumePath, unwantedFiles: [1] });
  // What a selective download fetches: every piece touching a wanted file.
  for (const i of [0, 1, 3, 4]) assert.equal(await s.writePiece(i, piece(i)), true);
  const b = join(dir, "t", "d", "f1.bin");
  assert.equal(existsSync(b), false, "the unwanted file is not created");
  const partPath = join(dir, partFileName(meta.infoHashHex));
  assert.equal(existsSync(partPath), true);
  // The wanted files are whole and right.
  assert.deepEqual(readFileSync(join(dir, "t", "d", "f0.bin")), data.subarray(0, 20000));
  assert.deepEqual(readFileSync(join(dir, "t", "d", "f2.bin")), data.subarray(50000));
  // Shared pieces are served whole, part of them read from the part file.
  const lease = await s.readBlock(3, 0, PIECE);
  assert.deepEqual(lease.data, piece(3));
  lease.release();
  await s.close();

  // Reopened from resume data: trusted, the part file included.
  const again = await TorrentStorage.open(meta, dir, { resumePath, unwantedFiles: [1] });
  assert.equal(again.openedFrom, "resume");
  assert.equal(again.have.toString(), "11011");
  assert.equal(existsSync(b), false);

  // Wanted again: the edge bytes move into the file; the part file goes.
  await again.setFileWanted([true, true, true]);
  assert.equal(existsSync(partPath), false);
  assert.equal(await again.writePiece(2, piece(2)), true);
  assert.deepEqual(readFileSync(b), data.subarray(20000, 50000));
  await again.close();

  // A recheck agrees: every piece is on disk.
  const checked = await TorrentStorage.open(meta, dir, { verify: true });
  assert.equal(checked.have.toString(), "11111");
  await checked.close();
});

test("a recheck without resume data reads shared pieces back from the part file", async () => {
  const dir = await tempDir();
  const { meta, piece } = threeFiles();
  const s = await TorrentStorage.open(meta, dir, { unwantedFiles: [1] });
  for (const i of [0, 1, 3, 4]) await s.writePiece(i, piece(i));
  await s.close();
  const again = await TorrentStorage.open(meta, dir, { unwantedFiles: [1] });
  assert.equal(again.openedFrom, "recheck");
  assert.equal(again.have.toString(), "11011");
  await again.close();
});

test("a file unwanted once it has data keeps it in place", async () => {
  const dir = await tempDir();
  const { meta, data, piece } = threeFiles();
  const s = await TorrentStorage.open(meta, dir, {});
  for (const i of [0, 1, 2]) await s.writePiece(i, piece(i));
  await s.setFileWanted([true, false, true]);
  await s.writePiece(3, piece(3));
  assert.equal(existsSync(join(dir, partFileName(meta.infoHashHex))), false);
  assert.deepEqual(readFileSync(join(dir, "t", "d", "f1.bin")), data.subarray(20000, 50000));
  await s.close();
});

test("unwanted then wanted before anything is written: nothing kept aside", async () => {
  const dir = await tempDir();
  const { meta, piece } = threeFiles();
  const s = await TorrentStorage.open(meta, dir, { unwantedFiles: [0, 1] });
  await s.writePiece(4, piece(4));
  await s.setFileWanted([true, true, true]);
  for (const i of [0, 1, 2, 3]) await s.writePiece(i, piece(i));
  assert.equal(existsSync(join(dir, partFileName(meta.infoHashHex))), false);
  await s.close();
  const checked = await TorrentStorage.open(meta, dir, { verify: true });
  assert.equal(checked.have.toString(), "11111");
  await checked.close();
});
