/**
 * Redis's cost per announce of the Redis swarm store (issue 19), counted in
 * instructions: a redis-server of this benchmark's own runs under
 * valgrind's callgrind (loopback, nothing saved), the store fills it with
 * peers, and then batches of re-announces (same status, same address, as
 * most announces are) go to it; callgrind counts what Redis executes for
 * them and nothing else (its instrumentation is on only around them).
 *
 *   node bench/redis-instructions.ts [--peers 50000] [--torrents 5000]
 *     [--calls 100] [--batches 4,56]
 *
 * Instructions do not depend on the machine's load, so two versions of the
 * announce code can be compared on a busy machine. The reference, measured
 * in the same run: the same code as a script (EVALSHA) on a Redis whose
 * FUNCTION and FCALL are renamed away, as on Redis 6; printed as function ÷
 * script per batch size. Small batches show a call's fixed cost. It also
 * prints Redis's used_memory per peer after the fill (INFO memory, less the
 * empty Redis's) and the encoding of a swarm's hash (listpack while every
 * value is at most 64 bytes).
 */
import { execFileSync } from "node:child_process";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { RedisSwarmStore, type SharedAnnounce } from "../src/tracker-server/index.ts";
import { freePort, ServerProcess, stopAllServers } from "./lib/server-process.ts";
import { fixed, formatTable, grouped } from "./lib/table.ts";

type Mode = "function" | "script";
const WITHOUT_FUNCTIONS = ["--rename-command", "FUNCTION", "", "--rename-command", "FCALL", ""];

