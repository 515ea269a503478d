/**
 * Issue 4's transfer benchmark: one file over loopback, seeder → leecher, for
 * three pairs run one after another in the same run: shoal → shoal,
 * libtorrent → libtorrent (python3-libtorrent, the speed reference) and
 * shoal → aria2 (aria2c leeching from a shoal seeder found through shoal's
 * tracker). Reports wall time and MB/s, CPU seconds per GiB of each side,
 * peak RSS, the ratios shoal/libtorrent against the targets (at least as
 * fast; CPU per GiB ≤ 1.5×), and whether every download equals the source.
 * Nothing is pinned: both sides of a pair share both cores, as on a desktop.
 *
 * --encrypted (issue 18) runs shoal → shoal plaintext, then shoal → shoal and
 * libtorrent → libtorrent both with MSE's RC4 forced, and reports the RC4
 * ratios (target: ≥ 1.0× libtorrent's, ≥ 0.8× shoal's own plaintext).
 *
 * Usage: node bench/transfer.ts [--size 1GiB] [--piece-size 1MiB] [--runs 1]
 *          [--pairs shoal,libtorrent,aria2,shoal-rc4,libtorrent-rc4] [--encrypted]
 *          [--timeout <s>] [--cpu-prof <dir>]
 * (or SHOAL_BENCH_TRANSFER_SIZE / _RUNS / _PAIRS). Data, torrents and
 * downloads live in a temporary folder under os.tmpdir(), removed at the end;
 * profiles (--cpu-prof) are kept in <dir>. See README, "Transfer benchmark".
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, cpus, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { createTorrent, parseMetainfo } from "../src/metainfo/index.ts";
import { formatBytes, parseSize } from "../src/util/index.ts";
import { freePort } from "./lib/server-process.ts";
import { fixed, formatTable } from "./lib/table.ts";
import { makeRandomFile, withoutTrackers } from "./lib/transfer-data.ts";
import { SYSTEM_PYTHON } from "./lib/transfer-libtorrent.ts";
import {
  type BenchSetup,
  PAIRS,
  type PairName,
  type RunResult,
  runPair,
} from "./lib/transfer-pairs.ts";
import { haveGnuTime, killAllPeersNow, stopAllPeers } from "./lib/transfer-process.ts";
import { reportProfiles } from "./lib/transfer-profile.ts";

const GIB = 1024 ** 3;
const MIB = 1024 ** 2;

const { values } = parseArgs({
  options: {
    size: { type: "string" },
    "piece-size": { type: "string" },
    runs: { type: "string" },
    pairs: { type: "string" },
    timeout: { type: "string" },
    "cpu-prof": { type: "string" },
    encrypted: { type: "boolean", default: false },
  },
});
const encrypted = values.encrypted;
const parsedSize = parseSize(values.size ?? process.env.SHOAL_BENCH_TRANSFER_SIZE ?? "1GiB");
if (parsedSize === undefined || parsedSize < 1 || parsedSize > 64 * GIB)
  throw new Error(`--size: not a size up to 64GiB: ${values.size}`);
const size: number = parsedSize;
const pieceLength = parseSize(values["piece-size"] ?? "1MiB");
if (pieceLength === undefined || (pieceLength & (pieceLength - 1)) !== 0 || pieceLength < 16384) {
  throw new Error("--piece-size: a power of two of at least 16KiB");
}
const runs = Number(values.runs ?? process.env.SHOAL_BENCH_TRANSFER_RUNS ?? 1);
if (!Number.isInteger(runs) || runs < 1 || runs > 20) throw new Error("--runs: 1 to 20");
const defaultPairs = encrypted ? "shoal,shoal-rc4,libtorrent-rc4" : "shoal,libtorrent,aria2";
const wanted = (values.pairs ?? process.env.SHOAL_BENCH_TRANSFER_PAIRS ?? defaultPairs)
  .split(",")
  .map((p) => p.trim())
  .filter((p) => p !== "");
for (const p of wanted) {
  if (!(p in PAIRS))
    throw new Error(`--pairs: '${p}' is not one of ${Object.keys(PAIRS).join(", ")}`);
}
// Slower than 4 MB/s (or over 2 minutes on small files) is a failure, not a figure.
const timeoutSeconds = Number(values.timeout ?? Math.max(120, Math.ceil(size / 4e6)));
if (!Number.isFinite(timeoutSeconds) || timeoutSeconds < 5)
  throw new Error("--timeout: seconds ≥ 5");
const cpuProfDir = values["cpu-prof"] ? resolve(values["cpu-prof"]) : undefined;

/** Why a pair cannot run here (its program is missing), or undefined. */
function missing(pair: PairName): string | undefined {
  if (pair === "libtorrent" || pair === "libtorrent-rc4") {
    const probe = spawnSync(SYSTEM_PYTHON, ["-c", "import libtorrent"], { timeout: 10_000 });
    return probe.status === 0
      ? undefined
      : `${SYSTEM_PYTHON} cannot import libtorrent (apt-get install python3-libtorrent)`;
  }
  if (pair === "aria2") {
    const probe = spawnSync("aria2c", ["--version"], { timeout: 10_000 });
    return probe.status === 0 ? undefined : "aria2c is not installed (apt-get install aria2)";
  }
  return undefined;
}

