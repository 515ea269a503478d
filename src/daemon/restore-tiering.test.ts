import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { test } from "node:test";

const MODULE = new URL("./restore-tiering.ts", import.meta.url).href;

/** The tiers V8 compiled two hot functions with: `during` while Maglev is paused, `after` once resumed. */
function tiers(): { during: string[]; after: string[] } {
  const script = `
    const { pauseMaglev } = await import(${JSON.stringify(MODULE)});
    const resume = pauseMaglev();
    function during(a) { let s = 0; for (let i = 0; i < 100; i++) s += a[i % a.length] * i; return s; }
    let t = 0;
    for (let i = 0; i < 200000; i++) t += during([1, 2, 3]);
    resume();
    function after(a) { let s = 0; for (let i = 0; i < 100; i++) s += a[i % a.length] * i; return s; }
    for (let i = 0; i < 200000; i++) t += after([1, 2, 3]);
    if (!(t > 0)) throw new Error("not run");
  `;
  // As bin/shoal's daemon: compiled on the main thread (each tier-up traced
  // before the loop goes on), and TurboFan off (turnOffTurbofan).
  const flags = ["--trace-opt", "--no-concurrent-recompilation", "--no-turbofan"];
  const r = spawnSync(process.execPath, [...flags, "--input-type=module", "-e", script], {
    encoding: "utf8",
    timeout: 60_000,
  });
  assert.equal(r.status, 0, r.stderr);
  const of = (name: string) =>
    r.stdout
      .split("\n")
      .filter(
        (line) => line.startsWith("[compiling method") && line.includes(`<JSFunction ${name} `),
      )
      .map((line) => /\(target ([A-Z_]+)\)/.exec(line)?.[1] ?? "?");
  return { during: of("during"), after: of("after") };
}

test("a function hot while Maglev is paused is not compiled by it; one hot after resume() is", () => {
  const { during, after } = tiers();
  assert.ok(!during.includes("MAGLEV"), during.join());
  assert.ok(after.includes("MAGLEV"), after.join());
});
