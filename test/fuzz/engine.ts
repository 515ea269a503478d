/**
 * The fuzz loop: mutate inputs drawn from a driver's pool, run each, and
 * record findings: a throw that is not a ShoalError, one input taking over
 * the hang bound, or the process's memory growing past a bound. Inputs that
 * reach an outcome not seen before join the pool (a cheap stand-in for
 * coverage feedback), up to a fixed size.
 */
import { createHash } from "node:crypto";
import { isShoalError } from "../../src/util/index.ts";
import { corpusSeeds, type Driver } from "./driver.ts";
import { REFUSED } from "./drivers/outcome.ts";
import { Mutator } from "./mutate.ts";

export interface Finding {
  driver: string;
  kind: "crash" | "hang" | "memory";
  /** What went wrong: the error's name and message, or the time taken. */
  message: string;
  /** The error's first stack frames, to tell findings apart. */
  where: string;
  input: Buffer;
}

export interface FuzzOptions {
  /** Stop after this many executions… */
  executions?: number;
  /** …or this many milliseconds, whichever comes first. */
  milliseconds?: number;
  seed?: number;
  /** One input running longer than this is a hang (default 1 s). */
  hangMs?: number;
  /** Resident memory growing by more than this over the run is a finding (default 512 MiB). */
  memoryGrowthBytes?: number;
  /** Read seeds from the shared corpus too (default true). */
  useCorpus?: boolean;
}

export interface FuzzReport {
  driver: string;
  executions: number;
  milliseconds: number;
  seeds: number;
  pool: number;
  outcomes: number;
  findings: Finding[];
  peakRssBytes: number;
}

const DEFAULT_MAX_LENGTH = 64 * 1024;
/** Stack frames a finding's error records: where() reads three. */
const STACK_FRAMES = 10;
const MAX_POOL = 512;
/** Distinct outcomes remembered at most, so the fuzzer's own memory stays bounded. */
const MAX_OUTCOMES = 4096;
/** Findings kept per run; a bug found once is usually found thousands of times. */
const MAX_FINDINGS = 20;

function where(err: unknown): string {
  const stack = err instanceof Error && err.stack ? err.stack.split("\n").slice(1, 4) : [];
  return stack.map((l) => l.trim()).join(" | ");
}

function describe(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : `thrown ${String(err)}`;
}

/** Runs one input; a finding or undefined, and the outcome's name. */
export async function runOne(
  driver: Driver,
  input: Buffer,
  hangMs = 1000,
): Promise<{ finding?: Finding; outcome: string }> {
  const first = await runTimed(driver, input, hangMs);
  if (
    first.finding?.kind === "crash" &&
    first.finding.where === "" &&
    Error.stackTraceLimit === 0
  ) {
    // Stacks are off while fuzzing (see fuzz()): the crash again, to say where.
    Error.stackTraceLimit = STACK_FRAMES;
    try {
      const again = await runTimed(driver, input, hangMs);
      return again.finding ? again : first;
    } finally {
      Error.stackTraceLimit = 0;
    }
  }
  if (first.finding?.kind !== "hang" || first.finding.where !== "") return first;
  // A slow run on a loaded machine (a GC pause, the process descheduled) is
  // not a hang: it is one only when the input is slow again.
  return runTimed(driver, input, hangMs);
}

async function runTimed(
  driver: Driver,
  input: Buffer,
  hangMs: number,
): Promise<{ finding?: Finding; outcome: string }> {
  const started = performance.now();
  let outcome: string;
  try {
    const r = driver.run(input);
    if (typeof r === "string") outcome = r;
    else {
      let timer: NodeJS.Timeout | undefined;
      const hang = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new HangError(hangMs)), hangMs * 5);
      });
      try {
        outcome = await Promise.race([r, hang]);
      } finally {
        clearTimeout(timer);
      }
    }
  } catch (err) {
    // A refusal is what an entry point should do with bad bytes.
    if (isShoalError(err)) return { outcome: `${REFUSED}${err.code}` };
    const kind = err instanceof HangError ? "hang" : "crash";
    return {
      outcome: "finding",
      finding: { driver: driver.name, kind, message: describe(err), where: where(err), input },
    };
  }
  const took = performance.now() - started;
  if (took > hangMs) {
    return {
      outcome,
      finding: {
        driver: driver.name,
        kind: "hang",
        message: `one input took ${Math.round(took)} ms (bound ${hangMs} ms)`,
        where: "",
        input,
      },
    };
  }
  return { outcome };
}

