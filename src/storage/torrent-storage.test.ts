import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { constants, existsSync, readdirSync, readFileSync, readlinkSync, statSync } from "node:fs";
import { mkdtemp, readFile, rm, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { encode } from "../bencode/index.ts";
import { parseMetainfo } from "../metainfo/index.ts";
import { sha1 } from "../util/index.ts";
import { loadResumeNow, saveResume } from "./resume.ts";
import { TorrentStorage } from "./torrent-storage.ts";

const PIECE = 16384;
const dirs: string[] = [];
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), "shoal-storage-"));
  dirs.push(d);
  return d;
}

/** A multi-file torrent over random data: files of the given sizes, a pad file after the first. */
function makeTorrent(sizes: number[], pad = 0, PIECE = 16384) {
  const files = sizes.map((length, i) => ({ length, path: [`f${i}.bin`] }));
  if (pad > 0) files.splice(1, 0, { length: pad, path: [".pad", String(pad)], attr: "p" } as never);
  const data = Buffer.concat(
    files.map((f) =>
      (f as { attr?: string }).attr ? Buffer.alloc(f.length) : randomBytes(f.length),
    ),
  );
  const pieces: Buffer[] = [];
  for (let o = 0; o < data.length; o += PIECE) pieces.push(sha1(data.subarray(o, o + PIECE)));
  const meta = parseMetainfo(
    encode({
      info: { name: "t", "piece length": PIECE, files, pieces: Buffer.concat(pieces) },
    } as never),
  );
  const piece = (i: number) => data.subarray(i * PIECE, (i + 1) * PIECE);
  return { meta, data, piece };
}

/** How this process has `path` open: for each descriptor, whether with O_DIRECT (Linux). */
function openModes(path: string): boolean[] {
  const modes: boolean[] = [];
  for (const fd of readdirSync("/proc/self/fd")) {
    let target: string;
    try {
      target = readlinkSync(`/proc/self/fd/${fd}`);
    } catch {
      continue; // closed meanwhile (readdir's own descriptor)
    }
    if (target !== path) continue;
    const flags = /^flags:\s+([0-7]+)/m.exec(readFileSync(`/proc/self/fdinfo/${fd}`, "utf8"));
    modes.push((Number.parseInt(flags![1]!, 8) & constants.O_DIRECT) !== 0);
  }
  return modes;
}

