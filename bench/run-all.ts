/**
 * `npm run bench`: runs every benchmark in bench/ (each `*.ts` at its top
 * level except this file; helpers live in lib/ and stubs/), one after
 * another so they do not compete for the CPU: create, magnet (time to a
 * magnet link's metadata and first byte, issue 14), resume (kill -9 and
 * restart, issue 13), swarm, tracker and transfer. Exits non-zero if any
 * failed.
 *
 * Usage: node bench/run-all.ts [name…]   (names without .ts select a subset)
 */
import { spawn } from "node:child_process";
import { readdirSync } from "node:fs";
import { basename, join } from "node:path";

const here = import.meta.dirname;
const self = basename(import.meta.filename);
const wanted = process.argv.slice(2);
const benches = readdirSync(here, { withFileTypes: true })
  .filter((e) => e.isFile() && e.name.endsWith(".ts") && e.name !== self)
  .map((e) => e.name)
  .filter((name) => wanted.length === 0 || wanted.includes(name.replace(/\.ts$/, "")))
  .sort();

if (benches.length === 0) {
  process.stderr.write(`no benchmark matches: ${wanted.join(" ")}\n`);
  process.exit(2);
}

function runOne(file: string): Promise<number> {
  return new Promise((resolveRun) => {
    const child = spawn(process.execPath, [join(here, file)], { stdio: "inherit" });
    child.on("error", () => resolveRun(1));
    child.on("close", (code, signal) => resolveRun(code ?? (signal ? 1 : 0)));
  });
}

const failed: string[] = [];
for (const file of benches) {
  process.stdout.write(`\n=== ${file} ===\n`);
  const started = performance.now();
  const code = await runOne(file);
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  process.stdout.write(
    `=== ${file}: ${code === 0 ? "ok" : `FAILED (exit ${code})`} in ${seconds} s ===\n`,
  );
  if (code !== 0) failed.push(file);
}
if (failed.length > 0) {
  process.stdout.write(`\n${failed.length} benchmark(s) failed: ${failed.join(", ")}\n`);
  process.exitCode = 1;
}
