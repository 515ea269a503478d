/**
 * bench/swarm.ts (issues 5, 12, 21): one seeder and N leechers, each with an
 * upload limit, all on loopback; the time until every leecher has the file,
 * against the lower bound T_min = max(F/u_s, D·F/(u_s + Σu_i)) for D
 * downloaders (downloads unlimited), and the CPU seconds all peers used until
 * then, for shoal peers and, in the same run, libtorrent peers in the same
 * set-up.
 *
 * --free-rider adds one more leecher that uploads nothing (no upload slots;
 * libtorrent: no unchoke slots and a 1 B/s upload limit) and reports its
 * completion time over the fair leechers' mean: the higher, the better the
 * swarm's tit-for-tat punishes free-riding.
 *
 * --trace prints, for each run, every peer's upload per 250 ms against its
 * cap and the swarm's against the sum of caps, and the capacity left unused
 * in each phase (bench/lib/swarm-trace.ts): where T - T_min goes.
 * --trace-dir DIR also writes each peer's lines into DIR (<impl>-<run>-<peer>.txt;
 * shoal's with every connection made and closed, and why).
 *
 * --profile DIR runs every shoal peer with --cpu-prof, its profile written
 * into DIR when the run ends (open it in Chrome's DevTools, or summarise it).
 *
 * Usage: node bench/swarm.ts [--size 256MiB] [--leechers 8] [--seed-up 20MB]
 *                            [--leech-up 10MB] [--piece-size 256KiB] [--impls shoal,libtorrent]
 *                            [--free-rider] [--runs 1] [--trace] [--trace-dir DIR]
 *                            [--profile DIR]
 */
import { spawn } from "node:child_process";
import { randomFillSync } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { createTorrent } from "../src/metainfo/index.ts";
import { formatBytes, parseSize } from "../src/util/index.ts";
import { cpuTimes } from "./lib/proc.ts";
import { summarize } from "./lib/stats.ts";
import { LIBTORRENT_SWARM_PEER } from "./lib/swarm-libtorrent.ts";
import { analyseTrace, formatPhases, TRACE_MS, type TracePhases } from "./lib/swarm-trace.ts";
import { fixed, formatTable } from "./lib/table.ts";

const { values } = parseArgs({
  options: {
    size: { type: "string", default: "256MiB" },
    leechers: { type: "string", default: "8" },
    "seed-up": { type: "string", default: "20MB" },
    "leech-up": { type: "string", default: "10MB" },
    "piece-size": { type: "string", default: "256KiB" },
    impls: { type: "string", default: "shoal,libtorrent" },
    "timeout-s": { type: "string", default: "300" },
    "free-rider": { type: "boolean", default: false },
    runs: { type: "string", default: "1" },
    profile: { type: "string" },
    trace: { type: "boolean", default: false },
    "trace-dir": { type: "string" },
  },
});
const size = parseSize(values.size)!;
const n = Number(values.leechers);
const seedUp = parseSize(values["seed-up"])!;
const leechUp = parseSize(values["leech-up"])!;
const pieceLength = parseSize(values["piece-size"])!;
const timeoutMs = Number(values["timeout-s"]) * 1000;
const impls = values.impls.split(",");
const freeRider = values["free-rider"];
const runs = Math.max(1, Number(values.runs));
const traceDir = values["trace-dir"] === undefined ? undefined : resolve(values["trace-dir"]);
const trace = values.trace || traceDir !== undefined;
const profileDir = values.profile === undefined ? undefined : resolve(values.profile);
const REPO = resolve(import.meta.dirname, "..");
const PYTHON = "/usr/bin/python3";
/**
 * shoal peers start as the shoal command does (bin/shoal.js): Node's compile
 * cache on before any TypeScript is loaded, the peer's own entry file
 * included, so no process strips types (the seeder, started first, fills the
 * cache). Turned on inside the entry file instead, the entry itself was
 * stripped each time: about 0.25 CPU-seconds to start a leecher here, 0.18
 * with the cache from the first line.
 */
const SHOAL_ENV = { ...process.env, NODE_COMPILE_CACHE: join(tmpdir(), "node-compile-cache") };

/** Downloaders: the fair leechers and the free-rider, who adds demand but no supply. */
const downloaders = n + (freeRider ? 1 : 0);
const tMin = Math.max(size / seedUp, (downloaders * size) / (seedUp + n * leechUp));

interface Peer {
  pid: number;
  /** Tells the peer every other one is ready: it may dial them now. */
  go(): void;
  kill(): void;
  lines: string[];
  waitFor(re: RegExp, ms: number): Promise<RegExpMatchArray>;
}

