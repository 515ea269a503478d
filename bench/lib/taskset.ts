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

/** Attempts at pinning at most: each is one taskset run over the threads there are then. */
const PIN_ATTEMPTS = 5;

/**
 * Pins every thread of this process (and so its future children) to `cores`.
 * `taskset -a` lists the process's threads and then sets each one's affinity:
 * a thread that ends in between (Node starts and ends some of its own) makes
 * it fail with "No such process" for that thread alone. That is the race, not
 * a failure to pin: it is tried again, over the threads there are then.
 */
export function pinSelf(cores: string): void {
  let stderr = "";
  for (let attempt = 0; attempt < PIN_ATTEMPTS; attempt++) {
    const out = spawnSync("taskset", ["-a", "-cp", cores, String(process.pid)], {
      encoding: "utf8",
      timeout: 5000,
    });
    if (out.status === 0) return;
    stderr = out.stderr ?? "";
    if (!/No such process/i.test(stderr)) break;
  }
  throw new Error(`taskset could not pin this process: ${stderr}`);
}