const startedAt = Date.now();
const dir = mkdtempSync(join(tmpdir(), "shoal-bench-transfer-"));
const cleanupNow = (): void => {
  killAllPeersNow();
  rmSync(dir, { recursive: true, force: true });
};
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    cleanupNow();
    process.exit(130);
  });
}
process.once("exit", killAllPeersNow);

const log = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

const results = new Map<PairName, RunResult[]>();
const skipped = new Map<PairName, string>();
const failed = new Map<PairName, string>();
try {
  const name = "transfer.bin";
  const seedDir = join(dir, "seed");
  mkdirSync(seedDir);
  log(
    `transfer: ${formatBytes(size)} over 127.0.0.1, piece length ${formatBytes(pieceLength)}, ` +
      `best of ${runs}, ${availableParallelism()} cores (${cpus()[0]?.model.trim() ?? "?"}), unpinned`,
  );
  if (!haveGnuTime())
    log(
      "note: /usr/bin/time missing (apt-get install time): leecher figures are 100 ms /proc samples",
    );
  const sha1 = await makeRandomFile(join(seedDir, name), size);
  const announcePort = await freePort();
  const created = await createTorrent(join(seedDir, name), {
    pieceLength,
    trackers: [[`http://127.0.0.1:${announcePort}/announce`]],
    creationDate: null,
  });
  const trackerTorrent = join(dir, "tracker.torrent");
  const torrent = join(dir, "plain.torrent");
  writeFileSync(trackerTorrent, created.torrent);
  const plain = withoutTrackers(created.torrent);
  writeFileSync(torrent, plain);
  const infoHash = Buffer.from(created.metainfo.infoHashHex, "hex");
  if (parseMetainfo(plain).infoHashHex !== created.metainfo.infoHashHex) {
    throw new Error("stripping the trackers changed the info hash");
  }

  for (const pair of wanted as PairName[]) {
    const why = missing(pair);
    if (why) {
      skipped.set(pair, why);
      log(`${PAIRS[pair]}: skipped: ${why}`);
      continue;
    }
    const pairDir = join(dir, pair);
    mkdirSync(pairDir);
    const setup: BenchSetup = {
      dir: pairDir,
      seedDir,
      name,
      bytes: size,
      sha1,
      infoHash,
      torrent,
      trackerTorrent,
      announcePort,
      runs,
      timeoutMs: timeoutSeconds * 1000,
      ...(cpuProfDir && pair !== "libtorrent" ? { cpuProfDir } : {}),
      log,
    };
    log(`${PAIRS[pair]}:`);
    try {
      results.set(pair, await runPair(pair, setup));
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      failed.set(pair, message);
      log(`  FAILED: ${message}`);
      await stopAllPeers();
    }
    rmSync(pairDir, { recursive: true, force: true });
  }

  printReport();
  if (cpuProfDir)
    log(
      `\nCPU profiles of the shoal processes (main thread):\n${reportProfiles(cpuProfDir, startedAt)}`,
    );
} finally {
  await stopAllPeers();
  rmSync(dir, { recursive: true, force: true });
}

function best(pair: PairName): RunResult | undefined {
  const list = results.get(pair) ?? [];
  return list.reduce<RunResult | undefined>(
    (b, r) => (!b || r.seconds < b.seconds ? r : b),
    undefined,
  );
}

