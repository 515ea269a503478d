/**
 * Peers told of each other at once (as bench/swarm.ts tells every peer of
 * every other) dial each other at the same moment: each pair must end with
 * one connection, not none. Each side sees two connections to one peer id
 * and keeps the one dialled by the lower id; a dial of ours that completes
 * after the peer's own connection reached us (and told us its listen port,
 * BEP 10 `p`) follows that rule too. It was dropped for the address alone,
 * while the peer had kept that very connection and closed its own: the pair
 * had none until the next redial, 5 s later. On real sockets which comes
 * first (our dial's handshake reply, the peer's close) varies, so several
 * rounds of a six-peer mesh are run; each must be whole well before a redial.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Client } from "../../src/session/index.ts";
import { makeFixture, removeFixture, startClient } from "./swarm-helpers.ts";

const PEERS = 6;
const ROUNDS = 4;
/** Under the 5 s redial wait: a pair left with no connection shows as a shortfall. */
const WHOLE_WITHIN_MS = 4500;

test("a mesh of peers dialling each other at once keeps one connection per pair", async () => {
  const f = await makeFixture(4 * 1024 * 1024, 256 * 1024);
  const short: string[] = [];
  try {
    for (let round = 0; round < ROUNDS; round++) {
      const clients: Client[] = [];
      try {
        for (let i = 0; i < PEERS; i++) {
          clients.push(
            await startClient(f, `r${round}p${i}`, {
              // Slow uploads: nobody completes (and leaves as a seed) within the check.
              uploadLimit: 64 * 1024,
              ...(i === 0 ? { downloadDir: f.seedDir } : {}),
            }),
          );
        }
        const torrents = await Promise.all(clients.map((c) => c.add(f.meta)));
        const ports = clients.map((c) => c.port);
        for (const [i, t] of torrents.entries()) {
          t.addPeers(ports.filter((_, j) => j !== i).map((port) => ({ ip: "127.0.0.1", port })));
        }
        const deadline = Date.now() + WHOLE_WITHIN_MS;
        const whole = () => torrents.every((t) => t.stats().peers === PEERS - 1);
        while (!whole() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
        if (!whole())
          short.push(`round ${round}: ${torrents.map((t) => t.stats().peers).join(",")}`);
      } finally {
        await Promise.all(clients.map((c) => c.close()));
      }
    }
  } finally {
    await removeFixture(f);
  }
  assert.deepEqual(short, [], `each peer connected to the ${PEERS - 1} others`);
});
