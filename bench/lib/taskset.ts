/**
 * CPU pinning with util-linux `taskset`, so a benchmark's server and its load
 * generator do not compete for one core: the server runs alone on one core
 * and its CPU time can be read cleanly.
 */
import { spawnSync } from "node:child_process";
import { availableParallelism } from "node:os";

/** True when `taskset` exists and there are at least two cores to split. */
export function canPin(): boolean {
  if (availableParallelism() < 2) return false;
  const probe = spawnSync("taskset", ["-p", String(process.pid)], { timeout: 5000 });
  return probe.status === 0;
}

/**
 * The command line that starts `command` pinned to `cores` (taskset execs the
 * command, so the child's PID is the program's own PID).
 */
export function pinnedCommand(
  cores: string | undefined,
  command: string,
  args: string[],
): { command: string; args: string[] } {
  if (cores === undefined) return { command, args };
  return { command: "taskset", args: ["-c", cores, command, ...args] };
}

/** Pins every thread of this process (and so its future children) to `cores`. */
export function pinSelf(cores: string): void {
  const out = spawnSync("taskset", ["-a", "-cp", cores, String(process.pid)], {
    encoding: "utf8",
    timeout: 5000,
  });
  if (out.status !== 0) throw new Error(`taskset could not pin this process: ${out.stderr}`);
}
