/**
 * Issue 16's daemon benchmark: shoal's daemon against transmission-daemon
 * in the same run, each with the same N small generated torrents, all
 * seeding (their data in the download folder), and no peers (no trackers,
 * DHT, LPD or PEX). For each daemon:
 *
 * - start-up: the daemon is stopped and started again, and timed from the
 *   spawn to every torrent seeding (polled over its API every 10 ms), with
 *   the CPU seconds the daemon had used by then (/proc/<pid>/stat, every
 *   thread): less moved by a loaded machine than the wall time;
 * - RSS after the idle period (VmRSS, not the peak), with its anonymous
 *   part (V8's heap, malloc, stacks) and its file-backed part (the pages of
 *   the Node binary and libraries it touched), and CPU seconds over the idle
 *   period (/proc/<pid>/stat), the daemon left alone;
 * - p50/p99 latency of listing all N torrents: shoal's `GET /api/v1/torrents`
 *   and its Transmission RPC `torrent-get`, and transmission-daemon's
 *   `torrent-get`, with the fields `transmission-remote -l` asks for;
 * - RSS again after those lists (what a daemon being polled holds: the
 *   lists' garbage grows a heap that the idle figure does not show).
 *
 * With --runs N, each daemon is restarted and measured N times (the torrents
 * added once): each figure is then the median with the runs' min–max, and
 * the ratio is of the medians (a shared machine moves single runs by tens
 * of per cent).
 *
 * The daemons run one after the other (not competing for the CPU), on
 * loopback ports, transmission-daemon in the foreground with its own config
 * folder (never as a system service). Targets (issue 16): start-up, idle CPU
 * and list latency at least as good as transmission-daemon's; RSS ≤ 64 MiB.
 *
 * Usage: node bench/daemon.ts [--torrents 1000] [--idle 60] [--rounds 200] [--runs 1]
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { poll, requireWholeNumbers } from "./lib/options.ts";
import { cpuSeconds, memory } from "./lib/proc.ts";
import { makeSeedTorrents } from "./lib/seed-torrents.ts";
import { freePort, ServerProcess, stopAllServers } from "./lib/server-process.ts";
import { percentileOfSorted, summarize } from "./lib/stats.ts";
import { fixed, formatTable } from "./lib/table.ts";

/**
 * As users start it: the `shoal` command (bin/shoal, the npm bin) sets the
 * daemon's memory settings and runs bin/shoal.js, which turns on Node's
 * compile cache; it execs Node, so its PID is the daemon's.
 */
const SHOAL = resolve(import.meta.dirname, "../bin/shoal");
/** The fields transmission-remote -l asks for (Transmission 3.00's list_keys). */
const LIST_FIELDS = [
  "error",
  "errorString",
  "eta",
  "id",
  "isFinished",
  "leftUntilDone",
  "name",
  "peersGettingFromUs",
  "peersSendingToUs",
  "rateDownload",
  "rateUpload",
  "sizeWhenDone",
  "status",
  "uploadRatio",
];

const { values } = parseArgs({
  options: {
    torrents: { type: "string", default: "1000" },
    idle: { type: "string", default: "60" },
    rounds: { type: "string", default: "200" },
    runs: { type: "string", default: "1" },
  },
});
const N = Number(values.torrents);
const IDLE_S = Number(values.idle);
const ROUNDS = Number(values.rounds);
const RUNS = Number(values.runs);
requireWholeNumbers("bench/daemon.ts", [
  ["--torrents", N, 20_000],
  ["--idle", IDLE_S, 3600],
  ["--rounds", ROUNDS, 100_000],
  ["--runs", RUNS, 20],
]);

const work = mkdtempSync(join(tmpdir(), "shoal-bench-daemon-"));
const content = join(work, "content");
mkdirSync(content);

async function post(
  url: string,
  body: string | Buffer,
  headers: Record<string, string>,
): Promise<Response> {
  return fetch(url, { method: "POST", body, headers, signal: AbortSignal.timeout(30_000) });
}

