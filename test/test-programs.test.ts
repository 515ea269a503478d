/**
 * `npm test` sets itself up (issue 21): scripts/test-programs.sh is the one
 * list of the real programs the tests drive, `.ci/run` and `npm test` both
 * call it, and with a program missing and no right to install it refuses in
 * one line that names the command to run, before any test starts.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { findExecutable, REPO_ROOT } from "./interop/helpers.ts";

const SCRIPT = join(REPO_ROOT, "scripts", "test-programs.sh");
const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** A PATH holding only `names` (those found here), so nothing else is "installed". */
function pathWith(names: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), "shoal-path-"));
  dirs.push(dir);
  for (const name of names) {
    const found = findExecutable(name);
    if (found) symlinkSync(found, join(dir, name));
  }
  return dir;
}

/**
 * The commands of the list that PATH must hold, but `missing` (read from the
 * script, so a program added to the list needs no change here), and `id`,
 * which the script runs to see whether it may install.
 */
function everyProgramBut(missing: string): string[] {
  const list = readFileSync(SCRIPT, "utf8").match(/^PROGRAMS=\(\n([\s\S]*?)^\)/m)?.[1] ?? "";
  const commands = [...list.matchAll(/^\s*"(\S+)/gm)].map((m) => m[1]!);
  assert.ok(commands.includes(missing), `${missing} is on the list`);
  // python3:module and absolute paths are checked where they are, not on PATH.
  return [...commands.filter((c) => c !== missing && !c.includes(":") && !c.startsWith("/")), "id"];
}

function check(path: string, env: Record<string, string> = {}) {
  return spawnSync("/bin/bash", [SCRIPT, "check"], {
    env: { PATH: path, ...env },
    encoding: "utf8",
    timeout: 30_000,
  });
}

test("the list names each package once, and .ci/run and npm test use the script", () => {
  const packages = spawnSync("/bin/bash", [SCRIPT, "packages"], { encoding: "utf8" })
    .stdout.trim()
    .split("\n");
  assert.ok(packages.includes("transmission-cli") && packages.includes("python3-libtorrent"));
  assert.equal(new Set(packages).size, packages.length);
  const ci = readFileSync(join(REPO_ROOT, ".ci", "run"), "utf8");
  assert.match(ci, /bash scripts\/test-programs\.sh install/);
  assert.doesNotMatch(ci, /apt-get/, ".ci/run keeps no second list of packages");
  const pkg = JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8"));
  assert.match(pkg.scripts.test, /^bash scripts\/test-programs\.sh check && /);
});

test("a missing program without the right to install: one line naming the command, exit 1", () => {
  // Everything the list needs but mktorrent, and no apt-get or sudo: nothing
  // may install, whoever runs this.
  const path = pathWith(everyProgramBut("mktorrent"));
  const r = check(path);
  assert.equal(r.status, 1);
  assert.equal(r.stdout, "");
  const lines = r.stderr.trim().split("\n");
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0]!, /run: sudo apt-get install -y [^(]*\bmktorrent\b/);
  assert.match(lines[0]!, /SHOAL_SKIP_INTEROP=1 npm test/);
});

test("SHOAL_SKIP_INTEROP=1 reports what is missing in one line and lets the run go on", () => {
  const path = pathWith(everyProgramBut("mktorrent"));
  const r = check(path, { SHOAL_SKIP_INTEROP: "1" });
  assert.equal(r.status, 0);
  assert.equal(r.stderr.trim().split("\n").length, 1);
  assert.match(r.stderr, /mktorrent not installed: the suites that drive them will skip/);
});
