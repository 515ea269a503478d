/**
 * releaseCompileCache lets go of Node's in-memory compile cache entries:
 * checked in child processes with the cache on in a folder of their own and
 * Node's compile cache log (NODE_DEBUG_NATIVE) written to a file (a pipe
 * may drop lines once full).
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";

const RELEASE = new URL("./compile-cache-release.ts", import.meta.url).href;

test("releaseCompileCache clears the entries of the modules loaded so far", (t) => {
  const dir = mkdtempSync(join(tmpdir(), "shoal-compile-cache-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const module = join(dir, "some-module.ts");
  writeFileSync(module, "export const answer: number = 42;\n");
  const script = `
    const { enableCompileCache } = await import("node:module");
    enableCompileCache(${JSON.stringify(join(dir, "cache"))});
    const { answer } = await import(${JSON.stringify(module)});
    const { releaseCompileCache } = await import(${JSON.stringify(RELEASE)});
    process.stderr.write("before release " + answer + "\\n");
    releaseCompileCache();
    process.stderr.write("after release\\n");
  `;
  const run = (log: string) => {
    const fd = openSync(log, "w");
    try {
      return spawnSync(process.execPath, ["--input-type=module", "-e", script], {
        stdio: ["ignore", "ignore", fd],
        env: { ...process.env, NODE_DEBUG_NATIVE: "COMPILE_CACHE" },
        timeout: 60_000,
      });
    } finally {
      closeSync(fd);
    }
  };
  // The first run fills the cache (written at exit); the second loads from it.
  assert.equal(run(join(dir, "first.log")).status, 0, readFileSync(join(dir, "first.log"), "utf8"));
  const log = join(dir, "second.log");
  assert.equal(run(log).status, 0, readFileSync(log, "utf8"));
  const lines = readFileSync(log, "utf8").split("\n");
  const kept = lines.findIndex((l) =>
    /some-module\.ts was accepted, keeping the in-memory entry/.test(l),
  );
  const before = lines.indexOf("before release 42");
  const cleared = lines.findIndex((l, i) => i > before && /Clear deserialized cache/.test(l));
  const after = lines.indexOf("after release");
  assert.ok(kept >= 0 && kept < before, "the module's cache entry was loaded and kept");
  assert.ok(before < cleared && cleared < after, lines.join("\n"));
});