/** Transmission's RPC with the session-id exchange; `rpc(method, args)` → arguments. */
function rpcClient(url: string) {
  let sessionId = "";
  return async function rpc(
    method: string,
    args: Record<string, unknown>,
  ): Promise<Record<string, unknown>> {
    for (let attempt = 0; attempt < 3; attempt++) {
      const res = await post(url, JSON.stringify({ method, arguments: args }), {
        "content-type": "application/json",
        "x-transmission-session-id": sessionId,
      });
      if (res.status === 409) {
        sessionId = res.headers.get("x-transmission-session-id") ?? "";
        await res.arrayBuffer();
        continue;
      }
      const body = (await res.json()) as { result: string; arguments: Record<string, unknown> };
      if (body.result !== "success") throw new Error(`${method}: ${body.result}`);
      return body.arguments;
    }
    throw new Error(`${method}: no session id`);
  };
}

async function latencies(run: () => Promise<unknown>): Promise<{ p50: number; p99: number }> {
  for (let i = 0; i < 5; i++) await run(); // warm-up
  const samples: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const t0 = performance.now();
    await run();
    samples.push(performance.now() - t0);
  }
  samples.sort((a, b) => a - b);
  return { p50: percentileOfSorted(samples, 50), p99: percentileOfSorted(samples, 99) };
}

/** One run's figures. */
interface Figures {
  startupS: number;
  startupCpuS: number;
  rssMiB: number;
  anonMiB: number;
  fileMiB: number;
  idleCpuS: number;
  rssAfterListsMiB: number;
  list: { p50: number; p99: number };
  rpc: { p50: number; p99: number };
}

/**
 * Starts the daemon RUNS times (its torrents added before), each time
 * timed until `allSeeding`, left idle, its lists timed, then stopped.
 */
async function measureRuns(
  name: string,
  start: () => ServerProcess,
  allSeeding: () => Promise<boolean>,
  lists: () => Promise<Pick<Figures, "list" | "rpc">>,
): Promise<Figures[]> {
  const out: Figures[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    const daemon = start();
    await poll(`${name}: all seeding again`, allSeeding, 300_000);
    const startupS = (performance.now() - t0) / 1000;
    const startupCpuS = cpuSeconds(daemon.pid);
    const idle = await idleFigures(daemon.pid);
    const lat = await lists();
    const rssAfterListsMiB = mib(memory(daemon.pid).rss);
    await daemon.stop(30_000);
    out.push({ startupS, startupCpuS, ...idle, ...lat, rssAfterListsMiB });
  }
  return out;
}

const mib = (bytes: number) => bytes / 1024 / 1024;

async function idleFigures(
  pid: number,
): Promise<Pick<Figures, "rssMiB" | "anonMiB" | "fileMiB" | "idleCpuS">> {
  const before = cpuSeconds(pid);
  await new Promise((r) => setTimeout(r, IDLE_S * 1000));
  const idleCpuS = cpuSeconds(pid) - before;
  const m = memory(pid);
  return { rssMiB: mib(m.rss), anonMiB: mib(m.anonymous), fileMiB: mib(m.fileBacked), idleCpuS };
}

