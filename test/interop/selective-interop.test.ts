/**
 * Interop (issue 16, selective download): `shoal get --only` fetches two of
 * three files from a libtorrent seeder on loopback. The skipped file, whose
 * edge pieces it shares with the others, is never created; the wanted
 * files are byte for byte the seeder's; the skipped file's bytes of the
 * shared pieces wait in the part file. And a magnet link added to the
 * daemon with `shoal add --pause-after-metadata` fetches its metadata from
 * libtorrent (BEP 9), pauses before any piece, and once its files are
 * chosen downloads only those. SHOAL_SKIP_INTEROP=1 skips (instead of
 * failing) when libtorrent is missing.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { existsSync, readdirSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { after, describe, it } from "node:test";
import { run } from "../../src/cli/main.ts";
import { partFileName } from "../../src/storage/index.ts";
import { call, startTestDaemon } from "../daemon/daemon-helpers.ts";
import {
  assertTools,
  Children,
  NODE,
  REAL_PEER_TOOLS,
  SHOAL_CLI,
  seedFolderWithLibtorrent,
  skipReason,
  TempDirs,
  type ToolRequirement,
} from "./helpers.ts";

const TOOLS: ToolRequirement[] = REAL_PEER_TOOLS.filter((t) => t.pkg === "python3-libtorrent");
const CASE_MS = 180_000;

describe("interop: selective download from a libtorrent seeder (shoal get --only, shoal add --pause-after-metadata)", {
  skip: skipReason(TOOLS),
}, () => {
  const children = new Children();
  const temps = new TempDirs();
  after(async () => {
    await children.stopAll();
    await temps.removeAll();
  });

  /** Three files in 64 KiB pieces (the middle one shares its edge pieces), seeded by libtorrent. */
  async function seedAlbum(dir: string) {
    const album = join(dir, "seed", "album");
    await mkdir(album, { recursive: true });
    const sizes = [100_000, 300_000, 150_000];
    const data = sizes.map((n) => randomBytes(n));
    for (let i = 0; i < 3; i++) await writeFile(join(album, `track${i}.flac`), data[i]!);
    const seeded = await seedFolderWithLibtorrent(children, {
      dir,
      name: "album",
      pieceLength: 64 * 1024,
      timeoutMs: CASE_MS - 5000,
    });
    return { data, ...seeded };
  }

  it("a magnet link added with --pause-after-metadata pauses before any piece; files chosen, only those come", {
    timeout: CASE_MS,
  }, async () => {
    assertTools(TOOLS);
    const dir = await temps.make("pause-after-metadata");
    const { data, metainfo, port } = await seedAlbum(dir);
    const d = await startTestDaemon({}, {}, join(dir, "daemon"));
    try {
      const shoal = async (...args: string[]) => {
        const stdout = new PassThrough();
        const stderr = new PassThrough();
        let err = "";
        stderr.on("data", (c) => (err += c));
        const env = {};
        const code = await run([...args, "--remote", d.base], { stdout, stderr, cwd: dir, env });
        assert.equal(code, 0, `shoal ${args[0]}: ${err}`);
      };
      const hash = metainfo.infoHashHex;
      await shoal(
        "add",
        `magnet:?xt=urn:btih:${hash}&x.pe=127.0.0.1:${port}`,
        "--pause-after-metadata",
      );
      const torrent = async () => (await call(d.base, "GET", `/api/v1/torrents/${hash}`)).body;
      const until = async (done: (t: { state: string; hasMetadata: boolean }) => boolean) => {
        const deadline = Date.now() + 40_000;
        let t = await torrent();
        while (!done(t) && Date.now() < deadline) {
          await new Promise((r) => setTimeout(r, 100));
          t = await torrent();
        }
        return t;
      };
      const waiting = await until((t) => t.hasMetadata && t.state === "paused");
      assert.deepEqual(
        [waiting.name, waiting.hasMetadata, waiting.state, waiting.piecesHave],
        ["album", true, "paused", 0],
      );
      const root = join(d.downloadDir, "album");
      assert.equal(existsSync(root), false, "nothing created before the files are chosen");
      await shoal("files", hash.slice(0, 8), "--skip", "1");
      await shoal("resume", hash.slice(0, 8));
      const done = await until((t) => t.state === "seeding");
      assert.equal(done.state, "seeding", "every wanted piece is here");
      assert.ok((await readFile(join(root, "track0.flac"))).equals(data[0]!));
      assert.ok((await readFile(join(root, "track2.flac"))).equals(data[2]!));
      assert.equal(existsSync(join(root, "track1.flac")), false, "the skipped file is not created");
    } finally {
      await d.stop();
    }
  });

  it("fetches only the files asked for; the skipped one is not created", {
    timeout: CASE_MS,
  }, async () => {
    assertTools(TOOLS);
    const dir = await temps.make("selective");
    // Piece length 64 KiB: the middle file shares its first and last pieces.
    const { data, metainfo, torrentPath, port } = await seedAlbum(dir);

    const out = join(dir, "shoal");
    const get = children.start(
      NODE,
      [
        SHOAL_CLI,
        "get",
        torrentPath,
        "--only",
        "0,2",
        "-o",
        out,
        "--no-trackers",
        "--peer",
        `127.0.0.1:${port}`,
        "--port",
        "0",
        "--data-dir",
        join(dir, "shoal-data"),
      ],
      { name: "shoal get", timeoutMs: CASE_MS - 10_000 },
    );
    const exit = await get.exited;
    assert.equal(exit.code, 0, `shoal get failed:\n${get.tail()}`);
    assert.match(get.tail(), /1 file skipped/);
    const root = join(out, "album");
    assert.ok((await readFile(join(root, "track0.flac"))).equals(data[0]!));
    assert.ok((await readFile(join(root, "track2.flac"))).equals(data[2]!));
    assert.equal(existsSync(join(root, "track1.flac")), false, "the skipped file is not created");
    assert.deepEqual(readdirSync(root).sort(), ["track0.flac", "track2.flac"]);
    assert.ok(existsSync(join(out, partFileName(metainfo.infoHashHex))), "edge bytes kept aside");
  });
});