class HangError extends Error {
  constructor(ms: number) {
    super(`no answer within ${ms * 5} ms`);
    this.name = "HangError";
  }
}

/** A short name for a finding's input, the file it is kept in. */
export function inputName(input: Buffer): string {
  return createHash("sha1").update(input).digest("hex").slice(0, 16);
}

export async function fuzz(driver: Driver, opts: FuzzOptions = {}): Promise<FuzzReport> {
  // Every refusal is an Error whose stack V8 captures, ~3 µs each (a fifth
  // of an MSE execution that is refused); none is needed but a finding's,
  // and runOne() runs a crashing input again with stacks on to get it.
  const stackTraceLimit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return await fuzzLoop(driver, opts);
  } finally {
    Error.stackTraceLimit = stackTraceLimit;
  }
}

async function fuzzLoop(driver: Driver, opts: FuzzOptions): Promise<FuzzReport> {
  const executions = opts.executions ?? Number.POSITIVE_INFINITY;
  const milliseconds = opts.milliseconds ?? Number.POSITIVE_INFINITY;
  const hangMs = opts.hangMs ?? 1000;
  const memoryGrowth = opts.memoryGrowthBytes ?? 512 * 1024 * 1024;
  const maxLength = driver.maxLength ?? DEFAULT_MAX_LENGTH;
  const mutator = new Mutator(opts.seed ?? 1);
  const seeds = [...driver.seeds(), ...(opts.useCorpus === false ? [] : corpusSeeds(driver))];
  const pool = seeds.map((s) => (s.length > maxLength ? s.subarray(0, maxLength) : s));
  if (pool.length === 0) pool.push(Buffer.alloc(0));
  const outcomes = new Set<string>();
  const findings: Finding[] = [];
  const seen = new Set<string>();
  const started = performance.now();
  const baseline = process.memoryUsage.rss();
  let peak = baseline;
  let memoryReported = false;
  let n = 0;
  const record = (f: Finding) => {
    const key = `${f.kind} ${f.message.slice(0, 80)} ${f.where}`;
    if (seen.has(key) || findings.length >= MAX_FINDINGS) return;
    seen.add(key);
    findings.push(f);
  };
  // Every seed as is first, then mutations.
  for (const s of pool.slice()) {
    const r = await runOne(driver, s, hangMs);
    n++;
    if (r.finding) record(r.finding);
    outcomes.add(r.outcome);
  }
  const async = driver.name === "mse-handshake";
  while (n < executions) {
    // The clock is read every 64 executions and memory every 1024: reading
    // them costs (rss() reads /proc, a tenth of a millisecond on a busy machine).
    if ((n & 63) === 0 && performance.now() - started >= milliseconds) break;
    if ((n & 1023) === 0) {
      const rss = process.memoryUsage.rss();
      if (rss > peak) peak = rss;
      if (!memoryReported && rss - baseline > memoryGrowth) {
        memoryReported = true;
        record({
          driver: driver.name,
          kind: "memory",
          message: `resident memory grew by ${Math.round((rss - baseline) / 2 ** 20)} MiB`,
          where: "",
          input: Buffer.alloc(0),
        });
      }
      // Let timers and I/O run now and then, so an async driver's leftovers settle.
      if (!async && (n & 0xffff) === 0) await new Promise((r) => setImmediate(r));
    }
    const base = pool[mutator.below(pool.length)]!;
    const other = pool[mutator.below(pool.length)]!;
    const input = mutator.mutate(base, other, maxLength);
    const r = await runOne(driver, input, hangMs);
    n++;
    if (r.finding) record(r.finding);
    if (!outcomes.has(r.outcome) && outcomes.size < MAX_OUTCOMES) {
      outcomes.add(r.outcome);
      if (pool.length < MAX_POOL) pool.push(Buffer.from(input));
      else pool[seeds.length + mutator.below(MAX_POOL - seeds.length)] = Buffer.from(input);
    }
  }
  return {
    driver: driver.name,
    executions: n,
    milliseconds: performance.now() - started,
    seeds: seeds.length,
    pool: pool.length,
    outcomes: outcomes.size,
    findings,
    peakRssBytes: peak,
  };
}
