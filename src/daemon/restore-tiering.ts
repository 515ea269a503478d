/**
 * While the daemon restores its torrents, V8's Maglev compiler is paused:
 * functions that get hot meanwhile stay in Sparkplug's baseline code. The
 * restore runs most of the daemon's torrent code a thousand times, once per
 * seed, and on bin/shoal's command line V8 compiles on the main thread
 * (--no-concurrent-recompilation): Maglev compiled about 170 functions
 * during a restore of 1,000 seeds, about 30 ms of the main thread's time,
 * for code that then ran only the rest of those thousand times. Restore of
 * 1,000 seeds, instructions from its start to its end (callgrind, all
 * threads): about 460M -> 425M. Maglev is on again once the torrents are back, so
 * what runs hot afterwards (API answers, transfers) is compiled as before.
 */

/** Whether the process was started with Maglev off (then it is left so). */
function maglevOffFromStart(): boolean {
  const given = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? "").split(/\s+/)];
  return given.some((f) => f === "--no-maglev" || f === "--jitless");
}

/** Pauses Maglev; the function returned turns it on again (once it is called). */
export function pauseMaglev(): () => void {
  if (maglevOffFromStart()) return () => {};
  const v8 = process.getBuiltinModule("node:v8");
  v8.setFlagsFromString("--no-maglev");
  return () => v8.setFlagsFromString("--maglev");
}
