/**
 * bin/shoal.js, the entry users run (through bin/shoal), resolves shoal's
 * own imports itself (bin/resolve-hook.js) and leaves the rest to Node: a
 * command that loads the engine, one that reads a package from node_modules
 * (smol-toml, for the config file), and the CLI's one-line errors all work
 * through it. The other CLI tests run src/cli/main.ts directly, without it.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { after, test } from "node:test";

const REPO = resolve(import.meta.dirname, "../..");
const dir = mkdtempSync(join(tmpdir(), "shoal-cli-entry-"));
after(() => rmSync(dir, { recursive: true, force: true }));

function shoal(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [join(REPO, "bin/shoal.js"), ...args], {
    cwd: dir,
    encoding: "utf8",
    timeout: 120_000,
    // Its own cache: this test's runs neither read nor write the user's.
    env: { ...process.env, NODE_COMPILE_CACHE: join(dir, "compile-cache") },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test("bin/shoal.js creates a torrent and reads it back (the engine's modules, resolved by its hook)", () => {
  writeFileSync(join(dir, "data.bin"), Buffer.alloc(100_000, 7));
  const created = shoal("create", "data.bin", "-o", "data.torrent");
  assert.equal(created.status, 0, created.stderr);
  const info = shoal("info", "data.torrent");
  assert.equal(info.status, 0, info.stderr);
  assert.match(info.stdout, /^Name:\s+data\.bin$/m);
  assert.match(info.stdout, /100000 bytes/);
});

test("bin/shoal.js reads a config file with smol-toml (a package Node's resolver finds)", () => {
  writeFileSync(join(dir, "config.toml"), "[peer]\nport = 51999\n");
  const r = shoal("config", "--config", "config.toml", "--data-dir", join(dir, "daemon"));
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /port = 51999/);
});

test("bin/shoal.js: a user's mistake is still one line", () => {
  const r = shoal("info", "missing.torrent");
  assert.equal(r.status, 1);
  assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
  assert.match(r.stderr, /^shoal info: /);
});
