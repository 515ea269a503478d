/**
 * `shoal demo` run to completion on a small file, stdout piped: plain lines,
 * then the closing table; exit 0; its temporary folder gone.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { CliProcess } from "./shell-helpers.ts";

const work = mkdtempSync(join(tmpdir(), "shoal-e2e-demo-"));
const procs: CliProcess[] = [];
after(() => {
  for (const p of procs) p.kill();
  rmSync(work, { recursive: true, force: true });
});

test("shoal demo: four leechers, bytes by source, every copy verified, nothing left behind", async () => {
  // The demo's temporary folder goes under `work`, so the test can see it is removed.
  const demo = new CliProcess(
    ["demo", "--size", "6MiB", "--ui", "live", "--refresh", "0.5", "--timeout", "90"],
    { ...process.env, TMPDIR: work },
  );
  procs.push(demo);
  const code = await demo.exited;
  assert.equal(code, 0, `${demo.stdout}\n${demo.stderr}`);
  const out = demo.stdout;
  assert.doesNotMatch(out, /\x1b/, "plain lines on a pipe");
  assert.match(
    out,
    /^shoal demo: 6\.00 MiB, 1 seeder \(↑ 3\.81 MiB\/s\), 4 leechers \(↑ 1\.91 MiB\/s\)$/m,
  );
  assert.match(out, /^ {2}seeder +100\.0% {2}↓ /m);
  assert.match(out, /^LEECHER +TIME +FROM SEEDER +FROM LEECHERS +SHA-256$/m);
  let fromLeechers = 0;
  for (let i = 1; i <= 4; i++) {
    const row = new RegExp(
      `^leecher${i} +\\d+\\.\\d s +([\\d.]+) (B|KiB|MiB) +([\\d.]+) (B|KiB|MiB) +ok$`,
      "m",
    ).exec(out);
    assert.ok(row, `a row for leecher${i}:\n${out}`);
    const bytes = (n: string, unit: string) =>
      Number(n) * (unit === "MiB" ? 1 << 20 : unit === "KiB" ? 1024 : 1);
    const total = bytes(row[1]!, row[2]!) + bytes(row[3]!, row[4]!);
    // Each got the whole file (duplicates of the endgame may add a little).
    assert.ok(total >= 5.9 * (1 << 20) && total < 7 * (1 << 20), `leecher${i}: ${total}`);
    fromLeechers += bytes(row[3]!, row[4]!);
  }
  assert.ok(fromLeechers > 0, "leechers traded pieces among themselves");
  assert.match(out, /% of it between leechers; every copy matches the original/);
  assert.deepEqual(readdirSync(work), [], "the demo removed its folder");
});
