import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { decode, encode, isDict } from "../bencode/index.ts";
import { CREATED_BY, createTorrent } from "./create.ts";
import { MetainfoError } from "./errors.ts";
import { autoPieceLength } from "./geometry.ts";
import { hashPieces } from "./piece-hasher.ts";

const root = mkdtempSync(join(tmpdir(), "shoal-create-test-"));
after(() => rmSync(root, { recursive: true, force: true }));
let counter = 0;
function freshDir(): string {
  const dir = join(root, `case${counter++}`);
  mkdirSync(dir);
  return dir;
}

/** Piece hashes computed independently: sha1 of slices of the concatenated data. */
function expectedPieces(data: Buffer, pieceLength: number): Buffer {
  const out: Buffer[] = [];
  for (let at = 0; at < data.length; at += pieceLength) {
    out.push(
      createHash("sha1")
        .update(data.subarray(at, at + pieceLength))
        .digest(),
    );
  }
  return Buffer.concat(out);
}

function rejectsWith(code: string, pattern: RegExp) {
  return (err: unknown) => {
    assert.ok(err instanceof MetainfoError, `expected MetainfoError, got ${String(err)}`);
    assert.equal(err.code, code);
    assert.match(err.message, pattern);
    return true;
  };
}

describe("autoPieceLength", () => {
  test("picks the smallest power of two giving at most 2000 pieces, within 16 KiB..16 MiB", () => {
    const KiB = 1024;
    const MiB = 1024 * KiB;
    const GiB = 1024 * MiB;
    const table: [number, number][] = [
      [1, 16 * KiB],
      [1000 * 16 * KiB, 16 * KiB],
      [2000 * 16 * KiB, 16 * KiB],
      [2000 * 16 * KiB + 1, 32 * KiB],
      [100 * MiB, 64 * KiB],
      [700 * MiB, 512 * KiB],
      [1 * GiB, 1 * MiB],
      [4 * GiB, 4 * MiB],
      [16 * GiB, 16 * MiB],
      [1024 * GiB, 16 * MiB],
    ];
    for (const [total, expected] of table) {
      assert.equal(autoPieceLength(total), expected, `total ${total}`);
    }
  });

  test("lands in 1001..2000 pieces whenever no bound is hit", () => {
    for (let total = 40 * 1024 * 1024; total < 30 * 2 ** 30; total = Math.floor(total * 1.37)) {
      const length = autoPieceLength(total);
      const pieces = Math.ceil(total / length);
      assert.ok(pieces > 1000 && pieces <= 2000, `${total} → ${length} → ${pieces} pieces`);
      assert.equal(length & (length - 1), 0);
    }
  });
});

