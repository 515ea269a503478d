/**
 * How fast `shoal create` hashes a large file, next to mktorrent (threaded,
 * OpenSSL) on the same file, the same piece size and a warm page cache.
 * Both run as child processes the way a user runs them, alternating, best of
 * N runs each; CPU seconds come from /usr/bin/time. Also times the library
 * call in this process, which shows what process start-up costs.
 *
 * Usage: node bench/create.ts [--size 1GiB] [--runs 3] [--piece-size 1MiB]
 * (or SHOAL_BENCH_CREATE_SIZE / SHOAL_BENCH_CREATE_RUNS). The file lives in a
 * temporary folder under os.tmpdir(), removed at the end.
 */
import { spawn, spawnSync } from "node:child_process";
import { randomFillSync } from "node:crypto";
import {
  closeSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readSync,
  rmSync,
  writeSync,
} from "node:fs";
import { availableParallelism, cpus, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { autoPieceLength, createTorrent, parseMetainfo } from "../src/metainfo/index.ts";
import { formatBytes, parseSize } from "../src/util/index.ts";
import { fixed, formatTable } from "./lib/table.ts";

const REPO = resolve(import.meta.dirname, "..");
const SHOAL = join(REPO, "bin", "shoal.js");
const TRACKER = "http://127.0.0.1:6969/announce";

const { values } = parseArgs({
  options: {
    size: { type: "string" },
    runs: { type: "string" },
    "piece-size": { type: "string" },
  },
});
const size = parseSize(values.size ?? process.env.SHOAL_BENCH_CREATE_SIZE ?? "1GiB");
const runs = Number(values.runs ?? process.env.SHOAL_BENCH_CREATE_RUNS ?? 3);
if (size === undefined || size < 1) throw new Error(`--size: not a size: ${values.size}`);
if (!Number.isInteger(runs) || runs < 1 || runs > 50) throw new Error("--runs: 1 to 50");
const pieceLength =
  values["piece-size"] !== undefined ? parseSize(values["piece-size"]) : autoPieceLength(size);
if (pieceLength === undefined || (pieceLength & (pieceLength - 1)) !== 0 || pieceLength < 16384) {
  throw new Error("--piece-size: a power of two of at least 16KiB");
}
const exponent = Math.log2(pieceLength);

function which(tool: string): boolean {
  return spawnSync("sh", ["-c", `command -v ${tool}`], { stdio: "ignore" }).status === 0;
}
const haveTime = which("/usr/bin/time");
const haveMktorrent = which("mktorrent");

interface Timing {
  wallSeconds: number;
  cpuSeconds: number;
}

/** Runs a command to completion; wall time measured here, CPU (user+sys) by /usr/bin/time. */
function timed(command: string, args: string[], timeFile: string): Promise<Timing> {
  const argv = haveTime ? ["-f", "%U %S", "-o", timeFile, command, ...args] : args;
  const program = haveTime ? "/usr/bin/time" : command;
  return new Promise((ok, fail) => {
    const started = performance.now();
    const child = spawn(program, argv, { stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    const limit = setTimeout(() => child.kill("SIGKILL"), 600_000);
    child.on("error", fail);
    child.on("close", (code) => {
      clearTimeout(limit);
      const wallSeconds = (performance.now() - started) / 1000;
      if (code !== 0) return fail(new Error(`${command} exited with ${code}: ${stderr.trim()}`));
      let cpuSeconds = Number.NaN;
      if (haveTime) {
        const [user, sys] = readFileSync(timeFile, "utf8").trim().split("\n").at(-1)!.split(" ");
        cpuSeconds = Number(user) + Number(sys);
      }
      ok({ wallSeconds, cpuSeconds });
    });
  });
}

/** Writes `bytes` of incompressible data, 16 MiB at a time. */
function makeFile(path: string, bytes: number): void {
  const fd = openSync(path, "w");
  const chunk = Buffer.allocUnsafe(16 * 1024 * 1024);
  try {
    for (let written = 0; written < bytes; ) {
      const n = Math.min(chunk.length, bytes - written);
      randomFillSync(chunk, 0, n);
      writeSync(fd, chunk, 0, n);
      written += n;
    }
  } finally {
    closeSync(fd);
  }
}

/** Reads the whole file once so every timed run starts from a warm page cache. */
function warmCache(path: string): void {
  const fd = openSync(path, "r");
  const buf = Buffer.allocUnsafe(8 * 1024 * 1024);
  try {
    while (readSync(fd, buf) > 0) {}
  } finally {
    closeSync(fd);
  }
}

const dir = mkdtempSync(join(tmpdir(), "shoal-bench-create-"));
const cleanup = () => rmSync(dir, { recursive: true, force: true });
process.once("SIGINT", () => {
  cleanup();
  process.exit(130);
});

try {
  const file = join(dir, "data.bin");
  process.stdout.write(
    `create: ${formatBytes(size)} file, piece length ${formatBytes(pieceLength)} (2^${exponent}), ` +
      `best of ${runs}, ${availableParallelism()} cores (${cpus()[0]?.model.trim() ?? "?"})\n`,
  );
  makeFile(file, size);
  warmCache(file);

  const shoalOut = join(dir, "shoal.torrent");
  const mkOut = join(dir, "mktorrent.torrent");
  const timeFile = join(dir, "time.txt");
  const shoalArgs = [SHOAL, "create", file, "-t", TRACKER, "--piece-size", String(pieceLength)];
  shoalArgs.push("--no-date", "--force", "-o", shoalOut);
  const best: Record<string, Timing> = {};
  const keep = (name: string, t: Timing) => {
    const prev = best[name];
    if (!prev || t.wallSeconds < prev.wallSeconds) best[name] = t;
  };

  // The CLI keeps Node's compile cache (type-stripped, compiled modules) between
  // runs, as it does for a user; one untimed run warms it and the page cache.
  await timed(process.execPath, shoalArgs, timeFile);

  for (let i = 0; i < runs; i++) {
    // Alternate which goes first, so neither always inherits the other's cache state.
    const order = i % 2 === 0 ? ["shoal", "mktorrent"] : ["mktorrent", "shoal"];
    for (const name of order) {
      if (name === "shoal") {
        keep("shoal create (CLI)", await timed(process.execPath, shoalArgs, timeFile));
      } else if (haveMktorrent) {
        rmSync(mkOut, { force: true });
        const mkArgs = ["-d", "-l", String(exponent), "-a", TRACKER, "-o", mkOut, file];
        keep("mktorrent", await timed("mktorrent", mkArgs, timeFile));
      }
    }
    const cpuBefore = process.cpuUsage();
    const started = performance.now();
    await createTorrent(file, { pieceLength, trackers: [[TRACKER]], creationDate: null });
    const wallSeconds = (performance.now() - started) / 1000;
    const cpu = process.cpuUsage(cpuBefore);
    keep("shoal createTorrent (in-process)", {
      wallSeconds,
      cpuSeconds: (cpu.user + cpu.system) / 1e6,
    });
  }

  const mbps = (t: Timing) => size / 1e6 / t.wallSeconds;
  const rows = Object.entries(best).map(([name, t]) => [
    name,
    fixed(t.wallSeconds, 3),
    fixed(mbps(t), 0),
    fixed(t.cpuSeconds, 2),
  ]);
  process.stdout.write(`${formatTable(["program", "best s", "MB/s", "CPU s"], rows)}\n`);
  const ours = best["shoal create (CLI)"]!;
  const theirs = best.mktorrent;
  if (theirs) {
    const inProcess = best["shoal createTorrent (in-process)"]!;
    process.stdout.write(
      `ratio shoal/mktorrent (MB/s): CLI ${fixed(mbps(ours) / mbps(theirs), 2)}, ` +
        `in-process ${fixed(mbps(inProcess) / mbps(theirs), 2)}\n`,
    );
    const a = parseMetainfo(readFileSync(shoalOut)).infoHashHex;
    const b = parseMetainfo(readFileSync(mkOut)).infoHashHex;
    process.stdout.write(
      `info hashes agree: ${a === b ? "yes" : "NO"} (${a}${a === b ? "" : ` vs ${b}`})\n`,
    );
    if (a !== b) process.exitCode = 1;
  } else {
    process.stdout.write(
      "mktorrent is not installed (apt-get install mktorrent): no reference figure\n",
    );
  }
  if (!haveTime) process.stdout.write("/usr/bin/time is not installed: CPU seconds not measured\n");
} finally {
  cleanup();
}
