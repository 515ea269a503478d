import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { test } from "node:test";

const MODULE = new URL("./memory-release.ts", import.meta.url).href;

/**
 * A process that grows V8's young generation to its 2 x 4 MiB (objects that
 * survive scavenges, as a restore's do), drops them, then schedules the
 * release: the young generation's pages and the old generation's garbage
 * are given back, as they are in the daemon once started.
 */
const script = (take: string) => `
import v8 from "node:v8";
const { releaseMemoryAfterStart, takeGc } = await import(${JSON.stringify(MODULE)});
const young = () => v8.getHeapSpaceStatistics().find((s) => s.space_name === "new_space").physical_space_size;
let keep = [];
for (let r = 0; r < 40; r++) {
  for (let i = 0; i < 20000; i++) keep.push({ i, s: "x" + i });
  if (keep.length > 200000) keep = keep.slice(100000);
}
keep = null;
const before = { young: young(), heap: v8.getHeapStatistics().total_physical_size };
releaseMemoryAfterStart(0${take});
setTimeout(() => {
  const after = { young: young(), heap: v8.getHeapStatistics().total_physical_size };
  process.stdout.write(JSON.stringify({ before, after }));
}, 50);
`;

interface Heap {
  young: number;
  heap: number;
}

function run(flags: string[], take = ""): { before: Heap; after: Heap } {
  const r = spawnSync(
    process.execPath,
    [...flags, "--max-semi-space-size=4", "--input-type=module", "-e", script(take)],
    { encoding: "utf8", timeout: 60_000 },
  );
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}

test("with V8's gc exposed (--expose-gc), the release shrinks the young generation and the heap", () => {
  const { before, after } = run(["--expose-gc"]);
  assert.equal(before.young, 8 * 1024 * 1024, "the young generation grew to 2 x 4 MiB first");
  assert.ok(after.young < 1024 * 1024, `young generation after: ${after.young}`);
  assert.ok(after.heap < before.heap / 2, `heap ${before.heap} -> ${after.heap}`);
});

test("without it and without takeGc, nothing happens", () => {
  const { before, after } = run([]);
  assert.equal(after.young, before.young);
});

test("with takeGc (the daemon), the release shrinks them without --expose-gc", () => {
  const { before, after } = run([], ", takeGc");
  assert.equal(before.young, 8 * 1024 * 1024, "the young generation grew to 2 x 4 MiB first");
  assert.ok(after.young < 1024 * 1024, `young generation after: ${after.young}`);
  assert.ok(after.heap < before.heap / 2, `heap ${before.heap} -> ${after.heap}`);
});

/**
 * Why the daemon takes gc at run time: Node compiles a built-in module from
 * its embedded code cache only while V8's flags match the ones the cache
 * was made with, and --expose-gc is one that must. The built-ins loaded
 * after takeGc (here node:cluster, which the daemon's HTTP listen loads)
 * still come from the cache; with --expose-gc none does.
 */
const CACHE_USAGE = `
const { takeGc } = await import(${JSON.stringify(MODULE)});
const { internalBinding } = (await import("node:module")).createRequire(import.meta.url)("internal/test/binding");
if (typeof takeGc() !== "function") throw new Error("no gc");
process.getBuiltinModule("node:cluster");
const usage = internalBinding("builtins").getCacheUsage();
process.stdout.write(JSON.stringify({ withCache: [...usage.compiledWithCache], withoutCache: [...usage.compiledWithoutCache] }));
`;

function cacheUsage(flags: string[]): { withCache: string[]; withoutCache: string[] } {
  const r = spawnSync(
    process.execPath,
    [...flags, "--no-warnings", "--expose-internals", "--input-type=module", "-e", CACHE_USAGE],
    { encoding: "utf8", timeout: 60_000 },
  );
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}

test("takeGc leaves built-in modules loaded afterwards compiled from Node's code cache", () => {
  const taken = cacheUsage([]);
  assert.ok(taken.withCache.includes("cluster"), JSON.stringify(taken));
  assert.deepEqual(taken.withoutCache, []);
  const flagged = cacheUsage(["--expose-gc"]);
  assert.ok(flagged.withoutCache.includes("cluster"), JSON.stringify(flagged));
});

