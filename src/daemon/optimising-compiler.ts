/**
 * The daemon process runs without TurboFan, V8's top-tier optimising
 * compiler: its hot code is compiled by Maglev, the tier below, as before
 * TurboFan would have taken it over. A restore of 1,000 seeds makes
 * TurboFan compile a few functions, and each compilation pages in most of
 * TurboFan's own machine code from the node binary, which stays resident
 * for the process's life: with it off, file-backed RSS after start-up is
 * about 5.3 MiB less (50 -> 44.5 MiB here), for the same start-up CPU, and
 * a transfer through the daemon takes the same time within noise and 2-7%
 * more of the daemon's CPU (1 GiB each way over loopback, 3 runs each): its
 * per-byte work is hashing, copying and I/O in native code.
 * SHOAL_TURBOFAN=1 keeps TurboFan (the daemon command reads it).
 *
 * Turned off at run time, once the daemon's modules are loaded and before
 * its torrents come back, rather than with `--no-turbofan` on bin/shoal's
 * command line: V8 checks a code cache against some of its flags, that one
 * among them, and a flag given at start makes Node compile every built-in
 * module from source (about 0.03 CPU-s per start; bin/shoal's flags are
 * chosen among those it does not check).
 */
export function turnOffTurbofan(): void {
  process.getBuiltinModule("node:v8").setFlagsFromString("--no-turbofan");
}
