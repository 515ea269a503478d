/**
 * Tracker benchmark (issue 3): announce-heavy load on loopback against
 * shoal's tracker and the reference trackers, compared by announces per
 * server CPU-second, latency and memory.
 *
 *   node bench/tracker.ts [--seconds 20] [--rounds 5] [--peers 100000]
 *     [--torrents 10000] [--targets shoal,bittorrent-tracker,opentracker]
 *     [--protocols udp,http] [--concurrency 64] [--no-pin] [--cpu-prof DIR] [--json]
 *     [--store redis]
 *
 * --store redis adds shoal's tracker on a shared Redis store (issue 19): one
 * instance (shoal-redis), one given half the in-flight announces
 * (shoal-redis-half) and two (shoal-redis-2) on a redis-server of the
 * benchmark's own. Their CPU is every process's: the instances' and Redis's.
 * Two instances take the load together (the in-flight announces split
 * between them). Where the machine has no core for each instance, Redis and
 * the generator, two instances' speed-up cannot be measured: it is modelled
 * (each instance on its own core, Redis on another) from the CPU per
 * announce of the tracker and of Redis measured three ways, all printed:
 * the one-instance run's; the two-instance run's own (half the load each,
 * but both instances and Redis on one core); and the half-load run's (one
 * instance with the load each of two would have, on a core it shares with
 * Redis alone).
 * Where there are 4 cores or more, each instance and Redis is pinned to a
 * core of its own (the generator keeps core 0) and the measured two/one is
 * the figure.
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
import { cpus, tmpdir } from "node:os";
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
  redisScriptStats,
  resetRedisStats,
  type ScriptCallStats,
  startRedisTarget,
} from "./lib/tracker-redis-target.ts";
import {
  ALL_TARGET_NAMES,
  checkSwarms,
  startTarget,
  TARGET_NAMES,
  type TargetName,
  unavailable,
  waitForAnnounceable,
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
/** Issue 19's goals: Redis-backed per CPU-second against the memory store; two instances against one. */
const GOAL_REDIS_VS_MEMORY = 0.5;
const GOAL_TWO_INSTANCES = 1.6;

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
  /** CPU seconds of each of the target's processes (shoal-redis: the instances, then Redis). */
  processCpuSeconds: number[];
  /** The part of each in the kernel. */
  processSystemSeconds: number[];
  /** The part of serverCpuSeconds spent in the kernel (sockets, mostly). */
  serverSystemSeconds: number;
  generatorCpuSeconds: number;
  rssMiB: number;
  peakRssMiB: number;
  peersAnnounced: number;
  swarms: string;
  /** shoal-redis: Redis's script calls during the timed rounds. */
  scripts?: ScriptCallStats;
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
      store: { type: "string", default: "memory" },
      json: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    process.stdout.write(
      "usage: node bench/tracker.ts [--seconds 20] [--rounds 5] [--peers 100000] [--torrents 10000]\n" +
        "  [--targets shoal,bittorrent-tracker,opentracker] [--protocols udp,http]\n" +
        "  [--concurrency 64] [--timeout-ms 2000] [--fill-seconds 60] [--no-pin]\n" +
        "  [--cpu-prof DIR  (profile shoal's tracker process)] [--json]\n" +
        "  [--store redis  (also shoal's tracker on Redis: one instance, one at half load, two)]\n",
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
  if (values.store !== "memory" && values.store !== "redis") {
    throw new Error(`--store must be memory or redis, got '${values.store}'`);
  }
  let targets = list("targets", values.targets, ALL_TARGET_NAMES);
  if (values.store === "redis") {
    const at = Math.max(0, targets.indexOf("shoal") + 1);
    const extra = (["shoal-redis", "shoal-redis-half", "shoal-redis-2"] as TargetName[]).filter(
      (t) => !targets.includes(t),
    );
    targets = [...targets.slice(0, at), ...extra, ...targets.slice(at)];
  }
  return {
    // Bounded: at most 10 minutes of load per target and protocol.
    seconds: positive("seconds", values.seconds, 600),
    rounds: Math.floor(positive("rounds", values.rounds, 100)),
    peers: Math.floor(positive("peers", values.peers, 10_000_000)),
    torrents: Math.floor(positive("torrents", values.torrents, 1_000_000)),
    targets,
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
  /** Where load goes: one port per tracker instance. */
  ports: number[];
  /** Every process whose CPU counts: the instances, then Redis for shoal-redis. */
  pids: number[];
  workDir: string;
  nextSeq: number;
  /** shoal-redis: its Redis's port. */
  redisPort?: number;
  /** The in-flight announces are options.concurrency divided by this (shoal-redis-half: 2). */
  loadDivisor: number;
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
      processCpuSeconds: [],
      processSystemSeconds: [],
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
        ports: [],
        pids: [],
        workDir: "",
        nextSeq: 0,
        loadDivisor: 1,
      });
      continue;
    }
    const workDir = await mkdtemp(join(tmpdir(), `shoal-bench-${target}-`));
    // opentracker drops to an unprivileged user inside its chroot: let it read.
    await chmod(workDir, 0o755);
    const run: Run = {
      measurement,
      ports: [await freePort()],
      pids: [],
      workDir,
      nextSeq: 0,
      // Each instance's share of shoal-redis-2's load, on one instance.
      loadDivisor: target === "shoal-redis-half" ? 2 : 1,
    };
    runs.push(run);
    try {
      const nodeFlags =
        target.startsWith("shoal") && options.cpuProfDir
          ? ["--cpu-prof", `--cpu-prof-dir=${join(options.cpuProfDir, target)}`]
          : [];
      const start = {
        port: run.ports[0] as number,
        workDir,
        cores: options.pin ? SERVER_CORE : undefined,
        model,
        nodeFlags,
        timeoutMs: budgetMs,
      };
      if (target.startsWith("shoal-redis")) {
        const instances = target === "shoal-redis-2" ? 2 : 1;
        // A core for each instance, for Redis and for the generator, where there are enough.
        const spread = cpus().length >= 4;
        const redis = await startRedisTarget(
          instances,
          start,
          (s, p) => waitForAnnounceable(s, p, model, 15_000),
          spread,
        );
        run.ports = redis.ports;
        run.pids = redis.servers.map((s) => s.pid);
        run.redisPort = redis.redisPort;
      } else run.pids = [(await startTarget(target, start)).pid];
      // Every peer announced once (untimed, bounded in time).
      const fill = await runLoad(protocol, model, {
        port: run.ports[0] as number,
        concurrency: options.concurrency,
        timeoutMs: options.timeoutMs,
        durationMs: options.fillSeconds * 1000,
        startSeq: 0,
        maxAnnounces: model.peers,
      });
      run.nextSeq = fill.nextSeq;
      if (run.redisPort) await resetRedisStats(run.redisPort);
    } catch (err) {
      measurement.skipped = (err as Error).message;
    }
  }
  return runs;
}

