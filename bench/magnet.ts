/**
 * Magnet link benchmark (issue 14): how soon a magnet link's download has
 * its metadata (BEP 9, the info dictionary fetched from peers and checked)
 * and its first byte of piece data, with 1 and with 8 seeders holding the
 * metadata, against libtorrent fetching the same magnet link from the same
 * seeders in the same run.
 *
 * The seeders are libtorrent sessions (one Python process, one session and
 * port each), so both leechers fetch from the same neutral peers. Each run
 * starts a fresh leecher of each kind, in alternating order: shoal's is a
 * session made as `shoal get` makes it (Client.start, then add(magnet) with
 * the seeders in `x.pe`), timed from the add to the `metadata` event and to
 * the first payload byte counted; libtorrent's is a Python session whose
 * clock starts at add_torrent(parse_magnet_uri(...)) and stops at
 * metadata_received_alert and at its first payload byte. Neither counts its
 * process start. Loopback only; every run is bounded in time.
 *
 * Usage: node bench/magnet.ts [--runs 5] [--size 64MiB] [--seeders 1,8]
 * Prints, per seeder count, the median and spread (min–max) of both times
 * for both, and shoal ÷ libtorrent (below 1: shoal is faster). Target:
 * shoal's time to metadata ≤ libtorrent's.
 */
import { randomFillSync } from "node:crypto";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { createTorrent, formatMagnet, magnetFromMetainfo } from "../src/metainfo/index.ts";
import { Client } from "../src/session/index.ts";
import { formatBytes, parseSize } from "../src/util/index.ts";
import { Children, checkLibtorrent, freePort } from "../test/interop/helpers.ts";
import {
  startLibtorrentMagnet,
  startLibtorrentSeeders,
} from "../test/interop/libtorrent-magnet.ts";
import { summarize } from "./lib/stats.ts";
import { fixed, formatTable } from "./lib/table.ts";

const { values } = parseArgs({
  options: {
    runs: { type: "string", default: "5" },
    size: { type: "string", default: "64MiB" },
    seeders: { type: "string", default: "1,8" },
  },
});
const runs = Number(values.runs);
const size = parseSize(values.size);
const seederCounts = values.seeders.split(",").map(Number);
if (
  !Number.isInteger(runs) ||
  runs < 1 ||
  runs > 100 ||
  !size ||
  seederCounts.some((n) => !Number.isInteger(n) || n < 1 || n > 32)
) {
  process.stderr.write(
    "usage: node bench/magnet.ts [--runs 1-100] [--size 64MiB] [--seeders 1,8]\n",
  );
  process.exit(2);
}
const missing = checkLibtorrent();
if (missing) {
  process.stderr.write(`bench/magnet.ts needs libtorrent: ${missing}\n`);
  process.exit(1);
}

/** One leecher's run may take this long before it counts as failed. */
const RUN_MS = 30_000;

interface Times {
  metadataMs: number;
  firstByteMs: number;
}

