/**
 * The transfer benchmark's pairs (seeder → leecher over 127.0.0.1): shoal →
 * shoal, libtorrent → libtorrent, shoal → aria2. Each pair starts its seeder,
 * waits until the seeder has checked its data (hashing the seed data is not
 * part of the transfer), then runs its leecher N times, one after another,
 * a fresh process and folder each time.
 *
 * Per run: wall time from the leecher's spawn to its "complete" line; the
 * seeder's CPU seconds over the run (/proc/<pid>/stat read before the
 * leecher starts and after it has exited) and its peak RSS over the run
 * (VmHWM, reset before the run); the leecher's whole-life CPU seconds and
 * peak RSS (rusage from GNU time; /proc samples every 100 ms without it);
 * and a SHA-1 of the downloaded file against the source's.
 */
import { mkdir, rm } from "node:fs/promises";
import { join, resolve } from "node:path";
import { decode, isDict, isInteger } from "../../src/bencode/index.ts";
import { freePort } from "./server-process.ts";
import { hashFile, warmFreePages } from "./transfer-data.ts";
import { libtorrentCommand } from "./transfer-libtorrent.ts";
import { PeerProcess } from "./transfer-process.ts";

const REPO = resolve(import.meta.dirname, "..", "..");
const SHOAL = join(REPO, "bin", "shoal.js");
const NODE = process.execPath;

export type PairName = "shoal" | "libtorrent" | "aria2" | "shoal-rc4" | "libtorrent-rc4";
export const PAIRS: Record<PairName, string> = {
  shoal: "shoal → shoal",
  libtorrent: "libtorrent → libtorrent",
  aria2: "shoal → aria2",
  "shoal-rc4": "shoal → shoal, RC4",
  "libtorrent-rc4": "libtorrent → libtorrent, RC4",
};

/** MSE with RC4 on both sides (issue 18): shoal's policy, libtorrent's settings_pack. */
const SHOAL_RC4 = ["--encryption", "required"];
const LIBTORRENT_RC4 = { out_enc_policy: 0, in_enc_policy: 0, allowed_enc_level: 2 };

export interface BenchSetup {
  /** Scratch folder for this pair's downloads and state (removed by the caller). */
  dir: string;
  /** Folder holding the source file, as `<seedDir>/<name>`. */
  seedDir: string;
  name: string;
  bytes: number;
  sha1: string;
  infoHash: Buffer;
  /** The torrent without trackers (shoal and libtorrent pairs). */
  torrent: string;
  /** The same torrent announcing to `announcePort` (aria2 pair). */
  trackerTorrent: string;
  announcePort: number;
  runs: number;
  /** Most a seeder may take to check its data, and a leecher to finish, in ms. */
  timeoutMs: number;
  /** Write V8 CPU profiles of the shoal processes under this folder. */
  cpuProfDir?: string;
  log: (line: string) => void;
}

export interface RunResult {
  pair: PairName;
  run: number;
  /** Leecher spawn → leecher says complete. */
  seconds: number;
  /** The leecher's own figure (shoal: "in N s"; libtorrent: since add_torrent); NaN if none. */
  ownSeconds: number;
  seederCpu: number;
  leecherCpu: number;
  /** Of the CPU seconds, those in the kernel. */
  seederSystem: number;
  leecherSystem: number;
  seederPeakRss: number;
  leecherPeakRss: number;
  /** Largest RssAnon seen (100 ms samples): memory without mapped file pages. */
  seederPeakAnon: number;
  leecherPeakAnon: number;
  /** Whether the seeder's peak RSS was reset before the run (else it includes its check). */
  seederPeakReset: boolean;
  /** Whether the leecher's figures are exact rusage (GNU time) rather than /proc samples. */
  leecherRusage: boolean;
  verified: boolean;
}

interface Seeder {
  process: PeerProcess;
  port: number;
  /** Anything else to stop with the seeder (aria2's tracker). */
  extra: PeerProcess[];
}

interface Leecher {
  process: PeerProcess;
  /** When the leecher said it was complete, and its own seconds. */
  complete: Promise<{ at: number; ownSeconds: number }>;
}

/** Node arguments of a shoal process (as bin/shoal starts it): a CPU profile when asked. */
function nodeArgs(setup: BenchSetup, tag: string): string[] {
  if (!setup.cpuProfDir) return [];
  return ["--cpu-prof", "--cpu-prof-dir", join(setup.cpuProfDir, tag)];
}