function has(program: string): boolean {
  try {
    execFileSync(program, ["--version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

function announceOf(p: number, torrents: number): SharedAnnounce {
  // A third seeders, as in bench/tracker.ts's swarms.
  const left = p % 3 === 0 ? 0 : 1000;
  return {
    infoHash: `ih${p % torrents}`.padEnd(20, "-"),
    update: {
      peerId: `pe${p}`.padEnd(20, "-"),
      owner: 0,
      ip4: 0x0a000000 + p,
      ip6: "",
      port: 6881,
      left,
      previousLeft: -2,
    },
    event: "none",
    want: 50,
    // A seeder is sent leechers only, as the announce handler asks.
    leechersOnly: left === 0,
    first: 4,
    second: 0,
    compact: true,
    registeredOnly: false,
  };
}

/** Sends `peers`' announces as one batch and waits for every reply. */
function batch(store: RedisSwarmStore, peers: number[], torrents: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let left = peers.length;
    for (const p of peers) {
      store.announceTo(announceOf(p, torrents), null, (_ctx, reply, err) => {
        if (reply === null) reject(err);
        else if (--left === 0) resolve();
      });
    }
  });
}

/** The instructions of the newest dump in `dir` (callgrind_annotate's total). */
async function newestDumpTotal(dir: string): Promise<number> {
  const dumps = (await readdir(dir)).filter((f) => /^cg\.out\.\d+$/.test(f));
  dumps.sort((a, b) => Number(a.split(".")[2]) - Number(b.split(".")[2]));
  const newest = dumps.at(-1);
  if (newest === undefined) throw new Error("callgrind wrote no dump");
  const text = execFileSync("callgrind_annotate", [join(dir, newest)], { encoding: "utf8" });
  const m = text.match(/([\d,]+) \(100\.0%\)\s+PROGRAM TOTALS/);
  if (!m) throw new Error("no total in callgrind's dump");
  return Number(m[1]!.replaceAll(",", ""));
}

/** Redis's used_memory (INFO memory), in bytes. */
async function usedMemory(store: RedisSwarmStore): Promise<number> {
  const info = await store.client.info("memory");
  const m = info.match(/^used_memory:(\d+)/m);
  if (!m) throw new Error("no used_memory in INFO memory");
  return Number(m[1]);
}

interface Measured {
  /** Instructions per re-announce, for each batch size. */
  perAnnounce: number[];
  /** used_memory after the fill less before it, per peer (bytes). */
  memoryPerPeer: number;
  /** OBJECT ENCODING of a swarm's hash after the fill. */
  swarmEncoding: string;
}

/** Instructions per re-announce for each batch size, in one Redis run under callgrind. */
async function measure(
  mode: Mode,
  opts: { peers: number; torrents: number; calls: number; batches: number[] },
): Promise<Measured> {
  const dir = await mkdtemp(join(tmpdir(), `shoal-redis-cg-${mode}-`));
  const port = await freePort();
  const redis = new ServerProcess({
    name: `redis-server under callgrind (${mode})`,
    command: "valgrind",
    args: [
      "--tool=callgrind",
      "--instr-atstart=no",
      `--callgrind-out-file=${join(dir, "cg.out")}`,
      "redis-server",
      "--port",
      String(port),
      "--bind",
      "127.0.0.1",
      "--dir",
      dir,
      "--save",
      "",
      "--appendonly",
      "no",
      ...(mode === "script" ? WITHOUT_FUNCTIONS : []),
    ],
    cwd: dir,
    timeoutMs: 20 * 60_000,
  });
  const store = new RedisSwarmStore({
    url: `redis://127.0.0.1:${port}/0`,
    expiryMs: 3_600_000,
    maxSwarms: opts.torrents * 2,
    maxPeersPerSwarm: 10_000,
    batchWindowMs: 1,
    // Redis under callgrind runs some 50 times slower.
    commandTimeoutMs: 60_000,
  });
  try {
    await redis.waitForLine(/Ready to accept connections/, 120_000);
    if (!(await store.connect(60_000))) throw new Error("could not connect to redis-server");
    const empty = await usedMemory(store);
    for (let s = 0; s < opts.peers; s += 200) {
      const peers = Array.from({ length: Math.min(200, opts.peers - s) }, (_, i) => s + i);
      await batch(store, peers, opts.torrents);
    }
    const memoryPerPeer = ((await usedMemory(store)) - empty) / opts.peers;
    const swarmKey = Buffer.concat([
      Buffer.from(`${store.prefix}p:`),
      Buffer.from(announceOf(0, opts.torrents).infoHash, "latin1"),
    ]);
    const swarmEncoding = String(await store.client.call("OBJECT", "ENCODING", swarmKey));
    const expected = mode === "function" ? "FCALL" : "EVALSHA";
    if (store.scriptCall !== expected)
      throw new Error(`${mode}: the store called ${store.scriptCall}`);
    const control = (...args: string[]) =>
      execFileSync("callgrind_control", [...args, String(redis.pid)], { stdio: "ignore" });
    const out: number[] = [];
    let seed = 1;
    const random = () => {
      seed = (seed * 48271) % 2147483647;
      return seed / 2147483647;
    };
    for (const size of opts.batches) {
      const calls = Array.from({ length: opts.calls }, () =>
        Array.from({ length: size }, () => Math.floor(random() * opts.peers)),
      );
      control("-z");
      control("-i", "on");
      for (const peers of calls) await batch(store, peers, opts.torrents);
      control("-i", "off");
      control("-d");
      out.push((await newestDumpTotal(dir)) / (opts.calls * size));
    }
    return { perAnnounce: out, memoryPerPeer, swarmEncoding };
  } finally {
    await store.close();
    await redis.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      peers: { type: "string", default: "50000" },
      torrents: { type: "string", default: "5000" },
      calls: { type: "string", default: "100" },
      batches: { type: "string", default: "4,56" },
    },
  });
  const whole = (name: string, v: string, max: number) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1 || n > max) throw new Error(`--${name}: 1 to ${max}`);
    return n;
  };
  const opts = {
    peers: whole("peers", values.peers, 1_000_000),
    torrents: whole("torrents", values.torrents, 100_000),
    calls: whole("calls", values.calls, 10_000),
    batches: values.batches.split(",").map((b) => whole("batches", b, 256)),
  };
  for (const program of ["valgrind", "redis-server"]) {
    if (!has(program)) throw new Error(`${program} is needed (apt-get install ${program})`);
  }
  const fn = await measure("function", opts);
  const script = await measure("script", opts);
  console.log(
    `Redis instructions per re-announce (callgrind): ${grouped(opts.peers)} peers in ` +
      `${grouped(opts.torrents)} swarms, ${opts.calls} calls per batch size`,
  );
  console.log(
    formatTable(
      ["announces per call", "function (FCALL)", "script (EVALSHA)", "function ÷ script"],
      opts.batches.map((size, i) => [
        String(size),
        grouped(Math.round(fn.perAnnounce[i]!)),
        grouped(Math.round(script.perAnnounce[i]!)),
        fixed(fn.perAnnounce[i]! / script.perAnnounce[i]!, 3),
      ]),
    ),
  );
  console.log(
    `Redis used_memory per peer after the fill: ${fixed(fn.memoryPerPeer, 1)} bytes ` +
      `(a swarm's hash: ${fn.swarmEncoding})`,
  );
}

main()
  .catch((err: unknown) => {
    console.error(`redis-instructions: ${(err as Error)?.message ?? String(err)}`);
    process.exitCode = 1;
  })
  .finally(() => stopAllServers());