const work = await mkdtemp(join(tmpdir(), "shoal-bench-magnet-"));
const children = new Children();
try {
  // 16 KiB pieces: a big info dictionary (20 bytes a piece), several metadata pieces.
  const seedDir = join(work, "seed");
  await mkdir(seedDir, { recursive: true });
  const data = Buffer.allocUnsafe(size);
  randomFillSync(data);
  await writeFile(join(seedDir, "payload.bin"), data);
  const { torrent, metainfo } = await createTorrent(join(seedDir, "payload.bin"), {
    pieceLength: 16 * 1024,
  });
  const torrentPath = join(work, "payload.torrent");
  await writeFile(torrentPath, torrent);
  const link = formatMagnet({ ...magnetFromMetainfo(metainfo), trackers: [] });
  process.stdout.write(
    `magnet: ${formatBytes(size)} in ${metainfo.pieceCount} pieces of 16 KiB; info dictionary ` +
      `${formatBytes(metainfo.infoBytes.length)} (${Math.ceil(metainfo.infoBytes.length / 16384)} metadata pieces); ` +
      `${runs} runs per seeder count\n`,
  );

  const rows: string[][] = [];
  for (const count of seederCounts) {
    const ports: number[] = [];
    while (ports.length < count) {
      const p = await freePort();
      if (!ports.includes(p)) ports.push(p);
    }
    const seeders = startLibtorrentSeeders(
      children,
      { torrent: torrentPath, savePath: seedDir, ports },
      10 * 60_000,
    );
    await seeders.waitForLine(/^READY /, 120_000);
    // x.pe unescaped: libtorrent reads it raw (see README, magnet links).
    const withPeers = link + ports.map((p) => `&x.pe=127.0.0.1:${p}`).join("");
    const shoal: Times[] = [];
    const lt: Times[] = [];
    for (let run = 0; run < runs; run++) {
      const order = run % 2 === 0 ? ["shoal", "lt"] : ["lt", "shoal"];
      for (const who of order) {
        const dir = join(work, `run-${count}-${run}-${who}`);
        if (who === "shoal") shoal.push(await shoalRun(withPeers, dir));
        else lt.push(await libtorrentRun(withPeers, dir));
        await rm(dir, { recursive: true, force: true });
      }
    }
    await seeders.stop();
    const cell = (xs: number[]) => {
      const s = summarize(xs);
      return `${fixed(s.median, 1)} (${fixed(s.min, 1)}–${fixed(s.max, 1)})`;
    };
    const ratio = (a: number[], b: number[]) => fixed(summarize(a).median / summarize(b).median, 2);
    const sm = shoal.map((t) => t.metadataMs);
    const lm = lt.map((t) => t.metadataMs);
    const sf = shoal.map((t) => t.firstByteMs);
    const lf = lt.map((t) => t.firstByteMs);
    rows.push([String(count), "metadata", cell(sm), cell(lm), ratio(sm, lm)]);
    rows.push([String(count), "first byte", cell(sf), cell(lf), ratio(sf, lf)]);
  }
  process.stdout.write(
    formatTable(
      [
        "seeders",
        "time to",
        "shoal ms: median (min–max)",
        "libtorrent ms: median (min–max)",
        "shoal/libtorrent",
      ],
      rows,
    ),
  );
  process.stdout.write("\nshoal/libtorrent below 1: shoal is faster (target for metadata: ≤ 1).\n");
} finally {
  await children.stopAll();
  await rm(work, { recursive: true, force: true });
}

/** A shoal session as `shoal get <magnet>` makes one; the clock starts at add. */
async function shoalRun(magnet: string, dir: string): Promise<Times> {
  const client = await Client.start({
    dataDir: join(dir, "data"),
    downloadDir: join(dir, "download"),
    host: "127.0.0.1",
    port: 0,
    torrentDefaults: { trackers: false },
  });
  try {
    const started = performance.now();
    const torrent = await client.add(magnet);
    return await new Promise<Times>((resolve, reject) => {
      let metadataMs: number | undefined;
      torrent.once("metadata", () => {
        metadataMs = performance.now() - started;
      });
      // The first payload byte is seen by polling the count each millisecond,
      // as libtorrent's side polls its status.
      const poll = setInterval(() => {
        if (torrent.stats().downloaded === 0 || metadataMs === undefined) return;
        clearInterval(poll);
        clearTimeout(timer);
        resolve({ metadataMs, firstByteMs: performance.now() - started });
      }, 1);
      const timer = setTimeout(() => {
        clearInterval(poll);
        reject(
          new Error(`shoal: no first byte in ${RUN_MS} ms: ${JSON.stringify(torrent.stats())}`),
        );
      }, RUN_MS);
    });
  } finally {
    await client.close();
  }
}

async function libtorrentRun(magnet: string, dir: string): Promise<Times> {
  await mkdir(dir, { recursive: true });
  const leecher = startLibtorrentMagnet(
    children,
    // The x.pe peers dialled at once as well (connect_peer), not at libtorrent's next tick.
    {
      magnet,
      savePath: dir,
      port: await freePort(),
      until: "first-byte",
      connect: peersOf(magnet),
    },
    RUN_MS,
  );
  const metadata = await leecher.waitForLine(/^METADATA ([\d.]+)/, RUN_MS);
  const first = await leecher.waitForLine(/^FIRST_BYTE ([\d.]+)/, RUN_MS);
  await leecher.exited;
  return { metadataMs: Number(metadata[1]) * 1000, firstByteMs: Number(first[1]) * 1000 };
}

/** The `x.pe` addresses of a link, as libtorrent's connect_peer takes them. */
function peersOf(magnet: string): [string, number][] {
  return [...magnet.matchAll(/&x\.pe=([\d.]+):(\d+)/g)].map((m) => [m[1]!, Number(m[2])]);
}