async function benchShoal(torrents: Buffer[]): Promise<Figures[]> {
  const dir = join(work, "shoal");
  const apiPort = await freePort();
  const peerPort = await freePort();
  const config = join(dir, "config.toml");
  mkdirSync(dir);
  writeFileSync(
    config,
    // No peer sources, as transmission-daemon's settings below (LSD is off unless set).
    `download-dir = "${content}"\n[peer]\naddress = "127.0.0.1"\npex = false\ndht = false\n[log]\nlevel = "warn"\n`,
  );
  const args = [
    "daemon",
    "--config",
    config,
    "--data-dir",
    join(dir, "data"),
    "--port",
    String(peerPort),
    "--api-port",
    String(apiPort),
  ];
  const base = `http://127.0.0.1:${apiPort}`;
  const start = () =>
    new ServerProcess({
      name: "shoal daemon",
      command: SHOAL,
      args,
      timeoutMs: (IDLE_S + 600) * 1000,
    });
  const allSeeding = async () => {
    const res = await fetch(`${base}/api/v1/torrents?fields=state`);
    const list = (await res.json()) as { state: string }[];
    return list.length === N && list.every((t) => t.state === "seeding");
  };
  const daemon = start();
  await poll("shoal's API", async () => (await fetch(`${base}/api/v1/session`)).ok, 30_000);
  for (const t of torrents) {
    const res = await post(`${base}/api/v1/torrents`, t, {
      "content-type": "application/x-bittorrent",
    });
    if (res.status !== 201) throw new Error(`shoal add: HTTP ${res.status} ${await res.text()}`);
  }
  await poll("shoal: all seeding", allSeeding, 300_000);
  await daemon.stop(30_000);

  return measureRuns("shoal", start, allSeeding, async () => {
    const list = await latencies(async () =>
      (await fetch(`${base}/api/v1/torrents`)).arrayBuffer(),
    );
    const rpc = rpcClient(`${base}/transmission/rpc`);
    return { list, rpc: await latencies(() => rpc("torrent-get", { fields: LIST_FIELDS })) };
  });
}

async function benchTransmission(torrents: Buffer[]): Promise<Figures[]> {
  const dir = join(work, "transmission");
  mkdirSync(dir);
  const rpcPort = await freePort();
  const peerPort = await freePort();
  writeFileSync(
    join(dir, "settings.json"),
    JSON.stringify({
      "bind-address-ipv4": "127.0.0.1",
      "bind-address-ipv6": "::1",
      "dht-enabled": false,
      "lpd-enabled": false,
      "pex-enabled": false,
      "utp-enabled": false,
      "port-forwarding-enabled": false,
      "peer-port": peerPort,
      "peer-port-random-on-start": false,
      "download-dir": content,
      "incomplete-dir-enabled": false,
      "rpc-bind-address": "127.0.0.1",
      "rpc-port": rpcPort,
      "rpc-authentication-required": false,
      "rpc-whitelist-enabled": true,
      "rpc-whitelist": "127.0.0.1",
      "rpc-host-whitelist-enabled": false,
      "start-added-torrents": true,
      "message-level": 1,
      "blocklist-enabled": false,
      "download-queue-enabled": false,
      "seed-queue-enabled": false,
      "queue-stalled-enabled": false,
      "speed-limit-up-enabled": false,
      "ratio-limit-enabled": false,
      "idle-seeding-limit-enabled": false,
    }),
  );
  const start = () =>
    new ServerProcess({
      name: "transmission-daemon",
      command: "transmission-daemon",
      args: ["-f", "-g", dir],
      timeoutMs: (IDLE_S + 600) * 1000,
    });
  const rpc = rpcClient(`http://127.0.0.1:${rpcPort}/transmission/rpc`);
  const allSeeding = async () => {
    const got = (await rpc("torrent-get", { fields: ["status"] })) as {
      torrents: { status: number }[];
    };
    return got.torrents.length === N && got.torrents.every((t) => t.status === 6);
  };
  const daemon = start();
  await poll("transmission's RPC", async () => Boolean(await rpc("session-get", {})), 30_000);
  for (const t of torrents)
    await rpc("torrent-add", { metainfo: t.toString("base64"), "download-dir": content });
  await poll("transmission: all seeding", allSeeding, 300_000);
  await daemon.stop(30_000);

  return measureRuns("transmission", start, allSeeding, async () => {
    const lat = await latencies(() => rpc("torrent-get", { fields: LIST_FIELDS }));
    return { list: lat, rpc: lat };
  });
}

const haveTransmission = spawnSync("transmission-daemon", ["-V"]).error === undefined;

