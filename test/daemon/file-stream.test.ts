/**
 * Streaming a torrent's file over the daemon's HTTP API (issue 17):
 * `GET /api/v1/torrents/<info hash>/files/<n>` with Range requests returns
 * exactly the source's bytes for random ranges (a seeded generator), while
 * the torrent downloads from a rate-limited seeder on loopback and after;
 * HEAD, 416, the whole file, the headers; bad ranges, unknown torrents and
 * bad indices answered with the error table's codes; a client that goes
 * away mid-wait leaves the daemon serving.
 */
import assert from "node:assert/strict";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { HTTP_STATUS } from "../../src/api/index.ts";
import { createTorrent } from "../../src/metainfo/index.ts";
import { randomBytesFrom, seededRandom } from "../../src/util/index.ts";
import {
  call,
  getBytes,
  randomRanges,
  startTestDaemon,
  type TestDaemon,
} from "./daemon-helpers.ts";

/** The seeder's upload limit: a 3 MiB torrent takes ~12 s, so ranges come mid-download. */
const SEED_RATE = 256 * 1024;
const PIECE_LENGTH = 16 * 1024;

let seeder: TestDaemon;
let leecher: TestDaemon;
before(async () => {
  [seeder, leecher] = await Promise.all([startTestDaemon(), startTestDaemon()]);
});
after(async () => {
  await Promise.all([seeder?.stop(), leecher?.stop()]);
});

interface Made {
  torrent: Buffer;
  infoHash: string;
  /** Each file's bytes, in the torrent's order. */
  files: Buffer[];
}

/** A torrent of `sizes.length` files of seeded random bytes, its data in `dir`. */
async function makeTorrent(
  dir: string,
  name: string,
  names: string[],
  sizes: number[],
  seed: number,
): Promise<Made> {
  const folder = join(dir, name);
  await mkdir(folder, { recursive: true });
  const bytes = randomBytesFrom(seededRandom(seed));
  const files = sizes.map((n) => bytes(n));
  for (const [i, f] of files.entries()) await writeFile(join(folder, names[i]!), f);
  const created = await createTorrent(folder, { pieceLength: PIECE_LENGTH, creationDate: null });
  return { torrent: created.torrent, infoHash: created.metainfo.infoHashHex, files };
}

async function addTo(d: TestDaemon, made: Made, extra: Record<string, unknown> = {}) {
  const added = await call(d.base, "POST", "/api/v1/torrents", {
    json: { torrent: made.torrent.toString("base64"), ...extra },
  });
  assert.equal(added.status, 201, JSON.stringify(added.body));
  return added.body;
}

function progressOf(d: TestDaemon, hash: string): Promise<number> {
  return call(d.base, "GET", `/api/v1/torrents/${hash}`).then((r) => r.body.progress as number);
}

test("random ranges return exactly the source's bytes while the torrent downloads from a rate-limited seeder, and after", async () => {
  const made = await makeTorrent(
    seeder.downloadDir,
    "stream-me",
    ["clip.webm", "notes.txt"],
    [3 * 1024 * 1024 - 777, 50_001],
    17,
  );
  await addTo(seeder, made);
  const limited = await call(seeder.base, "PUT", `/api/v1/torrents/${made.infoHash}/limits`, {
    json: { upload: SEED_RATE },
  });
  assert.equal(limited.status, 200);
  const seederPort = (await call(seeder.base, "GET", "/api/v1/session/settings")).body.port;
  await addTo(leecher, made, { peers: [`127.0.0.1:${seederPort}`] });

  const random = seededRandom(2026);
  const size = made.files[0]!.length;
  const file = `/torrents/${made.infoHash}/files/0`;
  // Ranges all over the file, one after another: each one's pieces are fetched
  // first, so all of them are answered long before the download ends.
  for (const r of randomRanges(random, size, 8, 48 * 1024)) {
    const res = await getBytes(leecher, file, { range: r.header });
    assert.equal(res.status, 206, r.header);
    assert.equal(res.headers.get("content-range"), `bytes ${r.start}-${r.end - 1}/${size}`);
    assert.equal(Number(res.headers.get("content-length")), r.end - r.start);
    assert.ok(res.bytes.equals(made.files[0]!.subarray(r.start, r.end)), `${r.header}: the bytes`);
  }
  const progress = await progressOf(leecher, made.infoHash);
  assert.ok(progress < 0.8, `answered mid-download (progress ${progress})`);

  // The whole file, while it is still downloading: streamed in order as it comes.
  const whole = await getBytes(leecher, `/torrents/${made.infoHash}/files/1`);
  assert.equal(whole.status, 200);
  assert.equal(whole.headers.get("content-type"), "text/plain; charset=utf-8");
  assert.ok(whole.bytes.equals(made.files[1]!));

  await waitComplete(leecher, made.infoHash);
  for (const r of randomRanges(random, size, 12, size)) {
    const res = await getBytes(leecher, file, { range: r.header });
    assert.equal(res.status, 206, r.header);
    assert.ok(res.bytes.equals(made.files[0]!.subarray(r.start, r.end)), `${r.header} (after)`);
  }
  const all = await getBytes(leecher, file);
  assert.equal(all.status, 200);
  assert.ok(all.bytes.equals(made.files[0]!), "the whole file without a Range");
  assert.equal(all.headers.get("accept-ranges"), "bytes");
  assert.equal(all.headers.get("content-type"), "video/webm");
  assert.equal(
    all.headers.get("content-disposition"),
    `inline; filename="clip.webm"; filename*=UTF-8''clip.webm`,
  );
});

