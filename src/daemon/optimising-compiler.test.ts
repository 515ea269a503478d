import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { test } from "node:test";

const MODULE = new URL("./optimising-compiler.ts", import.meta.url).href;

/** A hot function, and the tiers V8 compiled it with (its --trace-opt lines). */
function tiersOfHotFunction(turnOff: boolean): string[] {
  const script = `
    const { turnOffTurbofan } = await import(${JSON.stringify(MODULE)});
    if (${turnOff}) turnOffTurbofan();
    function hot(a) { let s = 0; for (let i = 0; i < 100; i++) s += a[i % a.length] * i; return s; }
    let t = 0;
    for (let i = 0; i < 200000; i++) t += hot([1, 2, 3]);
    if (!(t > 0)) throw new Error("not run");
  `;
  // Compiled on the main thread (as bin/shoal's daemon does): each tier-up is traced before the loop goes on.
  const flags = ["--trace-opt", "--no-concurrent-recompilation", "--input-type=module"];
  const r = spawnSync(process.execPath, [...flags, "-e", script], {
    encoding: "utf8",
    timeout: 60_000,
  });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout
    .split("\n")
    .filter((line) => line.startsWith("[compiling method") && line.includes("<JSFunction hot "))
    .map((line) => /\(target ([A-Z_]+)\)/.exec(line)?.[1] ?? "?");
}

test("a hot function reaches TurboFan, and after turnOffTurbofan only Maglev", () => {
  const on = tiersOfHotFunction(false);
  assert.ok(on.includes("MAGLEV") && on.some((t) => t.startsWith("TURBOFAN")), on.join());
  const off = tiersOfHotFunction(true);
  assert.ok(off.includes("MAGLEV"), off.join());
  assert.ok(!off.some((t) => t.startsWith("TURBOFAN")), off.join());
});