describe("TorrentStorage", () => {
  test("verified pieces land in the right files; bad pieces are refused", async () => {
    const dir = await tempDir();
    const { meta, data, piece } = makeTorrent([10000, 30000, 5], 6384);
    const storage = await TorrentStorage.open(meta, dir);
    assert.equal(storage.openedFrom, "empty");
    const bad = Buffer.from(piece(1));
    bad[0]! ^= 1;
    assert.equal(await storage.writePiece(1, bad), false);
    assert.equal(storage.have.has(1), false);
    for (const i of [2, 0, 1])
      assert.equal(await storage.writePiece(i, Buffer.from(piece(i))), true);
    assert.equal(storage.have.isComplete(), true);
    const { data: block, release } = await storage.readBlock(1, 100, 200);
    release();
    assert.ok(block.equals(data.subarray(PIECE + 100, PIECE + 300)));
    await storage.close();
    assert.ok((await readFile(join(dir, "t", "f0.bin"))).equals(data.subarray(0, 10000)));
    assert.ok((await readFile(join(dir, "t", "f1.bin"))).equals(data.subarray(16384, 46384)));
    assert.ok((await readFile(join(dir, "t", "f2.bin"))).equals(data.subarray(46384)));
    assert.equal(existsSync(join(dir, "t", ".pad")), false, "padding files are never written");
  });

  test("zero-length files: made with the first piece, and again when the data is reopened", async () => {
    const dir = await tempDir();
    const resumePath = join(dir, "resume.json");
    const files = [
      { length: 20000, path: ["a.bin"] },
      { length: 0, path: ["empty.txt"] },
      { length: 0, path: ["sub", "deeper", "empty"] },
      { length: 12000, path: ["b.bin"] },
    ];
    const data = randomBytes(32000);
    const pieces = [sha1(data.subarray(0, PIECE)), sha1(data.subarray(PIECE))];
    const meta = parseMetainfo(
      encode({
        info: { name: "t", "piece length": PIECE, files, pieces: Buffer.concat(pieces) },
      } as never),
    );
    const empties = [join(dir, "t", "empty.txt"), join(dir, "t", "sub", "deeper", "empty")];
    const s1 = await TorrentStorage.open(meta, dir, { resumePath });
    assert.deepEqual(empties.map(existsSync), [false, false], "nothing made in an empty folder");
    await s1.writePiece(1, Buffer.from(data.subarray(PIECE)));
    for (const e of empties) assert.equal(statSync(e).size, 0, e);
    await s1.close();

    // A download made before they were created (or a user who deleted one): resumed, made again.
    await rm(empties[0]!);
    const s2 = await TorrentStorage.open(meta, dir, { resumePath });
    assert.equal(s2.have.toString(), "01");
    assert.equal(existsSync(empties[0]!), true);
    await s2.writePiece(0, Buffer.from(data.subarray(0, PIECE)));
    await s2.close();
    const s3 = await TorrentStorage.open(meta, dir, { resumePath });
    assert.equal(s3.openedFrom, "resume", "the new files are in the resume data");
    assert.equal(s3.have.isComplete(), true);
    await s3.close();
  });

  test("unverified pieces are never served", async () => {
    const { meta } = makeTorrent([40000]);
    const storage = await TorrentStorage.open(meta, await tempDir());
    await assert.rejects(storage.readBlock(0, 0, 16384), { code: "bad_range" });
    await storage.close();
  });

  test("resume data is trusted while files are unchanged, else the data is rechecked", async () => {
    const dir = await tempDir();
    const resumePath = join(dir, "resume.json");
    const { meta, piece } = makeTorrent([50000]);
    const s1 = await TorrentStorage.open(meta, dir, { resumePath });
    await s1.writePiece(0, Buffer.from(piece(0)));
    await s1.writePiece(3, Buffer.from(piece(3)));
    await s1.close();

    const s2 = await TorrentStorage.open(meta, dir, { resumePath });
    assert.equal(s2.openedFrom, "resume");
    assert.equal(s2.have.toString(), "1001");
    await s2.files.close();

    // Damage piece 3 on disk behind shoal's back.
    const file = join(dir, "t", "f0.bin");
    const bytes = await readFile(file);
    bytes[3 * PIECE] = bytes[3 * PIECE]! ^ 0xff;
    await writeFile(file, bytes);
    await utimes(file, new Date(), new Date(Date.now() + 5000));
    const s3 = await TorrentStorage.open(meta, dir, { resumePath });
    assert.equal(s3.openedFrom, "recheck");
    assert.equal(s3.have.toString(), "1000");
    await s3.close();
  });

  test("a session's resume folder (named with a trailing '/'): trusted while unchanged, else rechecked", async () => {
    const dir = await tempDir();
    const resumeDir = `${join(dir, "resume")}/`;
    const { meta, piece } = makeTorrent([50000]);
    const s1 = await TorrentStorage.open(meta, dir, { resumeDir });
    await s1.writePiece(1, Buffer.from(piece(1)));
    await s1.close();
    assert.ok(existsSync(join(dir, "resume", `${meta.infoHashHex}.json`)));

    const s2 = await TorrentStorage.open(meta, dir, { resumeDir });
    assert.equal(s2.openedFrom, "resume");
    assert.equal(s2.have.toString(), "0100");
    await s2.files.close();

    const file = join(dir, "t", "f0.bin");
    await utimes(file, new Date(), new Date(Date.now() + 5000));
    const s3 = await TorrentStorage.open(meta, dir, { resumeDir });
    assert.equal(s3.openedFrom, "recheck");
    assert.equal(s3.have.toString(), "0100");
    await s3.close();
  });

  test("resume data is written again only when something changed since it was loaded or saved", async () => {
    const dir = await tempDir();
    const resumePath = join(dir, "resume.json");
    const { meta, piece } = makeTorrent([50000]);
    const s1 = await TorrentStorage.open(meta, dir, { resumePath });
    await s1.writePiece(0, Buffer.from(piece(0)));
    await s1.close();
    // Dated in the past: a write would make it now.
    const past = new Date("2020-01-01T00:00:00Z");
    await utimes(resumePath, past, past);
    const written = statSync(resumePath).mtimeMs;

    // A seed's pause and close: nothing verified, nothing to write.
    const s2 = await TorrentStorage.open(meta, dir, { resumePath });
    assert.equal(s2.openedFrom, "resume");
    await s2.saveResume();
    await s2.close();
    assert.equal(statSync(resumePath).mtimeMs, written, "unchanged resume data is left as it is");

    // A piece verified: written, and it holds the piece on the next open.
    const s3 = await TorrentStorage.open(meta, dir, { resumePath });
    await s3.writePiece(1, Buffer.from(piece(1)));
    await s3.close();
    assert.notEqual(statSync(resumePath).mtimeMs, written);
    const s4 = await TorrentStorage.open(meta, dir, { resumePath });
    assert.equal(s4.openedFrom, "resume");
    assert.equal(s4.have.toString(), "1100");
    await s4.close();
  });

  test("after a crash without resume data, a recheck keeps every verified piece", async () => {
    const dir = await tempDir();
    const resumePath = join(dir, "resume.json");
    const { meta, piece } = makeTorrent([16384 * 3, 100]);
    const s1 = await TorrentStorage.open(meta, dir, { resumePath });
    await s1.writePiece(1, Buffer.from(piece(1)));
    await s1.writePiece(3, Buffer.from(piece(3)));
    await s1.files.close(); // "killed": no resume data written
    const progress: number[] = [];
    const s2 = await TorrentStorage.open(meta, dir, {
      resumePath,
      onCheckProgress: (n) => progress.push(n),
    });
    assert.equal(s2.openedFrom, "recheck");
    assert.equal(s2.have.toString(), "0101");
    assert.deepEqual(progress, [1, 2, 3, 4]);
    await s2.close();
  });

  test("--verify ignores resume data", async () => {
    const dir = await tempDir();
    const resumePath = join(dir, "resume.json");
    const { meta, piece } = makeTorrent([20000]);
    const s1 = await TorrentStorage.open(meta, dir, { resumePath });
    await s1.writePiece(0, Buffer.from(piece(0)));
    await s1.close();
    const s2 = await TorrentStorage.open(meta, dir, { resumePath, verify: true });
    assert.equal(s2.openedFrom, "recheck");
    assert.equal(s2.have.toString(), "10");
    await s2.close();
  });

  test("direct I/O: aligned runs go straight to the device, the rest through the page cache", async (t) => {
    if (process.platform !== "linux" || !constants.O_DIRECT) {
      t.skip("O_DIRECT and /proc are Linux's");
      return;
    }
    // 64 KiB pieces: f0 is 3 whole pieces (direct), f1 starts mid-piece and
    // ends in a short last piece (buffered runs), as do the pad file's neighbours.
    const P = 65536;
    const dir = await tempDir();
    const { meta, data } = makeTorrent([3 * P, 100_000, 12_345], 4096, P);
    const storage = await TorrentStorage.open(meta, dir);
    for (let i = meta.pieceCount - 1; i >= 0; i--) {
      const piece = Buffer.from(data.subarray(i * P, (i + 1) * P));
      assert.equal(await storage.writePiece(i, piece), true, `piece ${i}`);
    }
    const f0 = join(dir, "t", "f0.bin");
    assert.ok(openModes(f0).includes(true), "f0 has an O_DIRECT descriptor");
    await storage.close();
    assert.deepEqual(openModes(f0), [], "closed");
    const offsets = [0, 3 * P + 4096, 3 * P + 4096 + 100_000];
    for (const [i, size] of [3 * P, 100_000, 12_345].entries()) {
      const want = data.subarray(offsets[i]!, offsets[i]! + size);
      assert.ok((await readFile(join(dir, "t", `f${i}.bin`))).equals(want), `f${i}.bin`);
    }

    const plainDir = await tempDir();
    const plain = await TorrentStorage.open(meta, plainDir, { directIo: false });
    assert.equal(await plain.writePiece(0, Buffer.from(data.subarray(0, P))), true);
    assert.deepEqual(openModes(join(plainDir, "t", "f0.bin")), [false], "directIo: false");
    await plain.close();
  });
});

