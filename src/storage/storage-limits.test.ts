/**
 * Issue 13, items 4 and 5: what the system refuses. A path longer than the
 * system takes is refused when the data is opened; a write that cannot
 * succeed fails once, marked permanent, instead of being retried forever;
 * a torrent of more files than the pool holds is written with a bounded
 * number of descriptors.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { existsSync, readdirSync, readlinkSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { encode } from "../bencode/index.ts";
import { parseMetainfo } from "../metainfo/index.ts";
import { sha1 } from "../util/index.ts";
import { filePoolSizes } from "./descriptor-budget.ts";
import { isPermanentStorageError, StorageError } from "./errors.ts";
import { TorrentStorage } from "./torrent-storage.ts";

const dirs: string[] = [];
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), "shoal-limits-"));
  dirs.push(d);
  return d;
}

/** A torrent named `name` over files at `paths` (each `size` bytes of random data). */
function torrent(name: string, paths: string[][], size: number, pieceLength = 16384) {
  const data = randomBytes(paths.length * size);
  const pieces: Buffer[] = [];
  for (let o = 0; o < data.length; o += pieceLength) {
    pieces.push(sha1(data.subarray(o, o + pieceLength)));
  }
  const files = paths.map((path) => ({ length: size, path }));
  const meta = parseMetainfo(
    encode({
      info: { name, "piece length": pieceLength, files, pieces: Buffer.concat(pieces) },
    } as never),
  );
  const piece = (i: number) => Buffer.from(data.subarray(i * pieceLength, (i + 1) * pieceLength));
  return { meta, data, piece };
}

/** Descriptors this process has open on files under `dir` (Linux). */
function descriptorsUnder(dir: string): number {
  let n = 0;
  for (const fd of readdirSync("/proc/self/fd")) {
    try {
      if (readlinkSync(`/proc/self/fd/${fd}`).startsWith(`${dir}/`)) n++;
    } catch {
      // closed meanwhile
    }
  }
  return n;
}

test("a path the system cannot take is refused when the data is opened, in one line", async () => {
  const dir = await tempDir();
  // 15 names of 250 bytes: 3.8 KB, which fits on its own (the torrent parses)…
  const long = Array.from({ length: 15 }, (_, i) => `${i}`.padEnd(250, "n"));
  const { meta } = torrent("t", [long, ["short.bin"]], 1000);
  // …but not under a download folder 400 bytes deep.
  const deep = join(dir, "d".repeat(200), "e".repeat(200));
  const err = await TorrentStorage.open(meta, deep).then(
    () => assert.fail("opened"),
    (e: unknown) => e,
  );
  assert.ok(err instanceof StorageError);
  assert.equal(err.code, "path_too_long");
  assert.ok(isPermanentStorageError(err));
  assert.doesNotMatch(err.message, /\n/);
  assert.ok(err.message.length < 400, err.message);
  assert.match(err.message, /would have a path of \d{4} bytes there.*shorter path/);
  assert.equal(existsSync(join(dir, "d".repeat(200))), false, "nothing was created");
  // In a short folder it opens.
  const storage = await TorrentStorage.open(meta, dir);
  await storage.close();
});

test("a write that cannot succeed fails at once as permanent, never retried", async () => {
  const dir = await tempDir();
  const { meta, piece } = torrent("t", [["sub", "a.bin"]], 16384);
  // A file where the torrent's folder must go: EEXIST or ENOTDIR on every try.
  await mkdir(join(dir, "t"));
  await writeFile(join(dir, "t", "sub"), "in the way");
  const storage = await TorrentStorage.open(meta, dir);
  const started = performance.now();
  const err = await storage.writePiece(0, piece(0)).then(
    () => assert.fail("written"),
    (e: unknown) => e,
  );
  assert.ok(isPermanentStorageError(err), String(err));
  // mkdir says EEXIST for a file in the way, open() ENOTDIR.
  assert.match(err.message, /cannot write '.*a\.bin': (EEXIST|ENOTDIR) \(a file is in the way\)/);
  // Retried, it would say so ("still failing after 5 tries") and take 3.5 s of pauses.
  assert.doesNotMatch(err.message, /still failing/, "not retried");
  assert.ok(performance.now() - started < 3000, "not retried");
  assert.equal(storage.have.has(0), false);
  await storage.close();
});

test("more files than the pool holds: written with a bounded number of descriptors", async (t) => {
  if (process.platform !== "linux") {
    t.skip("counts descriptors in /proc");
    return;
  }
  const dir = await tempDir();
  const { writer, reader } = filePoolSizes();
  const count = 2 * writer + 50;
  const paths = Array.from({ length: count }, (_, i) => [`d${i % 7}`, `f${i}.bin`]);
  // 1000-byte files under 16 KiB pieces: each piece spans 17 files.
  const { meta, data, piece } = torrent("many", paths, 1000);
  const storage = await TorrentStorage.open(meta, dir, { resumePath: join(dir, "resume.json") });
  let most = 0;
  const writes: Promise<boolean>[] = [];
  for (let i = 0; i < meta.pieceCount; i++) {
    writes.push(storage.writePiece(i, piece(i)));
    if (i % 16 === 15) {
      assert.deepEqual(await Promise.all(writes.splice(0)), Array(16).fill(true));
      most = Math.max(most, descriptorsUnder(join(dir, "many")));
    }
  }
  assert.ok((await Promise.all(writes)).every(Boolean));
  assert.equal(storage.have.isComplete(), true);
  // Served and synced through the pools too.
  for (let i = 0; i < meta.pieceCount; i += 3) (await storage.readBlock(i, 0, 100)).release();
  await storage.saveResume();
  most = Math.max(most, descriptorsUnder(join(dir, "many")));
  assert.ok(most <= 2 * writer + reader, `${most} descriptors open, pools of ${writer}+${reader}`);
  assert.ok(most > 0);
  await storage.close();
  assert.equal(descriptorsUnder(join(dir, "many")), 0, "all closed");
  for (const i of [0, 1, count - 1]) {
    const want = data.subarray(i * 1000, (i + 1) * 1000);
    assert.ok((await readFile(join(dir, "many", ...paths[i]!))).equals(want), `file ${i}`);
  }
});