async function waitComplete(d: TestDaemon, hash: string): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if ((await progressOf(d, hash)) === 1) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.fail("the download did not complete in 60 s");
}

test("HEAD, 416, empty files, and bad requests answered with the documented codes", async () => {
  const made = await makeTorrent(
    seeder.downloadDir,
    "codes",
    ["a.mp3", "b.bin", "empty.txt"],
    [40_000, 20_000, 0],
    5,
  );
  await addTo(seeder, made);
  const base = `/torrents/${made.infoHash}/files`;
  const head = await fetch(`${seeder.base}/api/v1${base}/0`, {
    method: "HEAD",
    headers: { range: "bytes=100-199" },
  });
  assert.equal(head.status, 206);
  assert.equal(head.headers.get("content-length"), "100");
  assert.equal(head.headers.get("content-range"), "bytes 100-199/40000");
  assert.equal(head.headers.get("content-type"), "audio/mpeg");
  assert.equal((await head.arrayBuffer()).byteLength, 0);

  const past = await getBytes(seeder, `${base}/0`, { range: "bytes=40000-" });
  assert.equal(past.status, 416);
  assert.equal(past.headers.get("content-range"), "bytes */40000");
  assert.equal(JSON.parse(past.bytes.toString()).error.code, "range_not_satisfiable");
  const ignored = await getBytes(seeder, `${base}/1`, { range: "bytes=0-1,5-9" });
  assert.equal(ignored.status, 200, "several ranges: the whole file");
  assert.ok(ignored.bytes.equals(made.files[1]!));
  const empty = await getBytes(seeder, `${base}/2`);
  assert.equal(empty.status, 200);
  assert.equal(empty.bytes.length, 0);

  const cases: [string, string][] = [
    [`${base}/3`, "not_found"],
    [`${base}/x1`, "invalid_input"],
    [`${base}/-1`, "invalid_input"],
    [`/torrents/${"ab".repeat(20)}/files/0`, "not_found"],
    [`/torrents/zz/files/0`, "not_found"],
  ];
  for (const [path, code] of cases) {
    const r = await call(seeder.base, "GET", `/api/v1${path}`);
    assert.equal(r.body?.error?.code, code, `${path}: ${JSON.stringify(r.body)}`);
    assert.equal(r.status, HTTP_STATUS[code as keyof typeof HTTP_STATUS], path);
  }
  const skip = await call(seeder.base, "PUT", `/api/v1${base}`, {
    json: { indices: [1], priority: "skip" },
  });
  assert.equal(skip.status, 200);
  const skipped = await call(seeder.base, "GET", `/api/v1${base}/1`);
  assert.equal(skipped.status, 409);
  assert.equal(skipped.body.error.code, "file_skipped");
  // A magnet link's torrent before its metadata: no files yet.
  const magnet = await call(seeder.base, "POST", "/api/v1/torrents", {
    json: { magnet: `magnet:?xt=urn:btih:${"cd".repeat(20)}`, paused: true },
  });
  assert.equal(magnet.status, 201, JSON.stringify(magnet.body));
  const early = await call(seeder.base, "GET", `/api/v1/torrents/${"cd".repeat(20)}/files/0`);
  assert.equal(early.status, 409);
  assert.equal(early.body.error.code, "no_metadata");
  const post = await call(seeder.base, "POST", `/api/v1${base}/0`);
  assert.equal(post.body.error.code, "method_not_allowed");
});

test("a client that leaves while its range waits: the daemon goes on serving", async () => {
  // Nobody seeds it: a range waits for pieces that do not come.
  const lonely = await makeTorrent(seeder.downloadDir, "lonely", ["v.webm"], [300_000], 11);
  await addTo(leecher, lonely);
  const gone = new AbortController();
  const waiting = fetch(`${leecher.base}/api/v1/torrents/${lonely.infoHash}/files/0`, {
    headers: { range: "bytes=1000-2000" },
    signal: gone.signal,
  });
  setTimeout(() => gone.abort(), 200);
  await assert.rejects(waiting);
  const still = await call(leecher.base, "GET", `/api/v1/torrents/${lonely.infoHash}`);
  assert.equal(still.status, 200);
  assert.equal(still.body.progress, 0);
});
