/**
 * Memory handed back once the daemon has started. Bringing back a session
 * (a thousand torrents opened, their metadata parsed, the code compiled)
 * leaves V8's young generation grown to its maximum and the old one holding
 * the restore's garbage, and an idle daemon allocates too little for V8 to
 * collect again: with 1,000 seeds about 10 MiB of RSS stayed resident for
 * nothing. One full collection that compacts and shrinks the heap (what V8
 * does under memory pressure), made a few seconds after the start, gives it
 * back: RSS after idle 88 -> 79 MiB here. After that the daemon collects so
 * again each time its heap has grown by REGROWTH_BYTES since the last one
 * (checked every REGROWTH_CHECK_MS): bin/shoal turns V8's own memory
 * reducer off (`--no-memory-reducer`), which would otherwise do that part.
 *
 * It needs V8's `gc` function, which it takes at run time (`takeGc`) from
 * a new context: `--expose-gc` on the command line would give it too, but
 * with that flag Node compiles its built-in modules from source rather
 * than from its binary's code cache (about 0.03 CPU-s more at each start).
 * A context made sets V8's memory reducer going, which collects the whole
 * heap twice more about 8 s later (0.06 CPU-s with 1,000 seeds): that is
 * why bin/shoal turns the reducer off. A daemon started otherwise (`node
 * bin/shoal.js daemon`, a test process) pays those two collections.
 */

/** Long enough for the torrents restored to be seeding (resume data trusted); once only. */
export const RELEASE_AFTER_START_MS = 5_000;

/** The heap's growth since the last release after which it is made again. */
export const REGROWTH_BYTES = 16 * 1024 * 1024;
/** How often that growth is checked: one call to V8 for the heap's size. */
export const REGROWTH_CHECK_MS = 30_000;

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
 * without that flag nothing happens; it drops the code of functions not
 * running then too. Then the heap's size is checked every
 * `checkMs`, and collected again once it has grown by REGROWTH_BYTES since
 * the last collection. The timers do not keep the process alive.
 */
export function releaseMemoryAfterStart(
  delayMs = RELEASE_AFTER_START_MS,
  take: () => ExposedGc | undefined = exposedGc,
  checkMs = REGROWTH_CHECK_MS,
): void {
  setTimeout(() => {
    const gc = take();
    if (!gc) return;
    const { getHeapStatistics, setFlagsFromString } = process.getBuiltinModule("node:v8");
    const release = () => {
      gc({ type: "major", execution: "sync", flavor: "last-resort" });
      return getHeapStatistics().total_heap_size;
    };
    // The first one also drops the compiled code (bytecode, baseline code)
    // of every function not running then: loading the modules and the
    // restore run most of theirs once. V8 drops only code unused over six
    // collections, and an idle daemon makes none. A function run again is
    // compiled again from its source. With 1,000 seeds: about 1 MiB less
    // RSS after idle. Only for this collection: later ones keep code in use.
    setFlagsFromString("--stress-flush-code");
    setFlagsFromString("--flush-baseline-code");
    let released: number;
    try {
      released = release();
    } finally {
      setFlagsFromString("--no-stress-flush-code");
      setFlagsFromString("--no-flush-baseline-code");
    }
    setInterval(() => {
      if (getHeapStatistics().total_heap_size >= released + REGROWTH_BYTES) released = release();
    }, checkMs).unref();
  }, delayMs).unref();
}
