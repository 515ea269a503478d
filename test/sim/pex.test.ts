/**
 * Peer exchange spreads a swarm (issue 14, BEP 11): 30 peers, each told of
 * one other peer only (a random tree rooted at the seeder, as if each had
 * asked a tracker that knew one peer). Without PEX each stays with the one
 * or two neighbours it was given; with PEX the tree turns into a mesh
 * within a couple of PEX minutes, and the download completes. On the
 * simulator's clock, the minutes between PEX messages pass in no time, and
 * a seed gives the same swarm every run.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { seededRandom } from "../../src/util/index.ts";
import { Swarm } from "./swarm-sim.ts";

const KiB = 1024;
const MiB = 1024 * KiB;
const PORT = 6881;
const PEERS = 30;

interface Outcome {
  /** Connections each peer had 20 s in (the first PEX messages go out 2 s after a handshake). */
  connections: number[];
  /** Of those, the ones to an address heard through PEX. */
  fromPex: number[];
  /** Simulated ms each leecher completed at (undefined: it did not). */
  completedAt: (number | undefined)[];
}

async function spread(seed: number, pex: boolean): Promise<Outcome> {
  const swarm = await Swarm.create({
    seed,
    size: 4 * MiB,
    pieceLength: 64 * KiB,
    limitMs: 600_000,
    pex,
    peers: Array.from({ length: PEERS }, (_, i) => ({
      name: i === 0 ? "s" : `l${i}`,
      seed: i === 0,
      uploadRate: 256 * KiB,
      dialsNobody: true,
    })),
  });
  try {
    // Each peer is told of one that came before it: the swarm is one tree.
    const random = seededRandom(seed * 7919);
    for (let i = 1; i < PEERS; i++) {
      const told = swarm.peers[Math.floor(random() * i)]!;
      swarm.peers[i]!.node!.torrent.addPeers([{ ip: told.address, port: PORT }], "tracker");
    }
    await swarm.runFor(20_000);
    const connections: number[] = [];
    const fromPex: number[] = [];
    for (const p of swarm.peers) {
      const peers = p.node!.torrent.peers();
      connections.push(peers.length);
      fromPex.push(peers.filter((x) => x.source === "pex").length);
    }
    await swarm.run();
    return { connections, fromPex, completedAt: swarm.leechers.map((p) => p.completedAt) };
  } finally {
    await swarm.close();
  }
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

describe("peer exchange spreads a swarm where each peer was told of one other", () => {
  test("with PEX every peer is soon connected to many, and the swarm completes sooner than without", async () => {
    const a = await spread(11, true);
    // A tree of 30 has 29 edges: a mean degree under 2. PEX makes it a mesh.
    assert.ok(mean(a.connections) >= 10, `mean connections ${mean(a.connections)}`);
    assert.ok(Math.min(...a.connections) >= 5, `fewest connections ${Math.min(...a.connections)}`);
    assert.ok(
      a.fromPex.every((n) => n > 0),
      `every peer connected to some peer it heard of by PEX: ${a.fromPex}`,
    );
    assert.ok(
      a.completedAt.every((t) => t !== undefined),
      "every leecher completed",
    );
    // The control: without PEX each keeps the neighbours it was given (a tree).
    const off = await spread(11, false);
    assert.ok(mean(off.connections) < 2, `without PEX: mean connections ${mean(off.connections)}`);
    assert.ok(off.fromPex.every((n) => n === 0));
    const last = (o: Outcome) => Math.max(...o.completedAt.map((t) => t ?? Infinity));
    assert.ok(last(a) < last(off), `last completion ${last(a)} ms with PEX, ${last(off)} without`);
  });

  test("the same seed gives the same swarm", async () => {
    assert.deepEqual(await spread(12, true), await spread(12, true));
  });
});