function start(command: string, args: string[], env?: NodeJS.ProcessEnv): Peer {
  const child = spawn(command, args, { stdio: ["pipe", "pipe", "pipe"], ...(env ? { env } : {}) });
  child.stdin.on("error", () => {}); // a peer that died already: its exit says so
  const lines: string[] = [];
  const waiters: (() => void)[] = [];
  for (const stream of [child.stdout, child.stderr]) {
    // A line may come in pieces (Python's print writes its arguments one by one).
    let partial = "";
    stream.setEncoding("utf8").on("data", (d: string) => {
      const parts = (partial + d).split("\n");
      partial = parts.pop()!;
      lines.push(...parts.filter(Boolean));
      for (const w of waiters.splice(0)) w();
    });
  }
  const killer = setTimeout(() => child.kill("SIGKILL"), timeoutMs + 60_000);
  child.on("exit", () => {
    clearTimeout(killer);
    for (const w of waiters.splice(0)) w();
  });
  return {
    pid: child.pid ?? 0,
    lines,
    go: () => child.stdin.end("GO\n"),
    kill: () => {
      if (child.exitCode === null) child.kill("SIGTERM");
      setTimeout(() => child.exitCode === null && child.kill("SIGKILL"), 3000).unref();
    },
    waitFor(re, ms) {
      return new Promise((ok, fail) => {
        const timer = setTimeout(
          () => fail(new Error(`no ${re} in ${ms} ms: ${lines.slice(-5).join(" | ")}`)),
          ms,
        );
        const check = () => {
          const m = lines.map((l) => l.match(re)).find(Boolean);
          if (m) {
            clearTimeout(timer);
            ok(m);
          } else if (child.exitCode !== null || child.signalCode !== null) {
            clearTimeout(timer);
            fail(new Error(`exited: ${lines.slice(-5).join(" | ")}`));
          } else waiters.push(check);
        };
        check();
      });
    },
  };
}

async function freePorts(count: number): Promise<number[]> {
  const { createServer } = await import("node:net");
  const servers = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<import("node:net").Server>((ok) => {
          const s = createServer();
          s.listen(0, "127.0.0.1", () => ok(s));
        }),
    ),
  );
  const ports = servers.map((s) => (s.address() as import("node:net").AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise((ok) => s.close(ok))));
  return ports;
}

interface SwarmRun {
  /** Seconds until every downloader had the file. */
  seconds: number;
  /** Each fair leecher's completion time, in seconds from the leechers' start. */
  fair: number[];
  /** The free-rider's completion time, if there is one. */
  rider: number | undefined;
  /** Payload bytes the free-rider uploaded until it had the file (0 for a true free-rider). */
  riderUploaded: number;
  /** CPU seconds (user + system) of every peer process, seeder included, until then. */
  cpu: number;
  /** The part of `cpu` spent in the kernel (system calls, the loopback's TCP stack). */
  system: number;
  /** Seconds of `seconds` until every leecher process was up with the torrent open. */
  startup: number;
  /**
   * CPU seconds (user + system) each leecher process had used when it said
   * READY, their mean: what one start costs, less noisy on a shared machine
   * than `startup`, which is eight such starts contending for the cores.
   */
  startupCpu: number;
  /** With --trace: the per-interval table and the capacity unused in each phase. */
  trace?: { table: string; phases: TracePhases };
  /** Every line each peer printed, the seeder's first. */
  lines: string[][];
}