test("bin/shoal's flags for the daemon leave Node's built-in modules compiled from its code cache", () => {
  const shoal = readFileSync(new URL("../../bin/shoal", import.meta.url), "utf8");
  const flags = /^\s*flags="([^"]+)"/m.exec(shoal)?.[1]?.split(" ");
  assert.ok(flags?.includes("--no-memory-reducer"), `bin/shoal's flags: ${flags}`);
  const usage = cacheUsage(flags ?? []);
  assert.ok(usage.withCache.includes("cluster"), JSON.stringify(usage));
  assert.deepEqual(usage.withoutCache, []);
});

/**
 * With V8's memory reducer off (bin/shoal), garbage made after the start's
 * release is collected once the heap has grown by REGROWTH_BYTES: a burst of
 * 48 MiB made and dropped is given back at the next check.
 */
const regrowth = (checkMs: number) => `
import v8 from "node:v8";
const { releaseMemoryAfterStart, takeGc } = await import(${JSON.stringify(MODULE)});
const heap = () => v8.getHeapStatistics().total_heap_size;
releaseMemoryAfterStart(0, takeGc, ${checkMs});
await new Promise((r) => setTimeout(r, 20));
const released = heap();
let burst = [];
for (let i = 0; i < 48; i++) burst.push(new Array(128 * 1024).fill(i));
const grown = heap();
burst = null;
await new Promise((r) => setTimeout(r, 500));
process.stdout.write(JSON.stringify({ released, grown, after: heap() }));
`;

function runRegrowth(checkMs: number): { released: number; grown: number; after: number } {
  const r = spawnSync(
    process.execPath,
    [
      "--no-memory-reducer",
      "--max-semi-space-size=4",
      "--input-type=module",
      "-e",
      regrowth(checkMs),
    ],
    { encoding: "utf8", timeout: 60_000 },
  );
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}

test("after the start, a heap grown by 16 MiB or more is collected again at the next check", () => {
  const checked = runRegrowth(50);
  assert.ok(checked.grown > checked.released + 32 * 1024 * 1024, JSON.stringify(checked));
  assert.ok(checked.after < checked.released + 16 * 1024 * 1024, JSON.stringify(checked));
  // Without a check in that time the garbage stays: the test sees the check's work.
  const unchecked = runRegrowth(60_000);
  assert.ok(unchecked.after > unchecked.released + 32 * 1024 * 1024, JSON.stringify(unchecked));
});

/**
 * The start's release drops the bytecode of functions not running then (run
 * once, as loading modules and the restore run theirs): V8's trusted space,
 * where bytecode lives, shrinks; a plain full collection keeps it (V8 drops
 * code only once unused over six collections). A function called again is
 * compiled again and gives the same answer.
 */
const flush = (release: string) => `
import v8 from "node:v8";
const { releaseMemoryAfterStart, takeGc } = await import(${JSON.stringify(MODULE)});
const trusted = () => v8.getHeapSpaceStatistics().find((s) => s.space_name === "trusted_space").space_used_size;
const fns = [];
for (let i = 0; i < 400; i++) {
  fns.push(new Function("a", "let s = a; for (let j = 0; j < 8; j++) { s = (s * 31 + j + " + i + ") % 1000003; if (s % 7 === 0) s += 3; } return s;"));
}
const first = fns.map((f) => f(1));
const before = trusted();
${release}
const after = trusted();
const again = fns.map((f) => f(1));
process.stdout.write(JSON.stringify({ before, after, same: JSON.stringify(first) === JSON.stringify(again) }));
`;

function runFlush(
  release: string,
  flags: string[] = [],
): { before: number; after: number; same: boolean } {
  const r = spawnSync(process.execPath, [...flags, "--input-type=module", "-e", flush(release)], {
    encoding: "utf8",
    timeout: 60_000,
  });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}

test("the start's release drops the bytecode of functions run once; they run again the same", () => {
  const released = runFlush(
    "releaseMemoryAfterStart(0, takeGc); await new Promise((r) => setTimeout(r, 50));",
  );
  assert.ok(released.same);
  const plain = runFlush('gc({ type: "major", execution: "sync", flavor: "last-resort" });', [
    "--expose-gc",
  ]);
  assert.ok(plain.same);
  assert.ok(
    released.before - released.after > 2 * (plain.before - plain.after) + 50_000,
    `trusted space: released ${released.before} -> ${released.after}, plain ${plain.before} -> ${plain.after}`,
  );
});
