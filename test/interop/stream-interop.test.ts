/**
 * Interop (issue 17, streaming): a shoal daemon streams a file of a torrent
 * it downloads from a libtorrent seeder on loopback. Random ranges (a seeded
 * generator) asked of `GET /api/v1/torrents/<hash>/files/0` while the
 * download runs (held to 256 KiB/s by the daemon's limit for the torrent)
 * are exactly the seeder's bytes and are all answered before most of the
 * torrent has arrived (their pieces are fetched first); after the download,
 * more ranges and the whole file are too. SHOAL_SKIP_INTEROP=1 skips
 * (instead of failing) when libtorrent is missing.
 */
import assert from "node:assert/strict";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { randomBytesFrom, seededRandom } from "../../src/util/index.ts";
import {
  call,
  getBytes,
  randomRanges,
  startTestDaemon,
  type TestDaemon,
} from "../daemon/daemon-helpers.ts";
import {
  assertTools,
  Children,
  REAL_PEER_TOOLS,
  seedFolderWithLibtorrent,
  skipReason,
  TempDirs,
  type ToolRequirement,
  waitFor,
} from "./helpers.ts";

const TOOLS: ToolRequirement[] = REAL_PEER_TOOLS.filter((t) => t.pkg === "python3-libtorrent");
const CASE_MS = 180_000;
/** 3 MiB at 256 KiB/s: about 12 s of download, long enough for the ranges to come mid-way. */
const SIZE = 3 * 1024 * 1024 + 1234;
const DOWNLOAD_LIMIT = 256 * 1024;

describe("interop: streaming a file downloading from a libtorrent seeder", {
  skip: skipReason(TOOLS),
}, () => {
  const children = new Children();
  const temps = new TempDirs();
  let daemon: TestDaemon | undefined;
  after(async () => {
    await daemon?.stop();
    await children.stopAll();
    await temps.removeAll();
  });

  it("random ranges are the seeder's bytes during the download and after", {
    timeout: CASE_MS,
  }, async () => {
    assertTools(TOOLS);
    const dir = await temps.make("stream");
    const folder = join(dir, "seed", "film");
    await mkdir(folder, { recursive: true });
    const data = randomBytesFrom(seededRandom(1717))(SIZE);
    await writeFile(join(folder, "clip.webm"), data);
    await writeFile(join(folder, "notes.txt"), "credits\n");
    const { torrent, metainfo, port } = await seedFolderWithLibtorrent(children, {
      dir,
      name: "film",
      pieceLength: 32 * 1024,
      timeoutMs: CASE_MS - 5000,
    });

    daemon = await startTestDaemon();
    const d = daemon;
    const added = await call(d.base, "POST", "/api/v1/torrents", {
      json: {
        torrent: torrent.toString("base64"),
        peers: [`127.0.0.1:${port}`],
        downloadLimit: DOWNLOAD_LIMIT,
      },
    });
    assert.equal(added.status, 201, JSON.stringify(added.body));
    const hash = metainfo.infoHashHex;
    const file = `/torrents/${hash}/files/0`;
    const progress = async () =>
      (await call(d.base, "GET", `/api/v1/torrents/${hash}`)).body.progress as number;

    const random = seededRandom(99);
    for (const r of randomRanges(random, SIZE, 8, 64 * 1024)) {
      const res = await getBytes(d, file, { range: r.header });
      assert.equal(res.status, 206, r.header);
      assert.equal(res.headers.get("content-range"), `bytes ${r.start}-${r.end - 1}/${SIZE}`);
      assert.ok(res.bytes.equals(data.subarray(r.start, r.end)), `${r.header}: the seeder's bytes`);
    }
    const midway = await progress();
    assert.ok(midway < 0.8, `answered mid-download (progress ${midway})`);

    await waitFor(
      "the download to complete",
      async () => ((await progress()) === 1 ? true : undefined),
      60_000,
    );
    for (const r of randomRanges(random, SIZE, 8, SIZE)) {
      const res = await getBytes(d, file, { range: r.header });
      assert.equal(res.status, 206, r.header);
      assert.ok(res.bytes.equals(data.subarray(r.start, r.end)), `${r.header} (after)`);
    }
    const whole = await getBytes(d, file);
    assert.equal(whole.status, 200);
    assert.equal(whole.headers.get("content-type"), "video/webm");
    assert.ok(whole.bytes.equals(data), "the whole file");
  });
});
