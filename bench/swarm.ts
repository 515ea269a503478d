/**
 * bench/swarm.ts (issue 5): one seeder and N leechers, each with an upload
 * limit, all on loopback; the time until every leecher has the file, against
 * the lower bound T_min = max(F/u_s, N·F/(u_s + Σu_i)) (downloads unlimited),
 * for shoal peers and, in the same run, libtorrent peers in the same set-up.
 *
 * Usage: node bench/swarm.ts [--size 256MiB] [--leechers 8] [--seed-up 20MB]
 *                            [--leech-up 10MB] [--piece-size 256KiB] [--impls shoal,libtorrent]
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
import { LIBTORRENT_SWARM_PEER } from "./lib/swarm-libtorrent.ts";
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
  },
});
const size = parseSize(values.size)!;
const n = Number(values.leechers);
const seedUp = parseSize(values["seed-up"])!;
const leechUp = parseSize(values["leech-up"])!;
const pieceLength = parseSize(values["piece-size"])!;
const timeoutMs = Number(values["timeout-s"]) * 1000;
const impls = values.impls.split(",");
const REPO = resolve(import.meta.dirname, "..");
const PYTHON = "/usr/bin/python3";

const tMin = Math.max(size / seedUp, (n * size) / (seedUp + n * leechUp));

interface Peer {
  kill(): void;
  lines: string[];
  waitFor(re: RegExp, ms: number): Promise<RegExpMatchArray>;
}

function start(command: string, args: string[]): Peer {
  const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"] });
  const lines: string[] = [];
  const waiters: (() => void)[] = [];
  for (const stream of [child.stdout, child.stderr]) {
    stream.setEncoding("utf8").on("data", (d: string) => {
      lines.push(...d.split("\n").filter(Boolean));
      for (const w of waiters.splice(0)) w();
    });
  }
  const killer = setTimeout(() => child.kill("SIGKILL"), timeoutMs + 60_000);
  child.on("exit", () => {
    clearTimeout(killer);
    for (const w of waiters.splice(0)) w();
  });
  return {
    lines,
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

async function runSwarm(
  impl: string,
  dir: string,
  torrentPath: string,
  data: Buffer,
): Promise<number> {
  const ports = await freePorts(n + 1);
  const peers: Peer[] = [];
  try {
    const spawnPeer = (i: number) => {
      const peerDir = i === 0 ? join(dir, "seed") : join(dir, impl, `leecher${i}`);
      const cfg = {
        torrent: torrentPath,
        dir: peerDir,
        dataDir: join(dir, impl, `state${i}`),
        port: ports[i]!,
        uploadLimit: i === 0 ? seedUp : leechUp,
        peers: ports.filter((_, j) => j !== i),
        seconds: Math.ceil(timeoutMs / 1000) + 30,
      };
      return impl === "shoal"
        ? start(process.execPath, [join(REPO, "bench/lib/swarm-peer.ts"), JSON.stringify(cfg)])
        : start(PYTHON, ["-c", LIBTORRENT_SWARM_PEER, JSON.stringify(cfg)]);
    };
    const seeder = spawnPeer(0);
    peers.push(seeder);
    await seeder.waitFor(/^READY seed/, 120_000);
    const t0 = performance.now();
    for (let i = 1; i <= n; i++) peers.push(spawnPeer(i));
    await Promise.all(peers.slice(1).map((p) => p.waitFor(/^DONE/, timeoutMs)));
    const seconds = (performance.now() - t0) / 1000;
    for (let i = 1; i <= n; i++) {
      const got = await readFile(join(dir, impl, `leecher${i}`, "payload.bin"));
      if (!got.equals(data)) throw new Error(`${impl} leecher ${i} has different bytes`);
    }
    return seconds;
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
      `(up ${formatBytes(leechUp)}/s each), pieces of ${formatBytes(pieceLength)}; T_min = ${tMin.toFixed(2)} s\n`,
  );
  const rows: string[][] = [];
  const ratios: Record<string, number> = {};
  for (const impl of impls) {
    if (impl === "libtorrent" && !existsSync(PYTHON)) {
      process.stdout.write("libtorrent: /usr/bin/python3 not found, skipped\n");
      continue;
    }
    try {
      const t = await runSwarm(impl, dir, torrentPath, data);
      ratios[impl] = t / tMin;
      rows.push([impl, fixed(t, 2), fixed(t / tMin, 3), "all files verified"]);
    } catch (err) {
      rows.push([impl, "–", "–", `failed: ${(err as Error).message.slice(0, 120)}`]);
    }
    await rm(join(dir, impl), { recursive: true, force: true });
  }
  process.stdout.write(`${formatTable(["peers", "T s", "T/T_min", "check"], rows)}\n`);
  if (ratios.shoal && ratios.libtorrent) {
    process.stdout.write(
      `shoal T/T_min ${ratios.shoal.toFixed(3)} vs libtorrent ${ratios.libtorrent.toFixed(3)} ` +
        `(ratio ${(ratios.shoal / ratios.libtorrent).toFixed(2)}; target: shoal ≤ 1.15 and below libtorrent)\n`,
    );
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}
