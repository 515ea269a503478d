/**
 * A simulated DHT of a few hundred shoal nodes (test/sim/dht-sim.ts): the
 * tables fill, every lookup of an announced swarm finds its peers despite
 * 15% silent nodes and churn, within the targets, and a seed gives
 * the same run twice. bench/dht.ts runs the same simulation at 10,000 nodes.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { type DhtSimOptions, runDhtSim, summarize } from "./dht-sim.ts";

const base: DhtSimOptions = {
  nodes: 250,
  seed: 15,
  medianRttMs: 80,
  rttSigma: 0.5,
  silentShare: 0.15,
  churnPerSecond: 0.002,
  swarms: 10,
  announcersPerSwarm: 20,
  lookups: 100,
  concurrency: 20,
  reference: false,
};

test("250 nodes: lookups find announced swarms fast and cheaply despite silent nodes and churn", async () => {
  const r = await runDhtSim(base);
  assert.ok(r.meanTable >= 16, `mean table ${r.meanTable}`);
  const s = summarize(r.samples);
  assert.equal(s.lookups, 100);
  assert.equal(s.found, 100, "every lookup found peers");
  assert.ok(s.firstPeers.p50 <= 200, `median to first peers ${s.firstPeers.p50} ms`);
  assert.ok(s.firstPeers.p99 <= 1000, `p99 to first peers ${s.firstPeers.p99} ms`);
  assert.ok(s.messages.mean <= 40, `${s.messages.mean} messages per lookup`);
  for (const sample of r.samples)
    assert.ok(sample.peers >= 10, `${sample.peers} of 20 peers found`);
});

test("the same seed gives the same simulation", async () => {
  const small = { ...base, nodes: 60, swarms: 3, lookups: 20 };
  const a = await runDhtSim(small);
  const b = await runDhtSim(small);
  assert.deepEqual(a.samples, b.samples);
  assert.equal(a.datagrams, b.datagrams);
  const c = await runDhtSim({ ...small, seed: 16 });
  assert.notDeepEqual(a.samples, c.samples);
});
