/**
 * node test/sim/swarm.ts --seed 1 [--leechers 20] [--size 64MiB] [--free-rider]
 *
 * One seeder and N leechers on the simulated network, with upload caps;
 * prints one line: the simulated time until the last leecher completes,
 * T/T_min (T_min = max(F/u_s, N·F/(u_s+Σu_i)), the fluid bound) and the
 * payload bytes each peer sent. The same arguments print the same line.
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
  },
});
const seed = Number(values.seed);
const leechers = Number(values.leechers);
const size = parseSize(values.size);
if (!Number.isInteger(seed) || !Number.isInteger(leechers) || leechers < 1 || !size) {
  process.stderr.write(
    "usage: node test/sim/swarm.ts --seed N [--leechers N] [--size 64MiB] [--free-rider]\n",
  );
  process.exit(2);
}
const result = await runSwarm({ seed, leechers, size, freeRider: values["free-rider"] });
process.stdout.write(`${result.line}\n`);