test("resume data round trip, small and larger than one read (a torrent of many files)", async () => {
  const dir = await tempDir();
  for (const count of [1, 3000]) {
    const path = join(dir, `r${count}.json`);
    const files = Array.from({ length: count }, (_, i) =>
      i % 7 === 3 ? undefined : { size: i * 1000, mtimeMs: 1_796_626_055_744 + i },
    );
    const data = {
      infoHash: Buffer.alloc(20, 0xab),
      pieces: Buffer.from([0xf0, 0x0f]),
      files,
    };
    await saveResume(path, data);
    const loaded = loadResumeNow(path);
    assert.ok(loaded);
    assert.deepEqual(loaded.infoHash, data.infoHash);
    assert.deepEqual(loaded.pieces, data.pieces);
    assert.deepEqual(loaded.files, files);
  }
});

test("missing, damaged or foreign resume data is none (a recheck), never an error", async () => {
  const dir = await tempDir();
  assert.equal(loadResumeNow(join(dir, "absent.json")), undefined);
  const bad = join(dir, "bad.json");
  await writeFile(bad, '{"version":1,"infoHash":"ab","pie');
  assert.equal(loadResumeNow(bad), undefined);
  await writeFile(bad, '{"version":2,"infoHash":"ab","pieces":"","files":[]}');
  assert.equal(loadResumeNow(bad), undefined);
  assert.equal(loadResumeNow(dir), undefined); // a folder, not a file
});
