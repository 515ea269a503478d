/**
 * Interop (issue 16, selective download): `shoal get --only` fetches two of
 * three files from a libtorrent seeder on loopback. The skipped file, whose
 * edge pieces it shares with the others, is never created; the wanted
 * files are byte for byte the seeder's; the skipped file's bytes of the
 * shared pieces wait in the part file. SHOAL_SKIP_INTEROP=1 skips (instead
 * of failing) when libtorrent is missing.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { existsSync, readdirSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { partFileName } from "../../src/storage/index.ts";
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
const CASE_MS = 60_000;

describe("interop: shoal get --only from a libtorrent seeder", { skip: skipReason(TOOLS) }, () => {
  const children = new Children();
  const temps = new TempDirs();
  after(async () => {
    await children.stopAll();
    await temps.removeAll();
  });

  it("fetches only the files asked for; the skipped one is not created", {
    timeout: CASE_MS,
  }, async () => {
    assertTools(TOOLS);
    const dir = await temps.make("selective");
    const album = join(dir, "seed", "album");
    await mkdir(album, { recursive: true });
    // Piece length 64 KiB: the middle file shares its first and last pieces.
    const sizes = [100_000, 300_000, 150_000];
    const data = sizes.map((n) => randomBytes(n));
    for (let i = 0; i < 3; i++) await writeFile(join(album, `track${i}.flac`), data[i]!);
    const { metainfo, torrentPath, port } = await seedFolderWithLibtorrent(children, {
      dir,
      name: "album",
      pieceLength: 64 * 1024,
      timeoutMs: CASE_MS - 5000,
    });

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