try {
  process.stdout.write(
    `${N} seeding torrents, no peers; idle ${IDLE_S} s; ${ROUNDS} list requests each; ${RUNS} run(s)\n`,
  );
  const torrents = makeSeedTorrents(N, content);
  const shoal = await benchShoal(torrents);
  const trans = haveTransmission ? await benchTransmission(torrents) : undefined;
  const median = (runs: Figures[], pick: (f: Figures) => number) =>
    summarize(runs.map(pick)).median;
  /** The median, and with several runs their min–max. */
  const figure = (runs: Figures[] | undefined, pick: (f: Figures) => number, digits: number) => {
    if (!runs) return "—";
    const s = summarize(runs.map(pick));
    const m = fixed(s.median, digits);
    return runs.length === 1 ? m : `${m} (${fixed(s.min, digits)}–${fixed(s.max, digits)})`;
  };
  const ratio = (pick: (f: Figures) => number, ref = pick) =>
    trans ? `${fixed(median(shoal, pick) / median(trans, ref), 2)}×` : "";
  const latency = (
    runs: Figures[] | undefined,
    pick: (f: Figures) => { p50: number; p99: number },
  ) =>
    runs
      ? `${figure(runs, (f) => pick(f).p50, 1)} / ${fixed(
          median(runs, (f) => pick(f).p99),
          1,
        )}`
      : "—";
  const startup = (f: Figures) => f.startupS;
  const rss = (f: Figures) => f.rssMiB;
  const idle = (f: Figures) => f.idleCpuS;
  const rows = [
    [
      "start-up to all seeding (s)",
      figure(shoal, startup, 2),
      figure(trans, startup, 2),
      ratio(startup),
    ],
    [
      "  CPU used by then (s)",
      figure(shoal, (f) => f.startupCpuS, 2),
      figure(trans, (f) => f.startupCpuS, 2),
      ratio((f) => f.startupCpuS),
    ],
    ["RSS after idle (MiB)", figure(shoal, rss, 1), figure(trans, rss, 1), ratio(rss)],
    [
      "  of it anonymous / file-backed (MiB)",
      `${figure(shoal, (f) => f.anonMiB, 1)} / ${figure(shoal, (f) => f.fileMiB, 1)}`,
      `${figure(trans, (f) => f.anonMiB, 1)} / ${figure(trans, (f) => f.fileMiB, 1)}`,
      "",
    ],
    [
      "RSS after the list requests (MiB)",
      figure(shoal, (f) => f.rssAfterListsMiB, 1),
      figure(trans, (f) => f.rssAfterListsMiB, 1),
      ratio((f) => f.rssAfterListsMiB),
    ],
    [`CPU over ${IDLE_S} s idle (s)`, figure(shoal, idle, 2), figure(trans, idle, 2), ratio(idle)],
    ["list all: shoal /api/v1/torrents p50/p99 (ms)", latency(shoal, (f) => f.list), "", ""],
    [
      "list all: RPC torrent-get p50/p99 (ms)",
      latency(shoal, (f) => f.rpc),
      latency(trans, (f) => f.rpc),
      ratio((f) => f.rpc.p50),
    ],
    [
      "list all: /api/v1/torrents vs its torrent-get, p50",
      figure(shoal, (f) => f.list.p50, 1),
      figure(trans, (f) => f.rpc.p50, 1),
      ratio(
        (f) => f.list.p50,
        (f) => f.rpc.p50,
      ),
    ],
  ];
  if (RUNS > 1) {
    process.stdout.write(
      `${RUNS} runs each: median (min–max); p99 is the runs' median; ratios of the medians\n`,
    );
  }
  process.stdout.write(
    `${formatTable(["figure", "shoal", "transmission-daemon", "shoal ÷ transmission"], rows)}\n`,
  );
  if (!haveTransmission)
    process.stdout.write("transmission-daemon is not installed: no reference this run\n");
  process.stdout.write(
    "targets: start-up, idle CPU and list latency ≤ transmission-daemon's; RSS ≤ 64 MiB\n",
  );
} finally {
  await stopAllServers();
  rmSync(work, { recursive: true, force: true });
}
