/**
 * Tracker benchmark (issue 3): announce-heavy load on loopback against
 * shoal's tracker and the reference trackers, compared by announces per
 * server CPU-second, latency and memory.
 *
 *   node bench/tracker.ts [--seconds 20] [--rounds 5] [--peers 100000]
 *     [--torrents 10000] [--targets shoal,bittorrent-tracker,opentracker]
 *     [--protocols udp,http] [--concurrency 64] [--no-pin] [--cpu-prof DIR] [--json]
 *
 * Each target runs in its own process, freshly started per protocol and
 * pinned to core 1; this generator is pinned to core 0. UDP announces are
 * preceded by a connect, as clients do (BEP 15); HTTP announces each open a
 * new TCP connection (Connection: close).
 *
 * First every peer is announced once to every target (event=started,
 * untimed): a tracker's steady state is re-announces. Then the timed load
 * comes in rounds: each round gives every target `seconds / rounds` of load,
 * in an order that rotates. A shared VM's speed drifts by tens of per cent
 * over a minute; a ratio taken between targets measured seconds apart, round
 * by round, and the median of those, is what survives that drift. The memory
 * figure is read after the rounds, with every peer registered. Every server
 * is killed by PID at the end, even on error or Ctrl-C.
 */
import { chmod, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { runHttpLoad } from "./lib/http-load.ts";
import type { LoadOptions, LoadResult } from "./lib/load-result.ts";
import { cpuTimes, memory } from "./lib/proc.ts";
import { freePort, killAllServersNow, stopAllServers } from "./lib/server-process.ts";
import { SwarmModel } from "./lib/swarm-model.ts";
import { fixed, formatTable, grouped } from "./lib/table.ts";
import { canPin, pinSelf } from "./lib/taskset.ts";
import {
  checkSwarms,
  startTarget,
  TARGET_NAMES,
  type TargetName,
  unavailable,
} from "./lib/tracker-targets.ts";
import { runUdpLoad } from "./lib/udp-load.ts";

type Protocol = "udp" | "http";
const PROTOCOLS: Protocol[] = ["udp", "http"];
const SERVER_CORE = "1";
const GENERATOR_CORE = "0";
const MIB = 1024 * 1024;
/** Issue 3's goals: shoal's announces per CPU-second against opentracker's, and memory. */
const GOAL_VS_OPENTRACKER: Record<Protocol, number> = { udp: 0.5, http: 0.75 };
const GOAL_RSS_MIB = 100;

interface Options {
  seconds: number;
  rounds: number;
  peers: number;
  torrents: number;
  targets: TargetName[];
  protocols: Protocol[];
  concurrency: number;
  timeoutMs: number;
  fillSeconds: number;
  pin: boolean;
  cpuProfDir?: string;
  json: boolean;
}

interface Measurement {
  target: TargetName;
  protocol: Protocol;
  /** The timed rounds' results, pooled. */
  load?: LoadResult;
  /** Announces per server CPU-second in each round. */
  perRound: number[];
  serverCpuSeconds: number;
  /** The part of serverCpuSeconds spent in the kernel (sockets, mostly). */
  serverSystemSeconds: number;
  generatorCpuSeconds: number;
  rssMiB: number;
  peakRssMiB: number;
  peersAnnounced: number;
  swarms: string;
  skipped?: string;
}

function parseOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      seconds: { type: "string", default: "20" },
      rounds: { type: "string", default: "5" },
      peers: { type: "string", default: "100000" },
      torrents: { type: "string", default: "10000" },
      targets: { type: "string", default: TARGET_NAMES.join(",") },
      protocols: { type: "string", default: PROTOCOLS.join(",") },
      concurrency: { type: "string", default: "64" },
      "timeout-ms": { type: "string", default: "2000" },
      "fill-seconds": { type: "string", default: "60" },
      "no-pin": { type: "boolean", default: false },
      "cpu-prof": { type: "string" },
      json: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    process.stdout.write(
      "usage: node bench/tracker.ts [--seconds 20] [--rounds 5] [--peers 100000] [--torrents 10000]\n" +
        "  [--targets shoal,bittorrent-tracker,opentracker] [--protocols udp,http]\n" +
        "  [--concurrency 64] [--timeout-ms 2000] [--fill-seconds 60] [--no-pin]\n" +
        "  [--cpu-prof DIR  (profile shoal's tracker process)] [--json]\n",
    );
    process.exit(0);
  }
  const positive = (name: string, text: string, max: number): number => {
    const n = Number(text);
    if (!Number.isFinite(n) || n <= 0 || n > max) {
      throw new Error(`--${name} must be a number in (0, ${max}], got '${text}'`);
    }
    return n;
  };
  const list = <T extends string>(name: string, text: string, allowed: readonly T[]): T[] => {
    const items = text.split(",").filter((s) => s !== "");
    for (const item of items) {
      if (!allowed.includes(item as T)) {
        throw new Error(`--${name}: unknown '${item}' (choose from ${allowed.join(", ")})`);
      }
    }
    return items as T[];
  };
  return {
    // Bounded: at most 10 minutes of load per target and protocol.
    seconds: positive("seconds", values.seconds, 600),
    rounds: Math.floor(positive("rounds", values.rounds, 100)),
    peers: Math.floor(positive("peers", values.peers, 10_000_000)),
    torrents: Math.floor(positive("torrents", values.torrents, 1_000_000)),
    targets: list("targets", values.targets, TARGET_NAMES),
    protocols: list("protocols", values.protocols, PROTOCOLS),
    concurrency: Math.floor(positive("concurrency", values.concurrency, 4096)),
    timeoutMs: positive("timeout-ms", values["timeout-ms"], 60_000),
    fillSeconds: positive("fill-seconds", values["fill-seconds"], 600),
    pin: !values["no-pin"],
    cpuProfDir: values["cpu-prof"],
    json: values.json,
  };
}

