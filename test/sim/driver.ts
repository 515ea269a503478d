/**
 * Runs a simulation on its SimClock: fake time moves to the next timer only
 * when no real asynchronous work is pending. After each timer the driver
 * yields to the event loop (one setImmediate turn drains every promise
 * callback the timer set off) and keeps yielding while Node reports work of
 * its own in progress (a file write, an immediate somebody set); only then
 * does the next timer fire. So what runs between two timers is the same on
 * every run, and a seed gives the same swarm byte for byte.
 */
import type { SimClock } from "./sim-clock.ts";

/** Resources Node keeps open that are not work in progress (stdio, the runner's pipes, timers). */
const IDLE = new Set([
  "TTYWrap",
  "PipeWrap",
  "TCPWrap",
  "TCPServerWrap",
  "UDPWrap",
  "Timeout",
  "SignalWrap",
  "ProcessWrap",
  "MessagePort",
  "FSEventWrap",
  "StatWatcher",
]);

/** Real asynchronous work is pending: a file operation, an immediate, a worker's job. */
function realWorkPending(): boolean {
  for (const r of process.getActiveResourcesInfo()) if (!IDLE.has(r)) return true;
  return false;
}

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Lets everything that is not waiting for fake time run to its end. */
export async function settle(): Promise<void> {
  await turn();
  for (let turns = 0; realWorkPending(); turns++) {
    if (turns > 1_000_000) throw new Error("real asynchronous work never finished");
    await turn();
  }
}

export class SimulationStalled extends Error {}

/**
 * Fires timers one at a time until `done()` holds; throws if time would
 * pass `limitMs` first, or if nothing is left to happen.
 */
export async function runUntil(
  clock: SimClock,
  done: () => boolean,
  limitMs: number,
): Promise<void> {
  await settle();
  while (!done()) {
    const at = clock.nextAt();
    if (at === undefined) {
      throw new SimulationStalled(`nothing left to happen at ${clock.now()} ms and not done`);
    }
    if (at > limitMs) {
      throw new SimulationStalled(`not done after ${limitMs} ms of simulated time`);
    }
    clock.fireNext();
    await settle();
  }
}

/** Runs every timer due up to `ms` (then time stands at `ms`). */
export async function runFor(clock: SimClock, ms: number): Promise<void> {
  const end = clock.now() + ms;
  await runUntil(
    clock,
    () => {
      const next = clock.nextAt();
      return next === undefined || next > end;
    },
    Number.POSITIVE_INFINITY,
  );
  clock.advanceTo(end);
}