describe("createTorrent", () => {
  test("a file makes a single-file torrent whose pieces match an independent sha1", async () => {
    const dir = freshDir();
    const data = randomBytes(5 * 16384 + 1234);
    writeFileSync(join(dir, "song.flac"), data);
    const { torrent, metainfo } = await createTorrent(join(dir, "song.flac"), {
      pieceLength: 16384,
      trackers: [["http://127.0.0.1:6969/announce"]],
      creationDate: 1_700_000_000,
    });
    assert.equal(metainfo.name, "song.flac");
    assert.equal(metainfo.multiFile, false);
    assert.equal(metainfo.totalLength, data.length);
    assert.equal(metainfo.pieceLength, 16384);
    assert.equal(metainfo.pieceCount, 6);
    assert.deepEqual(metainfo.pieces, expectedPieces(data, 16384));
    assert.deepEqual(
      metainfo.files.map((f) => [f.path, f.length]),
      [[["song.flac"], data.length]],
    );
    assert.equal(metainfo.announce, "http://127.0.0.1:6969/announce");
    assert.equal(metainfo.createdBy, CREATED_BY);
    assert.equal(metainfo.creationDate, 1_700_000_000);
    assert.equal(metainfo.private, false);
    // Canonical bencode, exactly what was returned, and no announce-list for one URL.
    const doc = decode(torrent);
    assert.ok(isDict(doc));
    assert.deepEqual(encode(doc), torrent);
    assert.equal(doc.has("announce-list"), false);
    const info = doc.get("info");
    assert.ok(isDict(info));
    assert.deepEqual([...info.keys()], ["length", "name", "piece length", "pieces"]);
  });

  test("a folder makes a multi-file torrent in component-wise byte order, pieces spanning files", async () => {
    const dir = join(freshDir(), "album");
    mkdirSync(join(dir, "a", "deep", "er"), { recursive: true });
    mkdirSync(join(dir, "B"));
    const contents: Record<string, Buffer> = {
      "a.b": randomBytes(7000),
      "a/z": randomBytes(16384 * 2 + 17),
      "a/deep/er/x": randomBytes(1),
      "a/empty": Buffer.alloc(0),
      "B/é.txt": randomBytes(20000),
      ".hidden": randomBytes(300),
      Z: randomBytes(16383),
    };
    for (const [rel, bytes] of Object.entries(contents)) writeFileSync(join(dir, rel), bytes);
    // Byte order: '.' < 'B' < 'Z' < 'a' < 'a.b' ("a" is a prefix of "a.b", so folder a first).
    const order = [".hidden", "B/é.txt", "Z", "a/deep/er/x", "a/empty", "a/z", "a.b"];
    const { metainfo, skipped } = await createTorrent(dir, {
      pieceLength: 16384,
      creationDate: null,
    });
    assert.deepEqual(skipped, []);
    assert.equal(metainfo.multiFile, true);
    assert.equal(metainfo.name, "album");
    assert.deepEqual(
      metainfo.files.map((f) => f.path.join("/")),
      order.map((p) => `album/${p}`),
    );
    assert.deepEqual(
      metainfo.files.map((f) => f.length),
      order.map((p) => contents[p]!.length),
    );
    const all = Buffer.concat(order.map((p) => contents[p]!));
    assert.equal(metainfo.totalLength, all.length);
    assert.deepEqual(metainfo.pieces, expectedPieces(all, 16384));
    assert.equal(metainfo.creationDate, undefined);
  });

  test("trackers: tiers become announce-list, with duplicates and blanks dropped", async () => {
    const dir = freshDir();
    writeFileSync(join(dir, "f"), "hello");
    const { metainfo, torrent } = await createTorrent(join(dir, "f"), {
      trackers: [
        ["udp://127.0.0.1:1/a", " http://127.0.0.1:2/b "],
        ["", "udp://127.0.0.1:1/a"],
        ["https://127.0.0.1:3/c"],
      ],
      private: true,
      comment: "a comment",
      source: "SRC",
      webSeeds: ["http://127.0.0.1:8000/f", "http://127.0.0.1:8000/f"],
    });
    assert.equal(metainfo.announce, "udp://127.0.0.1:1/a");
    assert.deepEqual(metainfo.announceList, [
      ["udp://127.0.0.1:1/a", "http://127.0.0.1:2/b"],
      ["https://127.0.0.1:3/c"],
    ]);
    assert.equal(metainfo.private, true);
    assert.equal(metainfo.comment, "a comment");
    assert.equal(metainfo.source, "SRC");
    assert.deepEqual(metainfo.urlList, ["http://127.0.0.1:8000/f"]);
    const now = Date.now() / 1000;
    assert.ok(Math.abs((metainfo.creationDate ?? 0) - now) < 60);
    assert.match(torrent.toString("latin1"), /7:privatei1e/);
  });

  test("source and private change the info hash (they live in info)", async () => {
    const dir = freshDir();
    writeFileSync(join(dir, "f"), "same bytes");
    const plain = await createTorrent(join(dir, "f"), { creationDate: null });
    const again = await createTorrent(join(dir, "f"), { creationDate: 5 });
    const priv = await createTorrent(join(dir, "f"), { private: true });
    const sourced = await createTorrent(join(dir, "f"), { source: "x" });
    assert.equal(plain.metainfo.infoHashHex, again.metainfo.infoHashHex);
    assert.notEqual(plain.metainfo.infoHashHex, priv.metainfo.infoHashHex);
    assert.notEqual(plain.metainfo.infoHashHex, sourced.metainfo.infoHashHex);
  });

  test("reports progress up to the total", async () => {
    const dir = freshDir();
    writeFileSync(join(dir, "f"), randomBytes(100_000));
    const seen: [number, number][] = [];
    await createTorrent(join(dir, "f"), { onProgress: (d, t) => seen.push([d, t]) });
    assert.ok(seen.length > 0);
    assert.deepEqual(seen.at(-1), [100_000, 100_000]);
    for (let i = 1; i < seen.length; i++) assert.ok(seen[i]![0] >= seen[i - 1]![0]);
  });

  test("symlinks inside are followed; outside, broken, loops and FIFOs are skipped", async () => {
    const base = freshDir();
    writeFileSync(join(base, "outside"), "secret");
    const dir = join(base, "share");
    mkdirSync(join(dir, "sub"), { recursive: true });
    writeFileSync(join(dir, "sub", "real"), "data!");
    symlinkSync(join(dir, "sub", "real"), join(dir, "link-in"));
    symlinkSync(join(base, "outside"), join(dir, "link-out"));
    symlinkSync(join(base, "nowhere"), join(dir, "link-broken"));
    symlinkSync(dir, join(dir, "sub", "loop"));
    execFileSync("mkfifo", [join(dir, "fifo")]);
    const { metainfo, skipped } = await createTorrent(dir);
    assert.deepEqual(
      metainfo.files.map((f) => f.path.join("/")),
      ["share/link-in", "share/sub/real"],
    );
    assert.equal(skipped.length, 4);
    assert.match(skipped.join("\n"), /fifo: not a regular file/);
    assert.match(skipped.join("\n"), /link-out: a symlink leading outside/);
    assert.match(skipped.join("\n"), /link-broken: a broken symlink/);
    assert.match(skipped.join("\n"), /sub\/loop: a symlink to a folder that contains it/);
  });

  test("refuses an empty folder, zero bytes, unsafe and non-UTF-8 names", async () => {
    const empty = freshDir();
    mkdirSync(join(empty, "only-folders", "inside"), { recursive: true });
    await assert.rejects(
      createTorrent(join(empty, "only-folders")),
      rejectsWith("create_failed", /holds no files/),
    );
    const zeros = freshDir();
    writeFileSync(join(zeros, "a"), "");
    writeFileSync(join(zeros, "b"), "");
    await assert.rejects(
      createTorrent(zeros),
      rejectsWith("create_failed", /is empty \(0 bytes\)/),
    );
    await assert.rejects(
      createTorrent(join(zeros, "a")),
      rejectsWith("create_failed", /is empty \(0 bytes\)/),
    );
    const colon = freshDir();
    writeFileSync(join(colon, "C:evil"), "x");
    await assert.rejects(createTorrent(colon), rejectsWith("create_failed", /C:evil.*':'/));
    const backslash = freshDir();
    writeFileSync(join(backslash, "a\\b"), "x");
    await assert.rejects(createTorrent(backslash), rejectsWith("create_failed", /'\\'/));
    const latin1 = freshDir();
    writeFileSync(Buffer.concat([Buffer.from(`${latin1}/caf`), Buffer.from([0xe9])]), "x");
    await assert.rejects(createTorrent(latin1), rejectsWith("create_failed", /not valid UTF-8/));
  });

  test("refuses bad options before touching the disk", async () => {
    const missing = join(root, "does-not-exist");
    for (const pieceLength of [0, 1000, 8192, 16385, 3 * 16384, 128 * 1024 * 1024, 1.5]) {
      await assert.rejects(
        createTorrent(missing, { pieceLength }),
        rejectsWith("create_failed", /power of two from 16 KiB/),
      );
    }
    await assert.rejects(
      createTorrent(missing, { trackers: [["not a url"]] }),
      rejectsWith("create_failed", /tracker URL 'not a url' is not a valid URL/),
    );
    await assert.rejects(
      createTorrent(missing, { trackers: [["ftp://127.0.0.1/x"]] }),
      rejectsWith("create_failed", /must start with http:\/\//),
    );
    await assert.rejects(
      createTorrent(missing, { webSeeds: ["udp://127.0.0.1/x"] }),
      rejectsWith("create_failed", /web seed URL/),
    );
    await assert.rejects(
      createTorrent(missing, { creationDate: 1.5 }),
      rejectsWith("create_failed", /creation date/),
    );
    // With good options, the missing path is what fails: the system error for the CLI.
    await assert.rejects(createTorrent(missing), { code: "ENOENT" });
  });

  test("an aborted signal stops hashing", async () => {
    const dir = freshDir();
    writeFileSync(join(dir, "f"), randomBytes(1 << 20));
    const before = new AbortController();
    before.abort();
    await assert.rejects(createTorrent(join(dir, "f"), { signal: before.signal }), {
      name: "AbortError",
    });
  });
});

describe("hashPieces with worker threads", () => {
  test("workers and the main thread together give the same digests, across files", async () => {
    const dir = freshDir();
    const sizes = [3 * 1024 * 1024 + 5, 0, 17, 6 * 1024 * 1024 - 3, 1024 * 1024];
    const parts = sizes.map((n) => randomBytes(n));
    let offset = 0;
    const spans = parts.map((bytes, i) => {
      const path = join(dir, `f${i}`);
      writeFileSync(path, bytes);
      const span = { path, length: bytes.length, offset };
      offset += bytes.length;
      return span;
    });
    const all = Buffer.concat(parts);
    for (const pieceLength of [16384, 262144, 4 * 1024 * 1024]) {
      for (const mainThreadHashes of [true, false]) {
        const digests = await hashPieces(spans, pieceLength, all.length, {
          workers: 2,
          mainThreadHashes,
        });
        assert.deepEqual(digests, expectedPieces(all, pieceLength), `piece length ${pieceLength}`);
      }
    }
    // The main thread alone, too.
    const alone = await hashPieces(spans, 65536, all.length, { workers: 0 });
    assert.deepEqual(alone, expectedPieces(all, 65536));
  });

  test("a missing file is reported by a worker as a read error", async () => {
    const path = join(freshDir(), "gone");
    await assert.rejects(
      hashPieces([{ path, length: 1 << 20, offset: 0 }], 1 << 16, 1 << 20, {
        workers: 1,
        mainThreadHashes: false,
      }),
      rejectsWith("create_failed", /could not read '.*gone'/),
    );
  });

  test("a file shorter than listed is reported, from a worker or the main thread", async () => {
    const dir = freshDir();
    const path = join(dir, "shrunk");
    writeFileSync(path, randomBytes(16 * 1024 * 1024));
    truncateSync(path, 15 * 1024 * 1024);
    for (const workers of [0, 1]) {
      await assert.rejects(
        hashPieces([{ path, length: 16 * 1024 * 1024, offset: 0 }], 1 << 20, 16 * 1024 * 1024, {
          workers,
          mainThreadHashes: workers === 0,
        }),
        rejectsWith("create_failed", /shorter than when it was listed/),
      );
    }
  });

  test("abort during hashing stops every thread", async () => {
    const dir = freshDir();
    const path = join(dir, "big");
    writeFileSync(path, randomBytes(32 * 1024 * 1024));
    const controller = new AbortController();
    await assert.rejects(
      hashPieces([{ path, length: 32 * 1024 * 1024, offset: 0 }], 16384, 32 * 1024 * 1024, {
        workers: 1,
        mainThreadHashes: false,
        signal: controller.signal,
        onProgress: (done) => {
          if (done > 0) controller.abort();
        },
      }),
      { name: "AbortError" },
    );
  });
});