function runLoad(protocol: Protocol, model: SwarmModel, opts: LoadOptions): Promise<LoadResult> {
  return protocol === "udp" ? runUdpLoad(model, opts) : runHttpLoad(model, opts);
}

/** One target's server and what has been measured of it so far. */
interface Run {
  measurement: Measurement;
  port: number;
  pid: number;
  workDir: string;
  nextSeq: number;
}

function median(values: number[]): number {
  const sorted = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** Starts every target for one protocol and registers the model's peers with each. */
async function startRuns(protocol: Protocol, model: SwarmModel, options: Options): Promise<Run[]> {
  const runs: Run[] = [];
  const budgetMs = (options.seconds + options.fillSeconds * options.targets.length + 120) * 1000;
  for (const target of options.targets) {
    const measurement: Measurement = {
      target,
      protocol,
      perRound: [],
      serverCpuSeconds: 0,
      serverSystemSeconds: 0,
      generatorCpuSeconds: 0,
      rssMiB: Number.NaN,
      peakRssMiB: Number.NaN,
      peersAnnounced: 0,
      swarms: "",
    };
    const reason = unavailable(target);
    if (reason) {
      runs.push({
        measurement: { ...measurement, skipped: reason },
        port: 0,
        pid: 0,
        workDir: "",
        nextSeq: 0,
      });
      continue;
    }
    const workDir = await mkdtemp(join(tmpdir(), `shoal-bench-${target}-`));
    // opentracker drops to an unprivileged user inside its chroot: let it read.
    await chmod(workDir, 0o755);
    const run: Run = { measurement, port: await freePort(), pid: 0, workDir, nextSeq: 0 };
    runs.push(run);
    try {
      const nodeFlags =
        target === "shoal" && options.cpuProfDir
          ? ["--cpu-prof", `--cpu-prof-dir=${options.cpuProfDir}`]
          : [];
      const server = await startTarget(target, {
        port: run.port,
        workDir,
        cores: options.pin ? SERVER_CORE : undefined,
        model,
        nodeFlags,
        timeoutMs: budgetMs,
      });
      run.pid = server.pid;
      // Every peer announced once (untimed, bounded in time).
      const fill = await runLoad(protocol, model, {
        port: run.port,
        concurrency: options.concurrency,
        timeoutMs: options.timeoutMs,
        durationMs: options.fillSeconds * 1000,
        startSeq: 0,
        maxAnnounces: model.peers,
      });
      run.nextSeq = fill.nextSeq;
    } catch (err) {
      measurement.skipped = (err as Error).message;
    }
  }
  return runs;
}

/** One timed round of load on one target, added to its measurement. */
async function loadRound(run: Run, protocol: Protocol, model: SwarmModel, options: Options) {
  const m = run.measurement;
  const cpuBefore = cpuTimes(run.pid);
  const genBefore = process.cpuUsage();
  const load = await runLoad(protocol, model, {
    port: run.port,
    concurrency: options.concurrency,
    timeoutMs: options.timeoutMs,
    durationMs: (options.seconds * 1000) / options.rounds,
    startSeq: run.nextSeq,
    latency: m.load?.latency,
  });
  const gen = process.cpuUsage(genBefore);
  const cpuAfter = cpuTimes(run.pid);
  run.nextSeq = load.nextSeq;
  const system = cpuAfter.system - cpuBefore.system;
  const cpu = cpuAfter.user - cpuBefore.user + system;
  m.serverCpuSeconds += cpu;
  m.serverSystemSeconds += system;
  m.generatorCpuSeconds += (gen.user + gen.system) / 1e6;
  m.perRound.push(load.ok / cpu);
  if (!m.load) m.load = load;
  else {
    m.load.ok += load.ok;
    m.load.errors += load.errors;
    m.load.timeouts += load.timeouts;
    m.load.elapsedMs += load.elapsedMs;
    m.load.firstError ??= load.firstError;
  }
}

async function measure(
  protocol: Protocol,
  model: SwarmModel,
  options: Options,
): Promise<Measurement[]> {
  let runs: Run[] = [];
  try {
    runs = await startRuns(protocol, model, options);
    const live = () => runs.filter((r) => !r.measurement.skipped);
    for (let round = 0; round < options.rounds; round++) {
      const order = live();
      // Rotate who goes first, so no target always follows the same one.
      for (let i = 0; i < order.length; i++) {
        const run = order[(i + round) % order.length] as Run;
        try {
          await loadRound(run, protocol, model, options);
        } catch (err) {
          run.measurement.skipped = (err as Error).message;
        }
      }
    }
    const last = model.torrents - 1;
    const sample = [...new Set([0, 1, Math.floor(model.torrents / 2), last])];
    for (const run of live()) {
      const m = run.measurement;
      m.peersAnnounced = Math.min(model.peers, run.nextSeq);
      const swarms = await checkSwarms(run.port, model, sample);
      m.swarms = `${swarms.matching}/${sample.length}${swarms.matching < sample.length ? ` (${swarms.detail})` : ""}`;
      const mem = memory(run.pid);
      m.rssMiB = mem.rss / MIB;
      m.peakRssMiB = mem.peakRss / MIB;
    }
  } finally {
    await stopAllServers();
    for (const run of runs)
      if (run.workDir) await rm(run.workDir, { recursive: true, force: true });
  }
  return runs.map((r) => r.measurement);
}

function perCpuSecond(m: Measurement | undefined): number {
  if (!m?.load || !(m.serverCpuSeconds > 0)) return Number.NaN;
  return m.load.ok / m.serverCpuSeconds;
}

function report(protocol: Protocol, results: Measurement[]): string {
  const rows = results.map((m) => {
    if (!m.load) return [m.target, "skipped"];
    const [p50, p99] = m.load.latency.percentiles([50, 99]);
    const seconds = m.load.elapsedMs / 1000;
    return [
      m.target,
      grouped(m.load.ok / seconds),
      fixed(p50 ?? Number.NaN, 2),
      fixed(p99 ?? Number.NaN, 2),
      fixed(m.serverCpuSeconds, 2),
      `${Math.round((100 * m.serverSystemSeconds) / m.serverCpuSeconds)}%`,
      grouped(perCpuSecond(m)),
      fixed(m.rssMiB, 1),
      fixed(m.peakRssMiB, 1),
      grouped(m.peersAnnounced),
      `${Math.round((100 * m.generatorCpuSeconds) / seconds)}%`,
      grouped(m.load.errors + m.load.timeouts),
      m.swarms,
    ];
  });
  const headers = [
    "target",
    "announces/s",
    "p50 ms",
    "p99 ms",
    "server CPU s",
    "in kernel",
    "announces/CPU-s",
    "RSS MiB",
    "peak MiB",
    "peers",
    "generator CPU",
    "failed",
    "swarms ok",
  ];
  const lines = [`${protocol.toUpperCase()}`, formatTable(headers, rows)];
  const shoal = results.find((m) => m.target === "shoal");
  for (const ref of ["opentracker", "bittorrent-tracker"] as const) {
    const other = results.find((m) => m.target === ref);
    if (!shoal?.load || !other?.load) continue;
    const perRound = shoal.perRound.map((v, i) => v / (other.perRound[i] ?? Number.NaN));
    const ratio = median(perRound);
    if (!Number.isFinite(ratio)) continue;
    const goal = ref === "opentracker" ? GOAL_VS_OPENTRACKER[protocol] : undefined;
    const verdict =
      goal === undefined ? "" : ` (goal ≥ ${goal}: ${ratio >= goal ? "met" : "MISSED"})`;
    const rounds = perRound.map((r) => r.toFixed(2)).join(" ");
    lines.push(
      `shoal/${ref} announces per server CPU-second: ${ratio.toFixed(2)}, the median of ` +
        `${perRound.length} rounds (${rounds}); over the whole run ` +
        `${(perCpuSecond(shoal) / perCpuSecond(other)).toFixed(2)}${verdict}`,
    );
  }
  if (shoal?.load && Number.isFinite(shoal.rssMiB)) {
    const met = shoal.rssMiB < GOAL_RSS_MIB ? "met" : "MISSED";
    lines.push(
      `shoal RSS with ${grouped(shoal.peersAnnounced)} peers: ${shoal.rssMiB.toFixed(1)} MiB (goal < ${GOAL_RSS_MIB}: ${met})`,
    );
  }
  for (const m of results) {
    if (m.skipped) lines.push(`${m.target}: skipped: ${m.skipped}`);
    if (m.load?.firstError) lines.push(`${m.target}: first failure: ${m.load.firstError}`);
  }
  return lines.join("\n");
}

async function main(): Promise<number> {
  const options = parseOptions(process.argv.slice(2));
  const pinning = options.pin && canPin();
  if (pinning) pinSelf(GENERATOR_CORE);
  if (!pinning) options.pin = false;
  const model = new SwarmModel(options.peers, options.torrents);
  process.stdout.write(
    `tracker benchmark: ${grouped(model.peers)} peers over ${grouped(model.torrents)} torrents, ` +
      `${options.seconds} s per target and protocol in ${options.rounds} rounds, ` +
      `${options.concurrency} in flight, ` +
      (pinning
        ? `server on core ${SERVER_CORE}, generator on core ${GENERATOR_CORE}\n`
        : "no CPU pinning\n"),
  );
  const all: Measurement[] = [];
  for (const protocol of options.protocols) {
    process.stdout.write(
      `  ${protocol} → ${options.targets.join(", ")}: every peer once, then ${options.rounds} rounds …\n`,
    );
    const results = await measure(protocol, model, options);
    process.stdout.write(`\n${report(protocol, results)}\n\n`);
    all.push(...results);
  }
  if (options.json) {
    const rows = all.map((m) => ({
      target: m.target,
      protocol: m.protocol,
      skipped: m.skipped,
      announcesPerSecond: m.load ? m.load.ok / (m.load.elapsedMs / 1000) : null,
      latencyMs: m.load ? m.load.latency.percentiles([50, 99]) : null,
      serverCpuSeconds: m.serverCpuSeconds,
      serverSystemSeconds: m.serverSystemSeconds,
      announcesPerCpuSecond: perCpuSecond(m),
      announcesPerCpuSecondByRound: m.perRound,
      rssMiB: m.rssMiB,
      peakRssMiB: m.peakRssMiB,
      failed: m.load ? m.load.errors + m.load.timeouts : null,
    }));
    process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
  }
  return all.some((m) => m.skipped && m.target === "shoal") ? 1 : 0;
}

process.on("exit", killAllServersNow);
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    killAllServersNow();
    process.exit(130);
  });
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: Error) => {
    process.stderr.write(`tracker benchmark: ${err.message}\n`);
    process.exitCode = 2;
  },
);
