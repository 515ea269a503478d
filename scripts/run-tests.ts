/**
 * `npm run test:unit`: every test through node's runner, then, as the run's
 * last lines, which tests were skipped and why (SHOAL_SKIP_INTEROP=1, the
 * corpus of ../shared absent), so a skip is never silent.
 *
 * Usage: node scripts/run-tests.ts [glob...]   (default: every test file)
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";

const globs = process.argv.slice(2);
const files = globs.length > 0 ? globs : ["src/**/*.test.ts", "test/**/*.test.ts"];
const dir = mkdtempSync(join(tmpdir(), "shoal-tests-"));
const skips = join(dir, "skips.jsonl");
const reporter = new URL("./skip-reporter.ts", import.meta.url).pathname;

const run = spawnSync(
  process.execPath,
  [
    "--test",
    "--test-concurrency=2",
    // No test may hang the run (CI has 90 minutes for everything): the
    // slowest, an interop transfer under load, takes well under a minute.
    "--test-timeout=300000",
    "--test-reporter=spec",
    "--test-reporter-destination=stdout",
    `--test-reporter=${reporter}`,
    `--test-reporter-destination=${skips}`,
    ...files,
  ],
  { stdio: "inherit" },
);

interface Line {
  file?: string;
  name?: string;
  reason?: string;
  counts?: { passed: number; failed: number; cancelled: number; skipped: number };
}
let lines: Line[] = [];
try {
  lines = readFileSync(skips, "utf8")
    .split("\n")
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as Line);
} catch {
  // the runner died before its reporter wrote anything: its own output says why
}
rmSync(dir, { recursive: true, force: true });

// Group by file and reason: one line per suite that skipped, not per test.
const groups = new Map<string, { file: string; reason: string; tests: number }>();
for (const l of lines) {
  if (l.reason === undefined) continue;
  const file = l.file ? relative(process.cwd(), l.file) : "?";
  const key = `${file}\0${l.reason}`;
  const g = groups.get(key) ?? { file, reason: l.reason, tests: 0 };
  g.tests++;
  groups.set(key, g);
}
if (groups.size > 0) {
  process.stdout.write("\nskipped:\n");
  for (const g of groups.values()) {
    process.stdout.write(`  ${g.file}: ${g.tests} test${g.tests === 1 ? "" : "s"} (${g.reason})\n`);
  }
}
const counts = lines.find((l) => l.counts)?.counts;
if (counts) {
  process.stdout.write(
    // A test cancelled (timed out, or its file died) has failed too.
    `tests: ${counts.passed} passed, ${counts.failed + counts.cancelled} failed, ${counts.skipped} skipped\n`,
  );
}
process.exit(run.status ?? 1);