async function shoalSeeder(
  setup: BenchSetup,
  trackers: boolean,
  tag: string,
  extra: string[] = [],
): Promise<Seeder> {
  const dataDir = join(setup.dir, "seeder-state");
  const args = (profile: string[]) => [
    ...profile,
    SHOAL,
    "seed",
    trackers ? setup.trackerTorrent : setup.torrent,
    setup.seedDir,
    "--port",
    "0",
    "--host",
    "127.0.0.1",
    ...(trackers ? [] : ["--no-trackers"]),
    "--data-dir",
    dataDir,
    "-q",
    ...extra,
  ];
  if (setup.cpuProfDir) {
    // Check once without the profiler and stop: the profiled seeder then starts
    // from resume data, so its profile shows serving, not the start-up check.
    const check = await PeerProcess.start({
      name: "shoal seeder (check)",
      command: NODE,
      args: args([]),
      timeoutMs: setup.timeoutMs,
    });
    await check.waitForLine(/^seeding .* on port \d+/, setup.timeoutMs);
    await check.stop();
  }
  const process = await PeerProcess.start({
    name: "shoal seeder",
    command: NODE,
    args: args(nodeArgs(setup, `${tag}-seeder`)),
    timeoutMs: setup.timeoutMs * (setup.runs + 2),
  });
  const ready = await process.waitForLine(/^seeding .* on port (\d+)/, setup.timeoutMs);
  return { process, port: Number(ready.match[1]), extra: [] };
}

async function shoalLeecher(
  setup: BenchSetup,
  leechDir: string,
  seeder: Seeder,
  run: number,
  extra: string[] = [],
) {
  const process = await PeerProcess.start({
    name: "shoal leecher",
    command: NODE,
    args: [
      ...nodeArgs(setup, `shoal-leecher-${run}`),
      SHOAL,
      "get",
      setup.torrent,
      "-o",
      leechDir,
      "--port",
      "0",
      "--host",
      "127.0.0.1",
      "--no-trackers",
      "--peer",
      `127.0.0.1:${seeder.port}`,
      "--data-dir",
      join(leechDir, ".state"),
      "-q",
      ...extra,
    ],
    timeoutMs: setup.timeoutMs,
    rusageFile: join(setup.dir, `rusage-shoal-${run}.txt`),
  });
  const complete = process
    .waitForLine(/: complete, .* in ([\d.]+) s/, setup.timeoutMs)
    .then((line) => ({ at: line.at, ownSeconds: Number(line.match[1]) }));
  return { process, complete };
}

async function libtorrentSeeder(
  setup: BenchSetup,
  settings: Record<string, number> = {},
): Promise<Seeder> {
  const { command, args } = libtorrentCommand({
    settings,
    mode: "seed",
    torrent: setup.torrent,
    savePath: setup.seedDir,
    seconds: Math.ceil((setup.timeoutMs * (setup.runs + 1)) / 1000),
  });
  const process = await PeerProcess.start({
    name: "libtorrent seeder",
    command,
    args,
    timeoutMs: setup.timeoutMs * (setup.runs + 2),
  });
  const ready = await process.waitForLine(/^READY port=(\d+)/, setup.timeoutMs);
  return { process, port: Number(ready.match[1]), extra: [] };
}

async function libtorrentLeecher(
  setup: BenchSetup,
  leechDir: string,
  seeder: Seeder,
  run: number,
  settings: Record<string, number> = {},
) {
  const { command, args } = libtorrentCommand({
    settings,
    mode: "leech",
    torrent: setup.torrent,
    savePath: leechDir,
    peerPort: seeder.port,
    seconds: Math.ceil(setup.timeoutMs / 1000),
  });
  const process = await PeerProcess.start({
    name: "libtorrent leecher",
    command,
    args,
    timeoutMs: setup.timeoutMs + 5000,
    rusageFile: join(setup.dir, `rusage-libtorrent-${run}.txt`),
  });
  const complete = process
    .waitForLine(/^DONE ([\d.]+)/, setup.timeoutMs)
    .then((line) => ({ at: line.at, ownSeconds: Number(line.match[1]) }));
  return { process, complete };
}

