/**
 * Memory handed back once the daemon has started. Bringing back a session
 * (a thousand torrents opened, their metadata parsed, the code compiled)
 * leaves V8's young generation grown to its maximum and the old one holding
 * the restore's garbage, and an idle daemon allocates too little for V8 to
 * collect again: with 1,000 seeds about 10 MiB of RSS stayed resident for
 * nothing. One full collection that compacts and shrinks the heap (what V8
 * does under memory pressure), made a few seconds after the start, gives it
 * back: RSS after idle 88 -> 79 MiB here.
 *
 * It needs V8's `gc` function: bin/shoal starts the daemon with Node's
 * `--expose-gc`. Without that flag (a daemon started as `node bin/shoal.js`
 * or in a test process) it takes `gc` at run time (`takeGc`) from a new
 * context; a context made sets V8's memory reducer going, which collects
 * the whole heap twice more about 8 s later (0.06 CPU-s with 1,000 seeds),
 * which is why bin/shoal gives the flag even though, with it, Node compiles
 * its built-in modules from source rather than from its binary's code cache
 * (about 0.03 CPU-s more at each start).
 */

/** Long enough for the torrents restored to be seeding (resume data trusted); once only. */
export const RELEASE_AFTER_START_MS = 5_000;

/** V8's `gc` (the `--expose-gc` flag): `last-resort` collects until nothing more is freed. */
export type ExposedGc = (options: {
  type: "major";
  execution: "sync";
  flavor: "last-resort";
}) => void;

/**
 * V8's `gc` without `--expose-gc` on the command line: the flag is set for
 * as long as it takes to make a context that has the function, then cleared
 * again, so that what is compiled afterwards (a module loaded on a first
 * request) still matches the caches, whose check includes V8's flags.
 * node:v8 and node:vm are taken here, when it runs, not at every start.
 */
export function takeGc(): ExposedGc {
  const exposed = exposedGc();
  if (exposed) return exposed;
  const { setFlagsFromString } = process.getBuiltinModule("node:v8");
  const { runInNewContext } = process.getBuiltinModule("node:vm");
  setFlagsFromString("--expose-gc");
  try {
    return runInNewContext("gc") as ExposedGc;
  } finally {
    setFlagsFromString("--no-expose-gc");
  }
}

/** The `gc` Node exposes with `--expose-gc`, if it does. */
export function exposedGc(): ExposedGc | undefined {
  const gc = (globalThis as { gc?: ExposedGc }).gc;
  return typeof gc === "function" ? gc : undefined;
}

/**
 * Schedules the collection, with the `gc` that `take` gives when it is due
 * (the daemon: `takeGc`); by default only the one `--expose-gc` exposes, so
 * without that flag nothing happens. The timer does not keep the process
 * alive.
 */
export function releaseMemoryAfterStart(
  delayMs = RELEASE_AFTER_START_MS,
  take: () => ExposedGc | undefined = exposedGc,
): void {
  setTimeout(
    () => take()?.({ type: "major", execution: "sync", flavor: "last-resort" }),
    delayMs,
  ).unref();
}
