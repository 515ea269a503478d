/**
 * Rate limits (issue 5): a global upload limit holds, and it is shared fairly
 * between the torrents being uploaded; what one leaves unused goes to the other.
 */
import assert from "node:assert/strict";
import { after, test } from "node:test";
import type { Client } from "../../src/session/index.ts";
import {
  completed,
  type Fixture,
  makeFixture,
  removeFixture,
  startClient,
} from "./swarm-helpers.ts";

const fixtures: Fixture[] = [];
const clients: Client[] = [];
after(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await Promise.all(fixtures.map(removeFixture));
});

test("a global upload limit is shared evenly by two torrents, and holds in total", async () => {
  const limit = 1024 * 1024;
  const a = await makeFixture(2 * 1024 * 1024, 32 * 1024);
  const b = await makeFixture(2 * 1024 * 1024, 32 * 1024);
  fixtures.push(a, b);
  // One seeder client seeds both torrents (their data sits in two folders).
  const seeder = await startClient(a, "seeder", { downloadDir: a.seedDir, uploadLimit: limit });
  clients.push(seeder);
  const ta = await seeder.add(a.meta);
  const tb = await seeder.add(b.meta, { downloadDir: b.seedDir });
  const leechA = await startClient(a, "leech-a");
  const leechB = await startClient(b, "leech-b");
  clients.push(leechA, leechB);
  const la = await leechA.add(a.meta);
  const lb = await leechB.add(b.meta);
  la.addPeers([{ ip: "127.0.0.1", port: seeder.port }]);
  lb.addPeers([{ ip: "127.0.0.1", port: seeder.port }]);
  // Measured from when both torrents upload, not from addPeers: on a loaded machine the
  // connections and handshakes can take a good part of a fixed window, which then looked
  // like the limit going unused.
  const deadline = Date.now() + 30_000;
  while ((ta.stats().uploaded === 0 || tb.stats().uploaded === 0) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 10));
  }
  const started = performance.now();
  const fromA = ta.stats().uploaded;
  const fromB = tb.stats().uploaded;
  await new Promise((r) => setTimeout(r, 1500));
  const seconds = (performance.now() - started) / 1000;
  const upA = ta.stats().uploaded - fromA;
  const upB = tb.stats().uploaded - fromB;
  const total = upA + upB;
  // The limit holds (one quarter-second burst of credit allowed on top).
  assert.ok(
    total <= limit * (seconds + 0.25) * 1.05,
    `uploaded ${total} B in ${seconds.toFixed(2)} s at ${limit} B/s`,
  );
  assert.ok(
    total >= limit * seconds * 0.6,
    `the limit was not used: ${total} B in ${seconds.toFixed(2)} s`,
  );
  const shareA = upA / total;
  assert.ok(
    shareA > 0.35 && shareA < 0.65,
    `torrent A got ${(shareA * 100).toFixed(0)} % of the upload`,
  );
  await Promise.all([completed(la), completed(lb)]);
});