/** One timed round of load on one target, added to its measurement. */
async function loadRound(run: Run, protocol: Protocol, model: SwarmModel, options: Options) {
  const m = run.measurement;
  const cpuBefore = run.pids.map(cpuTimes);
  const genBefore = process.cpuUsage();
  // Several instances share the in-flight announces, each on its own range of peers.
  const share = Math.ceil(model.peers / run.ports.length);
  const loads = await Promise.all(
    run.ports.map((port, i) =>
      runLoad(protocol, model, {
        port,
        concurrency: Math.max(
          1,
          Math.floor(options.concurrency / run.ports.length / run.loadDivisor),
        ),
        timeoutMs: options.timeoutMs,
        durationMs: (options.seconds * 1000) / options.rounds,
        startSeq: run.nextSeq + i * share,
        latency: m.load?.latency,
      }),
    ),
  );
  const load = loads[0] as LoadResult;
  for (const other of loads.slice(1)) {
    load.ok += other.ok;
    load.errors += other.errors;
    load.timeouts += other.timeouts;
    load.elapsedMs = Math.max(load.elapsedMs, other.elapsedMs);
    load.firstError ??= other.firstError;
  }
  const gen = process.cpuUsage(genBefore);
  const cpuAfter = run.pids.map(cpuTimes);
  run.nextSeq = Math.max(...loads.map((l, i) => l.nextSeq - i * share));
  let system = 0;
  let cpu = 0;
  run.pids.forEach((_, i) => {
    const before = cpuBefore[i] as { user: number; system: number };
    const after = cpuAfter[i] as { user: number; system: number };
    const own = after.user - before.user + after.system - before.system;
    m.processCpuSeconds[i] = (m.processCpuSeconds[i] ?? 0) + own;
    m.processSystemSeconds[i] = (m.processSystemSeconds[i] ?? 0) + after.system - before.system;
    system += after.system - before.system;
    cpu += own;
  });
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
      const swarms = await checkSwarms(run.ports[0] as number, model, sample);
      m.swarms = `${swarms.matching}/${sample.length}${swarms.matching < sample.length ? ` (${swarms.detail})` : ""}`;
      const mem = memory(run.pids[0] as number);
      m.rssMiB = mem.rss / MIB;
      m.peakRssMiB = mem.peakRss / MIB;
      if (run.redisPort) m.scripts = await redisScriptStats(run.redisPort);
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
  lines.push(...redisReport(results));
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

/**
 * Issue 19's figures: shoal on Redis against shoal in memory, per CPU-second
 * of every process; two instances against one, measured where each process
 * had a core of its own, else modelled from the one-instance run.
 */
function redisReport(results: Measurement[]): string[] {
  const lines: string[] = [];
  const memoryRun = results.find((m) => m.target === "shoal");
  const one = results.find((m) => m.target === "shoal-redis");
  const two = results.find((m) => m.target === "shoal-redis-2");
  const half = results.find((m) => m.target === "shoal-redis-half");
  if (memoryRun?.load && one?.load) {
    const perRound = one.perRound.map((v, i) => v / (memoryRun.perRound[i] ?? Number.NaN));
    const ratio = median(perRound);
    const met = ratio >= GOAL_REDIS_VS_MEMORY ? "met" : "MISSED";
    lines.push(
      `shoal-redis/shoal (memory) announces per CPU-second (tracker + Redis): ${ratio.toFixed(2)}, ` +
        `the median of ${perRound.length} rounds (${perRound.map((r) => r.toFixed(2)).join(" ")}) ` +
        `(goal ≥ ${GOAL_REDIS_VS_MEMORY}: ${met})`,
    );
  }
  if (one?.load && one.processCpuSeconds.length === 2) {
    const [trackerCpu, redisCpu] = one.processCpuSeconds as [number, number];
    const [trackerSystem, redisSystem] = one.processSystemSeconds as [number, number];
    const tracker = trackerCpu / one.load.ok;
    const redis = redisCpu / one.load.ok;
    const inKernel = (system: number, all: number) =>
      `${Math.round((100 * system) / all)}% in kernel`;
    // Each instance on its own core, Redis on another: Redis is the only shared part.
    const rate = (n: number) => Math.min(n / tracker, 1 / redis);
    const model = rate(2) / rate(1);
    lines.push(
      `shoal-redis CPU per announce: tracker ${(tracker * 1e6).toFixed(1)} µs (${inKernel(trackerSystem, trackerCpu)}), ` +
        `Redis ${(redis * 1e6).toFixed(1)} µs (${inKernel(redisSystem, redisCpu)}); ` +
        `modelled with a core per process: one instance ${grouped(rate(1))}/s, two ${grouped(rate(2))}/s, ` +
        `Redis alone would cap at ${grouped(1 / redis)}/s: two/one = ${model.toFixed(2)} (modelled; goal ≥ ${GOAL_TWO_INSTANCES}: ${model >= GOAL_TWO_INSTANCES ? "met" : "MISSED"})`,
    );
    if (half?.load && half.processCpuSeconds.length === 2) {
      // The same model with the costs of one instance given half the load (each
      // instance's share with two): smaller batches, but no second instance on its core.
      const [trackerHalfCpu, redisHalfCpu] = half.processCpuSeconds as [number, number];
      const trackerHalf = trackerHalfCpu / half.load.ok;
      const redisHalf = redisHalfCpu / half.load.ok;
      const rateHalf = Math.min(2 / trackerHalf, 1 / redisHalf);
      const modelHalf = rateHalf / rate(1);
      lines.push(
        `shoal-redis-half (one instance, half the in-flight announces) CPU per announce: tracker ${(trackerHalf * 1e6).toFixed(1)} µs, Redis ${(redisHalf * 1e6).toFixed(1)} µs; ` +
          `modelled with a core per process from these: two ${grouped(rateHalf)}/s, two/one = ${modelHalf.toFixed(2)} ` +
          `(goal ≥ ${GOAL_TWO_INSTANCES}: ${modelHalf >= GOAL_TWO_INSTANCES ? "met" : "MISSED"})`,
      );
    }
    if (two?.load && two.processCpuSeconds.length === 3) {
      // The same model with the two-instance run's own costs: its batches are
      // smaller, and both instances share a core with each other and Redis here.
      const [a, b, redisTwo] = two.processCpuSeconds as [number, number, number];
      const tracker2 = (a + b) / two.load.ok;
      const redis2 = redisTwo / two.load.ok;
      const rate2 = Math.min(2 / tracker2, 1 / redis2);
      const model2 = rate2 / rate(1);
      lines.push(
        `shoal-redis-2 CPU per announce: tracker ${(tracker2 * 1e6).toFixed(1)} µs, Redis ${(redis2 * 1e6).toFixed(1)} µs; ` +
          `modelled with a core per process from these: two ${grouped(rate2)}/s, two/one = ${model2.toFixed(2)} ` +
          `(goal ≥ ${GOAL_TWO_INSTANCES}: ${model2 >= GOAL_TWO_INSTANCES ? "met" : "MISSED"})`,
      );
    }
  }
  for (const m of [one, half, two]) {
    if (!m?.load || !m.scripts || m.scripts.calls === 0) continue;
    const { calls, usec } = m.scripts;
    lines.push(
      `${m.target} Redis script calls: ${grouped(calls)}, ${(m.load.ok / calls).toFixed(1)} announces each, ` +
        `${(usec / calls).toFixed(1)} µs per call and ${(usec / m.load.ok).toFixed(1)} µs per announce inside Redis (INFO commandstats)`,
    );
  }
  if (one?.load && two?.load) {
    const speed = (m: Measurement) =>
      (m.load as LoadResult).ok / ((m.load as LoadResult).elapsedMs / 1000);
    const cores = cpus().length;
    const measured = speed(two) / speed(one);
    const ownCores = cores >= 4;
    lines.push(
      `shoal-redis-2/shoal-redis announces per second: ${measured.toFixed(2)} measured on ${cores} cores` +
        (ownCores
          ? ` (goal ≥ ${GOAL_TWO_INSTANCES}: ${measured >= GOAL_TWO_INSTANCES ? "met" : "MISSED"})`
          : " (the instances, Redis and the generator share the cores: not a scaling figure, see the model)") +
        `; per CPU-second two/one = ${(perCpuSecond(two) / perCpuSecond(one)).toFixed(2)}`,
    );
  }
  return lines;
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
  return all.some((m) => m.skipped && m.target.startsWith("shoal")) ? 1 : 0;
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
