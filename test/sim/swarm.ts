/**
 * node test/sim/swarm.ts --seed 1 [--leechers 20] [--size 64MiB] [--free-rider] [--caps client]
 *
 * One seeder and N leechers on the simulated network with upload caps (the
 * seeder 2 MiB/s, the leechers 1 MiB/s: on the hosts' uplinks, or with
 * --caps client as each client's own upload limit over unlimited links);
 * with --free-rider the last leecher never uploads. Prints one line: the
 * simulated time until the last leecher completes, T/T_min (T_min =
 * max(F/u_s, N·F/(u_s+Σu_i)), the fluid bound) and the payload bytes each
 * peer sent. The same arguments print the same line.
 */
import { parseArgs } from "node:util";
import { parseSize } from "../../src/util/index.ts";
import { runSwarm } from "./scenarios.ts";

const { values } = parseArgs({
  options: {
    seed: { type: "string", default: "1" },
    leechers: { type: "string", default: "20" },
    size: { type: "string", default: "64MiB" },
    "free-rider": { type: "boolean", default: false },
    caps: { type: "string", default: "network" },
  },
});
const seed = Number(values.seed);
const leechers = Number(values.leechers);
const size = parseSize(values.size);
const caps = values.caps;
if (
  !Number.isInteger(seed) ||
  !Number.isInteger(leechers) ||
  leechers < 1 ||
  !size ||
  (caps !== "network" && caps !== "client")
) {
  process.stderr.write(
    "usage: node test/sim/swarm.ts --seed N [--leechers N] [--size 64MiB] [--free-rider] [--caps network|client]\n",
  );
  process.exit(2);
}
const result = await runSwarm({
  seed,
  leechers,
  size,
  freeRider: values["free-rider"],
  capsAt: caps,
});
process.stdout.write(`${result.line}\n`);
