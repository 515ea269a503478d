/**
 * bench/rc4.ts (issue 18): MB/s of MSE's RC4 over 1 GiB for each of shoal's
 * implementations (src/peer/rc4.ts): WebAssembly (the default), OpenSSL's
 * (legacy provider) and plain JavaScript, in the two ways a connection uses
 * it: decrypting 64 KiB reads in place, and encrypting a writev batch of
 * sixteen 16 KiB blocks with their piece headers into one buffer. MB/s is
 * bytes over the process's CPU time (garbage collection included), which
 * the load of a shared machine disturbs less than wall time; the median of
 * --runs, with the spread. OpenSSL's figure is the reference, and the
 * ratio to it is printed.
 *
 * Usage: node bench/rc4.ts [--size 1GiB] [--runs 3]
 * (re-runs itself with --openssl-legacy-provider when Node has no RC4).
 */
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { parseArgs } from "node:util";
import { opensslHasRc4, type Rc4Implementation, rc4 } from "../src/peer/rc4.ts";
import { parseSize } from "../src/util/index.ts";
import { fixed, formatTable } from "./lib/table.ts";

if (!opensslHasRc4() && !process.execArgv.includes("--openssl-legacy-provider")) {
  const again = spawnSync(
    process.execPath,
    ["--openssl-legacy-provider", import.meta.filename, ...process.argv.slice(2)],
    { stdio: "inherit" },
  );
  process.exit(again.status ?? 1);
}

const { values } = parseArgs({
  options: { size: { type: "string", default: "1GiB" }, runs: { type: "string", default: "3" } },
});
const parsed = parseSize(values.size);
if (parsed === undefined || parsed < 1 << 20 || parsed > 16 * 2 ** 30)
  throw new Error("--size: 1MiB to 16GiB");
const size: number = parsed;
const runs = Number(values.runs);
if (!Number.isInteger(runs) || runs < 1 || runs > 20) throw new Error("--runs: 1 to 20");

const READ = 64 * 1024;
const BLOCK = 16 * 1024;
const PIECE_HEADER = 13;
const BATCH = 16;
const key = randomBytes(20);
const read = randomBytes(READ);
const batch: Buffer[] = [];
for (let i = 0; i < BATCH; i++) batch.push(randomBytes(PIECE_HEADER), randomBytes(BLOCK));
const batchBytes = BATCH * (PIECE_HEADER + BLOCK);
const out = Buffer.allocUnsafe(batchBytes);

type Way = "in place" | "writev batch";
const WAYS: Way[] = ["in place", "writev batch"];
const IMPLEMENTATIONS: Rc4Implementation[] = ["wasm", "openssl", "js"];

/** MB/s over CPU time for `size` bytes. */
function measure(impl: Rc4Implementation, way: Way): number {
  const cipher = rc4(key, impl);
  const before = process.cpuUsage();
  if (way === "in place") {
    for (let done = 0; done < size; done += READ) cipher.updateInPlace(read);
  } else {
    for (let done = 0; done < size; done += batchBytes) cipher.updatev(batch, out);
  }
  const cpu = process.cpuUsage(before);
  return size / 1e6 / ((cpu.user + cpu.system) / 1e6);
}

// The same data crypted by each gives the same bytes (else the figures mean nothing).
const expected = rc4(key, "openssl").update(read);
for (const impl of IMPLEMENTATIONS) {
  if (!rc4(key, impl).update(read).equals(expected)) throw new Error(`${impl} RC4 differs`);
}

const results = new Map<string, number[]>();
for (let run = 0; run < runs; run++) {
  for (const way of WAYS) {
    for (const impl of IMPLEMENTATIONS) {
      const k = `${impl} ${way}`;
      const list = results.get(k) ?? [];
      list.push(measure(impl, way));
      results.set(k, list);
    }
  }
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
};
const rows: string[][] = [];
for (const way of WAYS) {
  const ref = median(results.get(`openssl ${way}`)!);
  for (const impl of IMPLEMENTATIONS) {
    const list = results.get(`${impl} ${way}`)!;
    rows.push([
      way,
      impl,
      fixed(median(list), 0),
      `${fixed(Math.min(...list), 0)}–${fixed(Math.max(...list), 0)}`,
      fixed(median(list) / ref, 2),
    ]);
  }
}
console.log(
  `RC4-drop1024 over ${(size / 2 ** 30).toFixed(2)} GiB per figure, median of ${runs} ` +
    `(MB = 10^6 bytes per CPU second; in place: ${READ / 1024} KiB reads; ` +
    `writev batch: ${BATCH} × (${PIECE_HEADER} B header + ${BLOCK / 1024} KiB block) into one buffer)`,
);
console.log(formatTable(["way", "implementation", "MB/s", "spread", "× OpenSSL"], rows));
