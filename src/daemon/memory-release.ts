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
 * It needs V8's `gc` function, which `bin/shoal` exposes for the daemon
 * (`--expose-gc`); without it (`node bin/shoal.js daemon`, tests) nothing
 * happens.
 */

/** Long enough for the torrents restored to be seeding (resume data trusted); once only. */
export const RELEASE_AFTER_START_MS = 5_000;

/** V8's `gc` (the `--expose-gc` flag): `last-resort` collects until nothing more is freed. */
type ExposedGc = (options: { type: "major"; execution: "sync"; flavor: "last-resort" }) => void;

/** Schedules the collection; the timer does not keep the process alive. */
export function releaseMemoryAfterStart(delayMs = RELEASE_AFTER_START_MS): void {
  const gc = (globalThis as { gc?: ExposedGc }).gc;
  if (typeof gc !== "function") return;
  setTimeout(
    () => gc({ type: "major", execution: "sync", flavor: "last-resort" }),
    delayMs,
  ).unref();
}