function printReport(): void {
  const gib = size / GIB;
  const mbps = (r: RunResult): number => size / 1e6 / r.seconds;
  const mib = (bytes: number): string => fixed(bytes / MIB, 0);
  const rows: string[][] = [];
  for (const pair of wanted as PairName[]) {
    const r = best(pair);
    if (!r) {
      rows.push([PAIRS[pair], skipped.has(pair) ? "skipped" : "FAILED"]);
      continue;
    }
    rows.push([
      PAIRS[pair],
      fixed(r.seconds, 2),
      fixed(r.ownSeconds, 2),
      fixed(mbps(r), 0),
      fixed(r.seederCpu / gib, 2),
      fixed(r.leecherCpu / gib, 2),
      mib(r.seederPeakRss),
      mib(r.leecherPeakRss),
      mib(r.seederPeakAnon),
      mib(r.leecherPeakAnon),
    ]);
  }
  log(
    `\nbest of ${runs} (MB = 10^6 bytes; "own s": the leecher's own figure; ` +
      `anon: largest RssAnon sampled, i.e. without mapped file pages):`,
  );
  const headers = ["pair", "seconds", "own s", "MB/s", "seeder CPU s/GiB", "leecher CPU s/GiB"];
  headers.push(
    "seeder peak RSS MiB",
    "leecher peak RSS MiB",
    "seeder anon MiB",
    "leecher anon MiB",
  );
  log(formatTable(headers, rows));
  const all = [...results.values()].flat();
  const bad = all.filter((r) => !r.verified);
  log(
    bad.length === 0
      ? `every download (${all.length}) is identical to the source (SHA-1 and length)`
      : `DOWNLOADS DIFFER from the source: ${bad.map((r) => `${PAIRS[r.pair]} run ${r.run}`).join(", ")}`,
  );
  if (bad.length > 0 || failed.size > 0) process.exitCode = 1;
  if (all.some((r) => !r.seederPeakReset)) {
    log("note: the kernel refused clear_refs: seeder peak RSS includes its start-up check");
  }

  const ours = best(encrypted ? "shoal-rc4" : "shoal");
  const ref = best(encrypted ? "libtorrent-rc4" : "libtorrent");
  if (!ours || !ref) {
    log("no ratio: shoal → shoal and libtorrent → libtorrent must both have run");
    return;
  }
  const speed = mbps(ours) / mbps(ref);
  const both = (r: RunResult): number => r.seederCpu + r.leecherCpu;
  const cpuRatio = both(ours) / both(ref);
  const row = (
    figure: string,
    f: (r: RunResult) => number,
    digits: number,
    target = "",
  ): string[] => [
    figure,
    fixed(f(ours), digits),
    fixed(f(ref), digits),
    fixed(f(ours) / f(ref), 2),
    target,
  ];
  log(`\nratios shoal → shoal / libtorrent → libtorrent${encrypted ? ", both with RC4" : ""}:`);
  log(
    formatTable(
      ["figure", "shoal", "libtorrent", "ratio", "target"],
      [
        row("MB/s", mbps, 0, `≥ 1.00 ${speed >= 1 ? "met" : "NOT met"}`),
        row("seeder CPU s/GiB", (r) => r.seederCpu / gib, 2),
        row("leecher CPU s/GiB", (r) => r.leecherCpu / gib, 2),
        row(
          "both sides CPU s/GiB",
          (r) => both(r) / gib,
          2,
          `≤ 1.50 ${cpuRatio <= 1.5 ? "met" : "NOT met"}`,
        ),
        row("seeder peak RSS MiB", (r) => r.seederPeakRss / MIB, 0),
        row("leecher peak RSS MiB", (r) => r.leecherPeakRss / MIB, 0),
        row("seeder anon MiB", (r) => r.seederPeakAnon / MIB, 0),
        row("leecher anon MiB", (r) => r.leecherPeakAnon / MIB, 0),
      ],
    ),
  );
  const plain = best("shoal");
  if (encrypted && plain) {
    const own = mbps(ours) / mbps(plain);
    log(
      `shoal with RC4 / shoal plaintext: ${fixed(mbps(ours), 0)} / ${fixed(mbps(plain), 0)} MB/s = ` +
        `${fixed(own, 2)} (target ≥ 0.80 ${own >= 0.8 ? "met" : "NOT met"})`,
    );
  }
}
