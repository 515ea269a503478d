/**
 * Where a shoal process's main-thread time went: a summary of the V8 CPU
 * profiles (`node --cpu-prof`) the transfer benchmark writes with
 * `--cpu-prof <dir>`. Self time is summed per function and per source file.
 * Work Node does off the main thread (libuv's pool: file writes, async
 * hashing) is not sampled; the gap shows as (idle) or (program).
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { fixed, formatTable } from "./table.ts";

const REPO = resolve(import.meta.dirname, "..", "..");

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

function shortUrl(url: string): string {
  if (url === "") return "";
  const path = url.startsWith("file://") ? new URL(url).pathname : url;
  return path.startsWith(REPO) ? relative(REPO, path) : path;
}

/** Self time in ms per function and per file, and the profile's length. */
export function summariseProfile(profile: CpuProfile): {
  totalMs: number;
  byFunction: Map<string, number>;
  byFile: Map<string, number>;
} {
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const byFunction = new Map<string, number>();
  const byFile = new Map<string, number>();
  for (let i = 0; i < profile.samples.length; i++) {
    // timeDeltas[i] is the time since the previous sample: charge it to this one.
    const ms = (profile.timeDeltas[i] ?? 0) / 1000;
    const frame = nodes.get(profile.samples[i]!)?.callFrame;
    if (!frame) continue;
    const file = shortUrl(frame.url);
    const name = frame.functionName || "(anonymous)";
    const fn = file ? `${name} ${file}:${frame.lineNumber + 1}` : name;
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + ms);
    const where = file || name;
    byFile.set(where, (byFile.get(where) ?? 0) + ms);
  }
  return { totalMs: (profile.endTime - profile.startTime) / 1000, byFunction, byFile };
}

function top(map: Map<string, number>, count: number, totalMs: number): string[][] {
  return [...map.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([name, ms]) => [name, fixed(ms, 0), fixed((100 * ms) / totalMs, 1)]);
}

/** A text report of every .cpuprofile under `dir` (one folder per process) written since `sinceMs`. */
export function reportProfiles(dir: string, sinceMs: number, count = 12): string {
  const out: string[] = [];
  let folders: string[];
  try {
    folders = readdirSync(dir).sort();
  } catch {
    return `no profiles in ${dir}`;
  }
  for (const folder of folders) {
    let files: string[];
    try {
      files = readdirSync(join(dir, folder)).filter(
        (f) => f.endsWith(".cpuprofile") && statSync(join(dir, folder, f)).mtimeMs >= sinceMs,
      );
    } catch {
      continue;
    }
    for (const file of files.sort()) {
      const path = join(dir, folder, file);
      const profile = JSON.parse(readFileSync(path, "utf8")) as CpuProfile;
      const { totalMs, byFunction, byFile } = summariseProfile(profile);
      out.push(`\n${folder} (${path}): ${fixed(totalMs / 1000, 2)} s sampled`);
      out.push(formatTable(["self time by function", "ms", "%"], top(byFunction, count, totalMs)));
      out.push(formatTable(["self time by file", "ms", "%"], top(byFile, 8, totalMs)));
    }
  }
  return out.length > 0 ? out.join("\n") : `no profiles in ${dir}`;
}
