/**
 * bench/ipfilter.ts (issue 18): how long a block list of N ranges (default a
 * million, PeerGuardian P2P text, random IPv4 ranges) takes to load, and
 * what one lookup costs, over several runs. Targets: load < 1 s, lookup
 * < 1 µs. No reference program: the figures stand alone.
 *
 * Usage: node bench/ipfilter.ts [--ranges 1000000] [--lookups 2000000] [--runs 3]
 */
import { parseArgs } from "node:util";
import { IpFilter } from "../src/net/index.ts";
import { seededRandom } from "../src/util/index.ts";

const { values } = parseArgs({
  options: {
    ranges: { type: "string", default: "1000000" },
    lookups: { type: "string", default: "2000000" },
    runs: { type: "string", default: "3" },
  },
});
const ranges = Math.min(10_000_000, Math.max(1, Number(values.ranges)));
const lookups = Math.min(100_000_000, Math.max(1, Number(values.lookups)));
const runs = Math.min(20, Math.max(1, Number(values.runs)));
const random = seededRandom(1);
const quad = (n: number) => `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;

const lines: string[] = [];
for (let i = 0; i < ranges; i++) {
  const start = Math.floor(random() * 0xffff0000);
  const length = Math.floor(random() * 256);
  lines.push(`range ${i}:${quad(start)}-${quad(start + length)}`);
}
const text = Buffer.from(lines.join("\n"), "latin1");
const probes = new Array<string>(4096);
for (let i = 0; i < probes.length; i++) probes[i] = quad(Math.floor(random() * 0xffffffff));

const loads: number[] = [];
const costs: number[] = [];
let size = 0;
let hits = 0;
for (let run = 1; run <= runs; run++) {
  const t0 = performance.now();
  const { filter } = IpFilter.parse(text);
  const t1 = performance.now();
  size = filter.size;
  for (let i = 0; i < lookups; i++) if (filter.blocked(probes[i & 4095]!)) hits++;
  const t2 = performance.now();
  loads.push(t1 - t0);
  costs.push(((t2 - t1) * 1e6) / lookups);
  console.log(
    `run ${run}: load ${(t1 - t0).toFixed(0)} ms, lookup ${costs[costs.length - 1]!.toFixed(0)} ns`,
  );
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const spread = (xs: number[], digits: number) =>
  `${Math.min(...xs).toFixed(digits)}–${Math.max(...xs).toFixed(digits)}`;
console.log(
  `ip filter: ${ranges} ranges (${(text.length / 1e6).toFixed(1)} MB, ${size} after merging), ` +
    `${runs} runs: load ${median(loads).toFixed(0)} ms median (${spread(loads, 0)}; target < 1000 ms: ${median(loads) < 1000 ? "met" : "NOT met"}), ` +
    `lookup ${median(costs).toFixed(0)} ns median (${spread(costs, 0)}; target < 1000 ns: ${median(costs) < 1000 ? "met" : "NOT met"}); ${hits} hits`,
);
