/**
 * What a benchmark reads about a server process from Linux's /proc: CPU
 * seconds spent (user + system, every thread) and resident memory. Reading
 * the server's own accounting lets a run compare announces per server
 * CPU-second even when the load generator, not the server, is the bottleneck.
 */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";

let clockTicks: number | undefined;

/** The kernel's clock ticks per second (USER_HZ), the unit of /proc/<pid>/stat times. */
export function clockTicksPerSecond(): number {
  if (clockTicks === undefined) {
    const out = spawnSync("getconf", ["CLK_TCK"], { encoding: "utf8", timeout: 5000 });
    const parsed = Number.parseInt(out.stdout ?? "", 10);
    clockTicks = Number.isFinite(parsed) && parsed > 0 ? parsed : 100;
  }
  return clockTicks;
}

/**
 * CPU seconds a process has used so far in user and kernel mode, over all
 * its threads: fields 14 (utime) and 15 (stime) of /proc/<pid>/stat, counted
 * after the `comm` field, which may itself contain spaces and parentheses.
 */
export function cpuTimes(pid: number): { user: number; system: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, "latin1");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // fields[0] is field 3 (state), so field n is fields[n - 3].
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) {
    throw new Error(`cannot read CPU times from /proc/${pid}/stat`);
  }
  const hz = clockTicksPerSecond();
  return { user: utime / hz, system: stime / hz };
}

/** CPU seconds (user + system) a process has used so far. */
export function cpuSeconds(pid: number): number {
  const { user, system } = cpuTimes(pid);
  return user + system;
}

/**
 * Resident memory now (VmRSS) and at its peak (VmHWM), in bytes; and now,
 * its anonymous part (heaps, stacks) and its file-backed part (the program's
 * and libraries' pages it touched), RssAnon and RssFile + RssShmem.
 */
export function memory(pid: number): {
  rss: number;
  peakRss: number;
  anonymous: number;
  fileBacked: number;
} {
  const status = readFileSync(`/proc/${pid}/status`, "latin1");
  const kib = (name: string): number => {
    const match = status.match(new RegExp(`^${name}:\\s+(\\d+) kB`, "m"));
    return match ? Number(match[1]) * 1024 : Number.NaN;
  };
  return {
    rss: kib("VmRSS"),
    peakRss: kib("VmHWM"),
    anonymous: kib("RssAnon"),
    fileBacked: kib("RssFile") + kib("RssShmem"),
  };
}

/** Whether a PID is still alive (signal 0 probes without sending anything). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
