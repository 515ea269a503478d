/**
 * Smart ban on loopback (issue 13, item 3): a liar that sends one bad block
 * of each piece and refuses the rest, beside an honest seeder. Every piece
 * the liar takes part in fails with the seeder's good blocks in it; blaming
 * every sender banned both and left the download at "0 peers". Only the
 * liar may be banned, and the download must complete. (The simulator runs
 * the same over many seeds: test/sim/smart-ban.test.ts.)
 */
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { after, test } from "node:test";
import type { Client } from "../../src/session/index.ts";
import { startLyingPeer } from "./lying-peer.ts";
import {
  completed,
  type Fixture,
  makeFixture,
  removeFixture,
  startClient,
} from "./swarm-helpers.ts";

const fixtures: Fixture[] = [];
const clients: Client[] = [];
const cleanups: (() => Promise<void>)[] = [];
after(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await Promise.all(cleanups.map((c) => c()));
  await Promise.all(fixtures.map(removeFixture));
});

test("a liar mixing one bad block into each piece is the only one banned; the download completes", async () => {
  const pieceLength = 64 * 1024;
  const f = await makeFixture(2 * 1024 * 1024, pieceLength);
  fixtures.push(f);
  const lied = new Set<number>();
  const liar = await startLyingPeer({
    infoHash: f.meta.infoHash,
    data: f.data,
    pieceLength,
    pieceCount: f.meta.pieceCount,
    policy: (piece) => {
      if (lied.has(piece)) return "reject";
      lied.add(piece);
      return "corrupt";
    },
  });
  cleanups.push(() => liar.close());
  const honest = await startClient(f, "honest", {
    downloadDir: f.seedDir,
    uploadLimit: 1024 * 1024,
  });
  clients.push(honest);
  await honest.add(f.meta);
  const victim = await startClient(f, "victim");
  clients.push(victim);
  const t = await victim.add(f.meta);
  const banned: string[] = [];
  t.on("peer-banned", (address) => banned.push(address));
  t.addPeers([
    { ip: "127.0.0.1", port: liar.port },
    { ip: "127.0.0.1", port: honest.port },
  ]);
  await completed(t);
  assert.ok((await readFile(join(f.dir, "victim", "download", "payload.bin"))).equals(f.data));
  assert.ok(liar.lies > 0 && t.stats().hashFailures > 0, "the liar's blocks failed pieces");
  assert.deepEqual(banned, [`127.0.0.1:${liar.port}`], "the liar alone is banned");
  assert.equal(t.stats().banned, 1);
});