/** Scrapes the tracker (BEP 48) until it lists a seeder for the torrent, bounded. */
async function waitForSwarmSeeder(setup: BenchSetup): Promise<void> {
  let query = "";
  for (const byte of setup.infoHash) query += `%${byte.toString(16).padStart(2, "0")}`;
  const url = `http://127.0.0.1:${setup.announcePort}/scrape?info_hash=${query}`;
  const deadline = performance.now() + 20_000;
  while (performance.now() < deadline) {
    try {
      const reply = await fetch(url, { signal: AbortSignal.timeout(2000) });
      const root = decode(new Uint8Array(await reply.arrayBuffer()));
      const files = isDict(root) ? root.get("files") : undefined;
      const entry = isDict(files) ? files.get(setup.infoHash.toString("latin1")) : undefined;
      const complete = isDict(entry) ? entry.get("complete") : undefined;
      if (isInteger(complete) && Number(complete) >= 1) return;
    } catch {
      // not up yet
    }
    await new Promise((ok) => setTimeout(ok, 100));
  }
  throw new Error("the shoal seeder did not appear on the tracker within 20 s");
}

async function aria2Seeder(setup: BenchSetup): Promise<Seeder> {
  // A long interval: shoal's seeder announces once at start and then at most
  // every 60 s, and the tracker drops a peer silent for two intervals.
  const tracker = await PeerProcess.start({
    name: "shoal tracker",
    command: NODE,
    args: [
      SHOAL,
      "tracker",
      "--port",
      String(setup.announcePort),
      "--host",
      "127.0.0.1",
      "--data-dir",
      join(setup.dir, "tracker-state"),
      "--interval",
      "600",
      "--min-interval",
      "300",
      "--log-level",
      "warn",
    ],
    timeoutMs: setup.timeoutMs * (setup.runs + 3),
  });
  try {
    await tracker.waitForLine(/listening/, 15_000);
    const seeder = await shoalSeeder(setup, true, "aria2");
    seeder.extra.push(tracker);
    await waitForSwarmSeeder(setup);
    return seeder;
  } catch (err) {
    await tracker.stop();
    throw err;
  }
}

async function aria2Leecher(setup: BenchSetup, leechDir: string, _seeder: Seeder, run: number) {
  const process = await PeerProcess.start({
    name: "aria2c leecher",
    command: "aria2c",
    // The interop helper's settings (test/interop/helpers.ts, startAria2):
    // DHT, LSD, PEX and IPv6 off, the HTTP tracker only; no preallocation.
    args: [
      "--no-conf=true",
      `--dir=${leechDir}`,
      `--listen-port=${await freePort()}`,
      "--enable-dht=false",
      "--enable-dht6=false",
      "--bt-enable-lpd=false",
      "--enable-peer-exchange=false",
      "--disable-ipv6=true",
      "--seed-time=0",
      "--bt-save-metadata=false",
      "--bt-tracker-connect-timeout=5",
      "--bt-tracker-timeout=10",
      "--file-allocation=none",
      "--allow-overwrite=true",
      "--auto-file-renaming=false",
      "--summary-interval=0",
      "--console-log-level=notice",
      "--enable-color=false",
      `--stop=${Math.ceil(setup.timeoutMs / 1000)}`,
      setup.trackerTorrent,
    ],
    timeoutMs: setup.timeoutMs + 5000,
    rusageFile: join(setup.dir, `rusage-aria2-${run}.txt`),
  });
  // With --seed-time=0 aria2 prints "Seeding is over." a few ms after its last
  // piece passes the hash check; its exit comes a second or two later (its
  // 1 s timers, a "stopped" announce), so the line, not the exit, is the moment.
  const complete = process
    .waitForLine(/Seeding is over\.|Download complete:/, setup.timeoutMs)
    .then((line) => ({ at: line.at, ownSeconds: Number.NaN }));
  return { process, complete };
}

const STARTERS: Record<
  PairName,
  {
    seeder: (setup: BenchSetup) => Promise<Seeder>;
    leecher: (setup: BenchSetup, dir: string, seeder: Seeder, run: number) => Promise<Leecher>;
  }