async function runSwarm(
  impl: string,
  dir: string,
  torrentPath: string,
  data: Buffer,
): Promise<SwarmRun> {
  const ports = await freePorts(downloaders + 1);
  const peers: Peer[] = [];
  try {
    const spawnPeer = (i: number) => {
      const peerDir = i === 0 ? join(dir, "seed") : join(dir, impl, `leecher${i}`);
      const rider = i === n + 1;
      const cfg = {
        torrent: torrentPath,
        dir: peerDir,
        dataDir: join(dir, impl, `state${i}`),
        port: ports[i]!,
        uploadLimit: i === 0 ? seedUp : rider ? 0 : leechUp,
        freeRider: rider,
        peers: ports.filter((_, j) => j !== i),
        go: true,
        ...(trace ? { traceMs: TRACE_MS } : {}),
        ...(traceDir ? { traceConnections: true } : {}),
        seconds: Math.ceil(timeoutMs / 1000) + 30,
      };
      // One directory per peer: the process and its storage worker each write a profile.
      const profile = profileDir
        ? ["--cpu-prof", `--cpu-prof-dir=${join(profileDir, i === 0 ? "seeder" : `leecher${i}`)}`]
        : [];
      return impl === "shoal"
        ? start(
            process.execPath,
            [...profile, join(REPO, "bench/lib/swarm-peer.ts"), JSON.stringify(cfg)],
            SHOAL_ENV,
          )
        : start(PYTHON, ["-c", LIBTORRENT_SWARM_PEER, JSON.stringify(cfg)]);
    };
    const seeder = spawnPeer(0);
    peers.push(seeder);
    await seeder.waitFor(/^READY seed/, 120_000);
    const t0 = performance.now();
    const startEpoch = Date.now();
    for (let i = 1; i <= downloaders; i++) peers.push(spawnPeer(i));
    // Peers dial each other once all listen with the torrent open: a dial
    // to a peer still starting is refused, and shoal dials a refused address
    // again only after a back-off (5 s, then 10 s), so one slow starter sat
    // 10 s without a connection in one run of six. That race is of this
    // harness's making (every peer told of every other before they listen);
    // in a swarm a peer is announced once it listens.
    const readyCpu = await Promise.all(
      peers.slice(1).map(async (p) => {
        await p.waitFor(/^READY/, 120_000);
        // Read at once: a peer does nothing more until GO.
        const t = cpuTimes(p.pid);
        return t.user + t.system;
      }),
    );
    const startup = (performance.now() - t0) / 1000;
    const goEpoch = Date.now();
    for (const p of peers) p.go();
    const uploaded: number[] = [];
    const doneEpoch: number[] = [];
    const done = await Promise.all(
      peers.slice(1).map(async (p, i) => {
        const m = await p.waitFor(/^DONE \d+ (\d+)/, timeoutMs);
        uploaded[i] = Number(m[1]);
        doneEpoch[i] = Date.now();
        return (performance.now() - t0) / 1000;
      }),
    );
    const seconds = (performance.now() - t0) / 1000;
    const times = peers.map((p) => cpuTimes(p.pid));
    const system = times.reduce((sum, t) => sum + t.system, 0);
    const cpu = times.reduce((sum, t) => sum + t.user, system);
    for (let i = 1; i <= downloaders; i++) {
      const got = await readFile(join(dir, impl, `leecher${i}`, "payload.bin"));
      if (!got.equals(data)) throw new Error(`${impl} leecher ${i} has different bytes`);
    }
    return {
      seconds,
      fair: done.slice(0, n),
      rider: freeRider ? done[n] : undefined,
      riderUploaded: freeRider ? uploaded[n]! : 0,
      cpu,
      system,
      startup,
      startupCpu: mean(readyCpu),
      lines: peers.map((p) => p.lines),
      ...(trace
        ? {
            trace: analyseTrace(
              peers.map((p, i) => ({
                name: i === 0 ? "seed" : i === n + 1 ? "rider" : `l${i}`,
                cap: i === 0 ? seedUp : i === n + 1 ? 0 : leechUp,
                lines: p.lines,
              })),
              startEpoch,
              goEpoch,
              doneEpoch,
              downloaders * size,
            ),
          }
        : {}),
    };
  } finally {
    for (const p of peers) p.kill();
    await new Promise((r) => setTimeout(r, 500));
  }
}

