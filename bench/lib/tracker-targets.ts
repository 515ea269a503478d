/**
 * The trackers bench/tracker.ts loads: shoal's own (its CLI), webtorrent's
 * bittorrent-tracker (through ./bittorrent-tracker-server.ts) and, where
 * installed, opentracker. Each runs as a child process listening for HTTP
 * and UDP on one port of 127.0.0.1, pinned to the server core.
 */
import { existsSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { ServerProcess } from "./server-process.ts";
import type { SwarmModel } from "./swarm-model.ts";

export type TargetName =
  | "shoal"
  | "shoal-redis"
  | "shoal-redis-half"
  | "shoal-redis-2"
  | "bittorrent-tracker"
  | "opentracker";
/** The targets run by default; --store redis adds the shoal-redis ones. */
export const TARGET_NAMES: TargetName[] = ["shoal", "bittorrent-tracker", "opentracker"];
export const ALL_TARGET_NAMES: TargetName[] = [
  "shoal",
  "shoal-redis",
  "shoal-redis-half",
  "shoal-redis-2",
  "bittorrent-tracker",
  "opentracker",
];

const REPO_ROOT = resolve(fileURLToPath(new URL("../..", import.meta.url)));
// The user's entry point: it keeps Node's compile cache, as a real deployment would.
const SHOAL_CLI = join(REPO_ROOT, "bin", "shoal.js");
const BT_LAUNCHER = join(REPO_ROOT, "bench", "lib", "bittorrent-tracker-server.ts");

export interface TargetStart {
  port: number;
  /** A fresh directory the server may use (data dir, chroot, whitelist). */
  workDir: string;
  cores?: string;
  model: SwarmModel;
  /** Extra Node flags for Node-based servers (e.g. --cpu-prof). */
  nodeFlags: string[];
  timeoutMs: number;
}

function findOnPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? "").split(":")) {
    if (dir && existsSync(join(dir, name))) return join(dir, name);
  }
  return undefined;
}

/** Why a target cannot run here, or undefined when it can. */
export function unavailable(target: TargetName): string | undefined {
  if (target === "opentracker" && !findOnPath("opentracker")) {
    return "opentracker is not installed (apt-get install opentracker)";
  }
  if (target.startsWith("shoal-redis") && !findOnPath("redis-server")) {
    return "redis-server is not installed (apt-get install redis-server)";
  }
  if (target === "bittorrent-tracker" && !existsSync(join(REPO_ROOT, "node_modules", target))) {
    return "bittorrent-tracker is not installed (npm ci)";
  }
  return undefined;
}

/**
 * Polls until an HTTP announce for a model torrent is answered without
 * failure, then withdraws the probe peer (event=stopped) so the swarm counts
 * stay the model's. opentracker loads its whitelist after it starts listening
 * and does not check it for a stopped event, so the probe must be a start.
 */
export async function waitForAnnounceable(
  server: ServerProcess,
  port: number,
  model: SwarmModel,
  timeoutMs: number,
): Promise<void> {
  const last = model.torrents - 1;
  const url =
    `http://127.0.0.1:${port}/announce?info_hash=${model.infoHashQuery[last]}` +
    "&peer_id=-SB0001-readinesspro&port=1&uploaded=0&downloaded=0&left=0&compact=1";
  const deadline = Date.now() + timeoutMs;
  let lastProblem = "no answer";
  while (Date.now() < deadline) {
    if (server.hasExited) throw new Error(`${server.name} exited:\n${server.tail()}`);
    try {
      const response = await fetch(`${url}&event=started`, { signal: AbortSignal.timeout(1000) });
      const body = Buffer.from(await response.arrayBuffer());
      if (response.status === 200 && body.indexOf("failure reason") < 0) {
        const stopped = await fetch(`${url}&event=stopped`, { signal: AbortSignal.timeout(1000) });
        await stopped.arrayBuffer();
        return;
      }
      lastProblem = `HTTP ${response.status}: ${body.toString("latin1", 0, 100)}`;
    } catch (err) {
      lastProblem = (err as Error).message;
    }
    await new Promise((ok) => setTimeout(ok, 100));
  }
  throw new Error(`${server.name} not ready after ${timeoutMs} ms (${lastProblem})`);
}

export async function startTarget(target: TargetName, start: TargetStart): Promise<ServerProcess> {
  const port = String(start.port);
  let server: ServerProcess;
  if (target === "opentracker") {
    // Debian builds opentracker with a whitelist (README.Debian): list every
    // benchmark torrent. -d chroots into the work dir, so the path is relative.
    const list = start.model.infoHashes.map((h) => h.toString("hex")).join("\n");
    await writeFile(join(start.workDir, "whitelist.txt"), `${list}\n`);
    server = new ServerProcess({
      name: "opentracker",
      command: "opentracker",
      args: ["-i", "127.0.0.1", "-p", port, "-P", port, "-d", start.workDir, "-w", "whitelist.txt"],
      cores: start.cores,
      timeoutMs: start.timeoutMs,
    });
  } else if (target === "bittorrent-tracker") {
    server = new ServerProcess({
      name: "bittorrent-tracker",
      command: process.execPath,
      args: [...start.nodeFlags, BT_LAUNCHER, port],
      cwd: REPO_ROOT,
      cores: start.cores,
      timeoutMs: start.timeoutMs,
    });
    await server.waitForLine(/listening/, 15_000);
  } else {
    const args = ["tracker", "--port", port, "--host", "127.0.0.1", "--data-dir", start.workDir];
    server = new ServerProcess({
      name: "shoal tracker",
      command: process.execPath,
      args: [...start.nodeFlags, SHOAL_CLI, ...args],
      cwd: start.workDir,
      cores: start.cores,
      timeoutMs: start.timeoutMs,
    });
    await server.waitForLine(/listening/i, 15_000);
  }
  await waitForAnnounceable(server, start.port, start.model, 15_000);
  return server;
}

/**
 * BEP 48 scrape of a few model torrents: how many hold exactly the peers the
 * model put there (a tracker that merges or drops peers fails this).
 */
export async function checkSwarms(
  port: number,
  model: SwarmModel,
  sample: number[],
): Promise<{ matching: number; detail: string }> {
  let matching = 0;
  const seen: string[] = [];
  for (const t of sample) {
    const url = `http://127.0.0.1:${port}/scrape?info_hash=${model.infoHashQuery[t]}`;
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
      const body = Buffer.from(await response.arrayBuffer()).toString("latin1");
      const complete = Number(body.match(/8:completei(\d+)e/)?.[1] ?? Number.NaN);
      const incomplete = Number(body.match(/10:incompletei(\d+)e/)?.[1] ?? Number.NaN);
      const count = complete + incomplete;
      if (count === model.swarmSize(t)) matching++;
      seen.push(`${count}/${model.swarmSize(t)}`);
    } catch (err) {
      seen.push(`scrape failed: ${(err as Error).message}`);
    }
  }
  return { matching, detail: seen.join(" ") };
}