> = {
  shoal: {
    seeder: (s) => shoalSeeder(s, false, "shoal"),
    leecher: (s, d, p, r) => shoalLeecher(s, d, p, r),
  },
  libtorrent: {
    seeder: (s) => libtorrentSeeder(s),
    leecher: (s, d, p, r) => libtorrentLeecher(s, d, p, r),
  },
  "shoal-rc4": {
    seeder: (s) => shoalSeeder(s, false, "shoal-rc4", SHOAL_RC4),
    leecher: (s, d, p, r) => shoalLeecher(s, d, p, r, SHOAL_RC4),
  },
  "libtorrent-rc4": {
    seeder: (s) => libtorrentSeeder(s, LIBTORRENT_RC4),
    leecher: (s, d, p, r) => libtorrentLeecher(s, d, p, r, LIBTORRENT_RC4),
  },
  aria2: { seeder: aria2Seeder, leecher: aria2Leecher },
};

/** Runs one pair `setup.runs` times against one seeder; resolves to every run's figures. */
export async function runPair(pair: PairName, setup: BenchSetup): Promise<RunResult[]> {
  const starter = STARTERS[pair];
  const seeder = await starter.seeder(setup);
  const results: RunResult[] = [];
  try {
    for (let run = 1; run <= setup.runs; run++) {
      const leechDir = join(setup.dir, `${pair}-leech-${run}`);
      await mkdir(leechDir, { recursive: true });
      // Every run starts with the same memory at hand: see warmFreePages.
      warmFreePages(setup.dir, setup.bytes);
      // Let the page cache settle a moment after the previous run's writes.
      await new Promise((ok) => setTimeout(ok, 500));
      if (seeder.process.hasExited)
        throw new Error(`${seeder.process.name} exited:\n${seeder.process.tail()}`);
      const before = seeder.process.sample();
      const seederPeakReset = seeder.process.resetPeakRss();
      const leecher = await starter.leecher(setup, leechDir, seeder, run);
      const done = await leecher.complete;
      const exit = await leecher.process.waitForExit(30_000);
      if (exit.code !== 0) {
        throw new Error(
          `${leecher.process.name} exited with ${exit.code}:\n${leecher.process.tail()}`,
        );
      }
      const after = seeder.process.sample();
      const rusage = leecher.process.rusage();
      const usage = rusage ?? leecher.process.sample();
      const file = join(leechDir, setup.name);
      const got = await hashFile(file).catch(() => ({ sha1: "missing", bytes: 0 }));
      const result: RunResult = {
        pair,
        run,
        seconds: (done.at - leecher.process.startedAt) / 1000,
        ownSeconds: done.ownSeconds,
        seederCpu: after.cpuSeconds - before.cpuSeconds,
        leecherCpu: usage.cpuSeconds,
        seederSystem: after.systemSeconds - before.systemSeconds,
        leecherSystem: usage.systemSeconds,
        seederPeakRss: after.peakRss,
        leecherPeakRss: usage.peakRss,
        seederPeakAnon: seeder.process.peakAnon,
        leecherPeakAnon: leecher.process.peakAnon,
        seederPeakReset,
        leecherRusage: rusage !== undefined,
        verified: got.sha1 === setup.sha1 && got.bytes === setup.bytes,
      };
      results.push(result);
      setup.log(describeRun(result, setup.bytes));
      await rm(leechDir, { recursive: true, force: true });
    }
  } finally {
    await seeder.process.stop();
    for (const extra of seeder.extra) await extra.stop();
  }
  return results;
}

const GIB = 1024 ** 3;
const MIB = 1024 ** 2;

/** One line per run, printed as the run ends. */
export function describeRun(r: RunResult, bytes: number): string {
  const gib = bytes / GIB;
  const own = Number.isFinite(r.ownSeconds) ? ` (own ${r.ownSeconds.toFixed(2)} s)` : "";
  return (
    `  ${PAIRS[r.pair]} run ${r.run}: ${r.seconds.toFixed(2)} s${own}, ` +
    `${(bytes / 1e6 / r.seconds).toFixed(0)} MB/s, CPU s/GiB seeder ${(r.seederCpu / gib).toFixed(2)} ` +
    `(kernel ${(r.seederSystem / gib).toFixed(2)}) leecher ${(r.leecherCpu / gib).toFixed(2)} ` +
    `(kernel ${(r.leecherSystem / gib).toFixed(2)}), peak RSS seeder ${(r.seederPeakRss / MIB).toFixed(0)} MiB ` +
    `leecher ${(r.leecherPeakRss / MIB).toFixed(0)} MiB (anon ${(r.seederPeakAnon / MIB).toFixed(0)}, ` +
    `${(r.leecherPeakAnon / MIB).toFixed(0)}), file ${r.verified ? "identical (SHA-1)" : "DIFFERS"}`
  );
}
