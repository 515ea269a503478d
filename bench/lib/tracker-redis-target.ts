/**
 * shoal's tracker on a shared Redis store as a benchmark target (issue 19):
 * a redis-server of the benchmark's own (loopback, a temp dir, nothing saved)
 * and one or more `shoal tracker --store redis://…` instances on it, each on
 * its own port. Every process is a ServerProcess, so it is ended by its PID
 * whatever happens; the tracker instances come first in `servers`, Redis last.
 */
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { Redis } from "ioredis";
import { freePort, ServerProcess } from "./server-process.ts";
import type { TargetStart } from "./tracker-targets.ts";

const REPO_ROOT = resolve(fileURLToPath(new URL("../..", import.meta.url)));
const SHOAL_CLI = join(REPO_ROOT, "bin", "shoal.js");
/** Every instance of one benchmark run shares it (UDP connection ids, peer owners). */
const BENCH_SECRET = "shoal-benchmark-shared-secret";

export interface RedisTarget {
  servers: ServerProcess[];
  /** The instances' ports, start.port first. */
  ports: number[];
  redisPort: number;
}

/** What Redis says of its script calls (INFO commandstats): the announce script's share. */
export interface ScriptCallStats {
  calls: number;
  /** Redis's own time in the calls (µs), as it measures it. */
  usec: number;
}

/** Zeroes Redis's command statistics (before the timed load). */
export async function resetRedisStats(redisPort: number): Promise<void> {
  const client = new Redis({ port: redisPort, host: "127.0.0.1", lazyConnect: true });
  try {
    await client.connect();
    await client.config("RESETSTAT");
  } finally {
    client.disconnect();
  }
}

/**
 * The script calls since the last reset: FCALL (the announce function on
 * Redis 7) and EVALSHA (the announce script on an older Redis; expiry).
 */
export async function redisScriptStats(redisPort: number): Promise<ScriptCallStats> {
  const client = new Redis({ port: redisPort, host: "127.0.0.1", lazyConnect: true });
  try {
    await client.connect();
    const lines = (await client.info("commandstats")).split(/\r?\n/);
    const stats = { calls: 0, usec: 0 };
    for (const command of ["fcall", "evalsha"]) {
      const line = lines.find((l) => l.startsWith(`cmdstat_${command}:`)) ?? "";
      const field = (name: string) => Number(line.match(new RegExp(`${name}=(\\d+)`))?.[1] ?? 0);
      stats.calls += field("calls");
      stats.usec += field("usec");
    }
    return stats;
  } finally {
    client.disconnect();
  }
}

/**
 * `spread`: each instance and Redis on a core of its own (instance i on core
 * 1 + i, Redis after them; the generator keeps core 0), where the machine
 * has that many cores; else every process on start.cores.
 */
export async function startRedisTarget(
  instances: number,
  start: TargetStart,
  waitForAnnounceable: (server: ServerProcess, port: number) => Promise<void>,
  spread = false,
): Promise<RedisTarget> {
  const coreOf = (i: number) => (spread && start.cores !== undefined ? String(1 + i) : start.cores);
  const redisPort = await freePort();
  const redis = new ServerProcess({
    name: "redis-server",
    command: "redis-server",
    args: [
      "--port",
      String(redisPort),
      "--bind",
      "127.0.0.1",
      "--dir",
      start.workDir,
      "--save",
      "",
      "--appendonly",
      "no",
      "--logfile",
      "",
    ],
    cwd: start.workDir,
    cores: coreOf(instances),
    timeoutMs: start.timeoutMs,
  });
  await redis.waitForLine(/Ready to accept connections/, 15_000);
  const ports = [start.port];
  while (ports.length < instances) ports.push(await freePort());
  const trackers: ServerProcess[] = [];
  for (const [i, port] of ports.entries()) {
    const server = new ServerProcess({
      name: `shoal tracker (redis) :${port}`,
      command: process.execPath,
      args: [
        ...start.nodeFlags,
        SHOAL_CLI,
        "tracker",
        "--port",
        String(port),
        "--host",
        "127.0.0.1",
        "--store",
        `redis://127.0.0.1:${redisPort}/0`,
        "--shared-secret",
        BENCH_SECRET,
        "--log-level",
        "warn",
      ],
      cwd: start.workDir,
      cores: coreOf(i),
      timeoutMs: start.timeoutMs,
    });
    trackers.push(server);
    await server.waitForLine(/listening/i, 15_000);
    await waitForAnnounceable(server, port);
  }
  return { servers: [...trackers, redis], ports, redisPort };
}