const dir = await mkdtemp(join(tmpdir(), "shoal-bench-swarm-"));
try {
  await mkdir(join(dir, "seed"), { recursive: true });
  const data = Buffer.allocUnsafe(size);
  randomFillSync(data);
  await writeFile(join(dir, "seed", "payload.bin"), data);
  const { torrent } = await createTorrent(join(dir, "seed", "payload.bin"), {
    pieceLength,
    creationDate: null,
  });
  const torrentPath = join(dir, "swarm.torrent");
  await writeFile(torrentPath, torrent);
  process.stdout.write(
    `swarm: ${formatBytes(size)}, 1 seeder (up ${formatBytes(seedUp)}/s) + ${n} leechers ` +
      `(up ${formatBytes(leechUp)}/s each)${freeRider ? " + 1 free-rider (uploads nothing)" : ""}, ` +
      `pieces of ${formatBytes(pieceLength)}; T_min = ${tMin.toFixed(2)} s; ${runs} run(s)\n`,
  );
  const results: Record<string, SwarmRun[]> = {};
  // Runs alternate between implementations, so a drift in this machine's
  // speed touches both alike.
  for (let run = 0; run < runs; run++) {
    for (const impl of impls) {
      if (impl === "libtorrent" && !existsSync(PYTHON)) continue;
      try {
        const r = await runSwarm(impl, dir, torrentPath, data);
        results[impl] = [...(results[impl] ?? []), r];
        process.stdout.write(
          `  ${impl} run ${run + 1}: T/T_min ${(r.seconds / tMin).toFixed(3)}, ` +
            `CPU ${r.cpu.toFixed(1)} s (system ${r.system.toFixed(1)} s), ` +
            `start-up ${r.startup.toFixed(2)} s (CPU ${r.startupCpu.toFixed(3)} s per leecher)` +
            `${r.rider === undefined ? "" : `, free-rider/fair mean ${(r.rider / mean(r.fair)).toFixed(2)} (it uploaded ${r.riderUploaded} B)`}\n`,
        );
        if (traceDir) {
          await mkdir(traceDir, { recursive: true });
          for (const [i, lines] of r.lines.entries()) {
            await writeFile(join(traceDir, `${impl}-${run + 1}-${i}.txt`), `${lines.join("\n")}\n`);
          }
        }
        if (r.trace) {
          process.stdout.write(`${r.trace.table}\n    ${formatPhases(r.trace.phases)}\n`);
        }
      } catch (err) {
        process.stdout.write(
          `  ${impl} run ${run + 1} failed: ${(err as Error).message.slice(0, 160)}\n`,
        );
      }
      await rm(join(dir, impl), { recursive: true, force: true });
    }
  }
  const rows: string[][] = [];
  const median = (impl: string, f: (r: SwarmRun) => number) => {
    const rs = results[impl];
    return rs && rs.length > 0 ? summarize(rs.map(f)) : undefined;
  };
  const span = (x: ReturnType<typeof median>, digits: number) =>
    x === undefined
      ? "–"
      : x.min === x.max
        ? fixed(x.median, digits)
        : `${fixed(x.median, digits)} (${fixed(x.min, digits)}–${fixed(x.max, digits)})`;
  for (const impl of impls) {
    if (!results[impl]) {
      rows.push([
        impl,
        "–",
        "–",
        "–",
        "–",
        "–",
        "–",
        existsSync(PYTHON) ? "failed" : "python3 missing",
      ]);
      continue;
    }
    rows.push([
      impl,
      span(
        median(impl, (r) => r.seconds),
        2,
      ),
      span(
        median(impl, (r) => r.seconds / tMin),
        3,
      ),
      span(
        median(impl, (r) => r.cpu),
        1,
      ),
      span(
        median(impl, (r) => r.startup),
        2,
      ),
      span(
        median(impl, (r) => r.startupCpu),
        3,
      ),
      freeRider
        ? span(
            median(impl, (r) => r.rider! / mean(r.fair)),
            2,
          )
        : "–",
      "all files verified",
    ]);
  }
  process.stdout.write(
    `${formatTable(["peers", "T s", "T/T_min", "CPU s (all peers)", "start-up s", "start-up CPU s/leecher", "rider/fair mean", "check"], rows)}\n`,
  );
  const tt = (impl: string) => median(impl, (r) => r.seconds / tMin)?.median;
  const cpu = (impl: string) => median(impl, (r) => r.cpu)?.median;
  const shoalT = tt("shoal");
  const libT = tt("libtorrent");
  if (shoalT !== undefined && libT !== undefined) {
    process.stdout.write(
      `T/T_min: shoal ${shoalT.toFixed(3)} vs libtorrent ${libT.toFixed(3)} ` +
        `(target: shoal ≤ 1.10 and below libtorrent: ${shoalT <= 1.1 && shoalT < libT ? "met" : "NOT met"})\n` +
        `CPU: shoal ${cpu("shoal")!.toFixed(1)} s vs libtorrent ${cpu("libtorrent")!.toFixed(1)} s, ` +
        `ratio ${(cpu("shoal")! / cpu("libtorrent")!).toFixed(2)} (target ≤ 1.25: ` +
        `${cpu("shoal")! / cpu("libtorrent")! <= 1.25 ? "met" : "NOT met"})\n`,
    );
    const startupCpu = (impl: string) => median(impl, (r) => r.startupCpu)!.median;
    process.stdout.write(
      `start-up CPU per leecher: shoal ${startupCpu("shoal").toFixed(3)} s vs libtorrent ` +
        `${startupCpu("libtorrent").toFixed(3)} s, ratio ${(startupCpu("shoal") / startupCpu("libtorrent")).toFixed(2)}\n`,
    );
    if (freeRider) {
      const rider = (impl: string) => median(impl, (r) => r.rider! / mean(r.fair))!.median;
      process.stdout.write(
        `free-rider / fair mean: shoal ${rider("shoal").toFixed(2)} vs libtorrent ${rider("libtorrent").toFixed(2)} ` +
          `(target: shoal ≥ libtorrent: ${rider("shoal") >= rider("libtorrent") ? "met" : "NOT met"})\n`,
      );
    }
  }
  if (trace) {
    // Each phase's median over the runs: where T - T_min went, run to run.
    for (const impl of impls) {
      const rs = (results[impl] ?? []).flatMap((r) => (r.trace ? [r.trace.phases] : []));
      if (rs.length === 0) continue;
      const med = (f: (p: TracePhases) => number) => summarize(rs.map(f)).median;
      process.stdout.write(
        `${impl}, median of ${rs.length} run(s): ${formatPhases({
          startup: med((p) => p.startup),
          ramp: med((p) => p.ramp),
          steady: med((p) => p.steady),
          tail: med((p) => p.tail),
          excessBytes: med((p) => p.excessBytes),
        })}\n`,
      );
    }
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}

function mean(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}
