/**
 * `npm run fuzz -- [--seconds N] [--executions N] [--driver NAME] [--seed N] [--no-corpus]`:
 * runs every driver (or one) for that long each, replays the regression
 * seeds first, prints executions, exec/s and findings per driver, and keeps
 * each finding's input under test/fuzz/regressions/<driver>/. Exits 1 when
 * anything was found.
 */
import { parseArgs } from "node:util";
import { DRIVERS, driverNamed } from "./drivers/index.ts";
import { fuzz, runOne } from "./engine.ts";
import { regressionSeeds, saveFinding } from "./regressions.ts";

function fail(message: string): never {
  process.stderr.write(`fuzz: ${message}\n`);
  process.exit(2);
}

let args: ReturnType<typeof parse>;
function parse() {
  return parseArgs({
    options: {
      seconds: { type: "string" },
      executions: { type: "string" },
      driver: { type: "string" },
      seed: { type: "string" },
      "no-corpus": { type: "boolean" },
      list: { type: "boolean" },
    },
  }).values;
}
try {
  args = parse();
} catch (err) {
  fail((err as Error).message);
}

function positive(name: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0) fail(`--${name} wants a positive number, not '${text}'`);
  return n;
}

if (args.list) {
  for (const d of DRIVERS) process.stdout.write(`${d.name}\n`);
  process.exit(0);
}
const seconds = positive("seconds", args.seconds, args.executions ? Infinity : 60);
const executions = positive("executions", args.executions, Infinity);
const seed = positive("seed", args.seed, Date.now() % 2 ** 31);
const chosen = args.driver === undefined ? DRIVERS : [driverNamed(args.driver)];
if (chosen[0] === undefined) {
  fail(`no driver '${args.driver}'; drivers: ${DRIVERS.map((d) => d.name).join(", ")}`);
}

const pad = (s: string | number, n: number) => String(s).padStart(n);
process.stdout.write(
  `seed ${seed}; ${Number.isFinite(seconds) ? `${seconds} s` : `${executions} executions`} per driver\n`,
);
process.stdout.write(
  `${"driver".padEnd(20)}${pad("executions", 12)}${pad("exec/s", 10)}${pad("exec/CPU s", 12)}${pad("outcomes", 10)}${pad("findings", 10)}${pad("peak RSS", 10)}\n`,
);
let total = 0;
for (const driver of chosen as typeof DRIVERS) {
  // Regression seeds first: a fixed bug must stay fixed.
  for (const { file, input } of regressionSeeds(driver.name)) {
    const r = await runOne(driver, input);
    if (r.finding) {
      total++;
      process.stdout.write(`  regression ${file}: ${r.finding.message}\n`);
    }
  }
  const cpuBefore = process.cpuUsage();
  const report = await fuzz(driver, {
    milliseconds: seconds * 1000,
    executions,
    seed,
    useCorpus: !args["no-corpus"],
  });
  const rate = report.executions / (report.milliseconds / 1000);
  // Per CPU second too: on a shared machine the wall-clock rate is mostly the load.
  const cpu = process.cpuUsage(cpuBefore);
  const cpuRate = report.executions / ((cpu.user + cpu.system) / 1e6);
  process.stdout.write(
    `${driver.name.padEnd(20)}${pad(report.executions, 12)}${pad(Math.round(rate), 10)}${pad(Math.round(cpuRate), 12)}${pad(report.outcomes, 10)}${pad(report.findings.length, 10)}${pad(`${Math.round(report.peakRssBytes / 2 ** 20)}M`, 10)}\n`,
  );
  for (const f of report.findings) {
    total++;
    const file = f.kind === "memory" ? "" : ` → ${saveFinding(f)}`;
    process.stdout.write(`  ${f.kind}: ${f.message}${f.where ? ` at ${f.where}` : ""}${file}\n`);
  }
}
process.stdout.write(`${total} finding(s)\n`);
process.exitCode = total > 0 ? 1 : 0;
