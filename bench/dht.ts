/**
 * bench/dht.ts (issue 15): a simulated DHT of 10,000 shoal nodes over the
 * in-memory UDP network (test/sim/dht-sim.ts): round trips log-normal with an
 * 80 ms median, 15% of nodes silent once the tables are built, churn while
 * the lookups run. 1,000 get_peers lookups of swarms announced by 20 nodes
 * each; printed: median, p90 and p99 time to the first peers and to the
 * lookup's end, and messages sent per lookup. The reference, measured in the
 * same run on the same network: as many textbook Kademlia lookups (α = 3, a
 * slow query holds its slot until it times out). Simulated time: the figures
 * are exact and repeat for a seed.
 *
 * Usage: node bench/dht.ts [--nodes 10000] [--lookups 1000] [--seed 1] [--sigma 0.5]
 */
import { parseArgs } from "node:util";
import { runDhtSim, type Summary, summarize } from "../test/sim/dht-sim.ts";

const { values } = parseArgs({
  options: {
    nodes: { type: "string" },
    lookups: { type: "string" },
    seed: { type: "string" },
    sigma: { type: "string" },
  },
});
const nodes = Number(values.nodes ?? 10_000);
const lookups = Number(values.lookups ?? 1_000);
const seed = Number(values.seed ?? 1);
const sigma = Number(values.sigma ?? 0.5);

const wall = performance.now();
const r = await runDhtSim({
  nodes,
  seed,
  medianRttMs: 80,
  rttSigma: sigma,
  silentShare: 0.15,
  churnPerSecond: 0.002,
  swarms: 50,
  announcersPerSwarm: 20,
  lookups,
  concurrency: 50,
  reference: true,
});
const shoal = summarize(r.samples);
const ref = summarize(r.reference);

const ms = (v: number) => (Number.isFinite(v) ? `${Math.round(v)} ms` : "never");
const ratio = (a: number, b: number) =>
  Number.isFinite(a) && Number.isFinite(b) && b > 0 ? `${(a / b).toFixed(2)}x` : "-";
const line = (name: string, pick: (s: Summary) => number) =>
  `  ${name.padEnd(26)} ${ms(pick(shoal)).padStart(9)} ${ms(pick(ref)).padStart(11)} ${ratio(pick(shoal), pick(ref)).padStart(7)}\n`;

process.stdout.write(
  `DHT: ${nodes} nodes, RTT log-normal median 80 ms (σ ${sigma}), 15% silent, churn 0.2%/s; ` +
    `50 swarms of 20 announcers; ${lookups} get_peers lookups each kind (seed ${seed})\n` +
    `  tables: ${r.meanTable.toFixed(1)} nodes on average, built in ${(r.buildMs / 1000).toFixed(1)} s simulated\n` +
    `  ${"".padEnd(26)} ${"shoal".padStart(9)} ${"textbook".padStart(11)} ${"ratio".padStart(7)}\n` +
    line("first peers, median", (s) => s.firstPeers.p50) +
    line("first peers, p90", (s) => s.firstPeers.p90) +
    line("first peers, p99", (s) => s.firstPeers.p99) +
    line("lookup end, median", (s) => s.end.p50) +
    line("lookup end, p90", (s) => s.end.p90) +
    line("lookup end, p99", (s) => s.end.p99) +
    `  ${"messages per lookup, mean".padEnd(26)} ${shoal.messages.mean.toFixed(1).padStart(9)} ${ref.messages.mean.toFixed(1).padStart(11)} ${ratio(shoal.messages.mean, ref.messages.mean).padStart(7)}\n` +
    `  ${"lookups that found peers".padEnd(26)} ${`${shoal.found}/${shoal.lookups}`.padStart(9)} ${`${ref.found}/${ref.lookups}`.padStart(11)}\n` +
    `  targets (issue 15): first peers median ≤ 200 ms: ${shoal.firstPeers.p50 <= 200 ? "met" : "NOT met"}; ` +
    `p99 ≤ 1 s: ${shoal.firstPeers.p99 <= 1000 ? "met" : "NOT met"}; ≤ 40 messages: ${shoal.messages.mean <= 40 ? "met" : "NOT met"}\n` +
    `  (${r.datagrams} datagrams simulated in ${((performance.now() - wall) / 1000).toFixed(0)} s of wall time)\n`,
);
