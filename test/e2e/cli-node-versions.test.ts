/**
 * What a user sees on the Node.js a fresh machine has (here the system's
 * Node 20, while the project runs on the Node 24 that npm installs into
 * node_modules): `node bin/shoal.js` says in one line which Node it needs;
 * `npm install` does not warn that shoal or its runtime dependencies refuse
 * that Node (the `engines` fields allow it).
 */
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { delimiter, join, resolve } from "node:path";
import { test } from "node:test";

const REPO = resolve(import.meta.dirname, "../..");

/** A `node` on PATH older than 24 (PATH's node_modules/.bin skipped), if there is one. */
function olderNode(): { path: string; version: string } | undefined {
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    if (!dir || dir.includes("node_modules")) continue;
    const path = join(dir, "node");
    if (!existsSync(path)) continue;
    try {
      const version = execFileSync(path, ["--version"], { encoding: "utf8" }).trim();
      if (Number(/^v(\d+)/.exec(version)?.[1]) < 24) return { path, version };
    } catch {}
  }
  return undefined;
}

test("bin/shoal.js on an older Node: one line naming the Node needed and bin/shoal", (t) => {
  const old = olderNode();
  if (!old) {
    t.skip("no Node older than 24 on PATH");
    return;
  }
  const r = spawnSync(old.path, [join(REPO, "bin/shoal.js"), "info", "x.torrent"], {
    encoding: "utf8",
  });
  assert.equal(r.status, 1);
  assert.equal(r.stdout, "");
  assert.equal(r.stderr.trimEnd().split("\n").length, 1, r.stderr);
  assert.doesNotMatch(r.stderr, /SyntaxError|\n\s+at /);
  assert.match(r.stderr, /^shoal: needs Node\.js 24 or later/);
  assert.match(
    r.stderr,
    new RegExp(`this is Node\\.js ${old.version.slice(1).replace(/\./g, "\\.")}`),
  );
  assert.match(r.stderr, /bin\/shoal or npm run shoal/);
});

/** Whether `range` (an `engines.node` value) lets `major`.0.0 … `major`.x run. */
function allowsMajor(range: string, major: number): boolean {
  return range.split("||").some((alternative) =>
    alternative
      // ">= 18" is ">=18" (npm's ranges allow the space).
      .replace(/(>=|<=|>|<|\^|~|=)\s+/g, "$1")
      .trim()
      .split(/\s+/)
      .filter(Boolean)
      .every((c) => {
        const m = /^(>=|>|<=|<|\^|~|=)?\s*v?(\d+)/.exec(c);
        assert.ok(m, `an engines range this test cannot read: '${range}'`);
        const n = Number(m[2]);
        switch (m[1]) {
          case ">=":
          case ">":
            return major >= n;
          case "<":
            return major < n;
          case "<=":
            return major <= n;
          default:
            return major === n;
        }
      }),
  );
}

test("npm install on Node 20 has no engine warnings: shoal and its runtime dependencies allow it", () => {
  assert.equal(allowsMajor(">=22", 20), false, "the check itself");
  assert.equal(allowsMajor("^12.20.0 || >=16", 20), true, "the check itself");
  assert.equal(allowsMajor(">= 18", 20), true, "the check itself");
  const pkg = JSON.parse(readFileSync(join(REPO, "package.json"), "utf8"));
  assert.ok(allowsMajor(pkg.engines.node, 20), `package.json engines: ${pkg.engines.node}`);
  // Every package `npm install --omit=dev` would bring, from the lock file.
  const lock = JSON.parse(readFileSync(join(REPO, "package-lock.json"), "utf8"));
  const refusing: string[] = [];
  for (const [path, entry] of Object.entries(
    lock.packages as Record<string, { dev?: boolean; engines?: { node?: string } }>,
  )) {
    if (path === "" || entry.dev || !entry.engines?.node) continue;
    if (!allowsMajor(entry.engines.node, 20)) refusing.push(`${path}: ${entry.engines.node}`);
  }
  assert.deepEqual(refusing, []);
});
