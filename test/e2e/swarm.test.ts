/**
 * In-process swarms on loopback: real TCP, real wire protocol, shoal on both ends.
 */
import assert from "node:assert/strict";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import type { Client } from "../../src/session/index.ts";
import { startLyingPeer } from "./lying-peer.ts";
import {
  completed,
  type Fixture,
  makeFixture,
  removeFixture,
  startClient,
} from "./swarm-helpers.ts";

describe("swarm on loopback", () => {
  const fixtures: Fixture[] = [];
  const clients: Client[] = [];
  after(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await Promise.all(fixtures.map(removeFixture));
  });

  test("one seeder, three leechers: every leecher gets the exact file", async () => {
    const f = await makeFixture(3 * 1024 * 1024 + 12345, 32 * 1024);
    fixtures.push(f);
    const seeder = await startClient(f, "seeder", { downloadDir: f.seedDir });
    clients.push(seeder);
    const seeding = await seeder.add(f.meta);
    assert.equal(seeding.complete, true, "the seeder verified its data");
    const leechers = await Promise.all([1, 2, 3].map((i) => startClient(f, `leecher${i}`)));
    clients.push(...leechers);
    const torrents = await Promise.all(leechers.map((c) => c.add(f.meta)));
    // Everyone knows the seeder; leechers also know each other.
    const everyone = [seeder, ...leechers].map((c) => ({ ip: "127.0.0.1", port: c.port }));
    for (const t of torrents) t.addPeers(everyone);
    await Promise.all(torrents.map((t) => completed(t)));
    for (const [i] of leechers.entries()) {
      const got = await readFile(join(f.dir, `leecher${i + 1}`, "download", "payload.bin"));
      assert.ok(got.equals(f.data), `leecher ${i + 1} has the exact bytes`);
    }
  });
});

describe("swarm on loopback: partial seeds and liars", () => {
  const fixtures: Fixture[] = [];
  const clients: Client[] = [];
  const cleanups: (() => Promise<void>)[] = [];
  after(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await Promise.all(cleanups.map((c) => c()));
    await Promise.all(fixtures.map(removeFixture));
  });

  test("partial seeds: two peers each hold half the pieces; a third assembles the whole file", async () => {
    const pieceLength = 32 * 1024;
    const f = await makeFixture(2 * 1024 * 1024 + 777, pieceLength);
    fixtures.push(f);
    // Peer A has the even pieces, peer B the odd ones; the rest of each file is zeros.
    const halves = [0, 1].map(async (parity) => {
      const name = parity === 0 ? "even" : "odd";
      const copy = Buffer.alloc(f.data.length);
      for (let i = parity; i < f.meta.pieceCount; i += 2) {
        f.data.copy(copy, i * pieceLength, i * pieceLength, (i + 1) * pieceLength);
      }
      const dir = join(f.dir, name, "download");
      await mkdir(dir, { recursive: true });
      await writeFile(join(dir, "payload.bin"), copy);
      const client = await startClient(f, name);
      clients.push(client);
      const torrent = await client.add(f.meta);
      assert.equal(torrent.stats().piecesHave, Math.ceil((f.meta.pieceCount - parity) / 2));
      return client;
    });
    const [even, odd] = await Promise.all(halves);
    const third = await startClient(f, "third");
    clients.push(third);
    const t = await third.add(f.meta);
    t.addPeers([even!, odd!].map((c) => ({ ip: "127.0.0.1", port: c.port })));
    await completed(t);
    assert.ok((await readFile(join(f.dir, "third", "download", "payload.bin"))).equals(f.data));
  });

  test("a lying peer: the download completes with the right data and the liar is banned", async () => {
    const pieceLength = 32 * 1024;
    const f = await makeFixture(1024 * 1024, pieceLength);
    fixtures.push(f);
    const liar = await startLyingPeer({
      infoHash: f.meta.infoHash,
      data: f.data,
      pieceLength,
      pieceCount: f.meta.pieceCount,
      lieAbout: (piece) => piece % 3 === 0,
    });
    cleanups.push(() => liar.close());
    // An honest but slow seeder, so the liar gets to serve (and fail) pieces.
    const honest = await startClient(f, "honest", {
      downloadDir: f.seedDir,
      uploadLimit: 256 * 1024,
    });
    clients.push(honest);
    await honest.add(f.meta);
    const victim = await startClient(f, "victim");
    clients.push(victim);
    const t = await victim.add(f.meta);
    const failures: number[] = [];
    t.on("hash-failed", (index) => failures.push(index));
    t.addPeers([{ ip: "127.0.0.1", port: liar.port }]);
    // The honest seeder only once the liar has lied (not after a fixed 300 ms): on a loaded
    // machine the liar's connection could come late enough that it never served a piece.
    const deadline = Date.now() + 30_000;
    while (liar.lies === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    t.addPeers([{ ip: "127.0.0.1", port: honest.port }]);
    await completed(t);
    assert.ok((await readFile(join(f.dir, "victim", "download", "payload.bin"))).equals(f.data));
    assert.ok(liar.lies > 0 && failures.length > 0, "the liar's data was caught by the hash check");
    assert.equal(t.stats().banned, 1, "the liar is banned");
    assert.ok(t.peers().every((p) => p.address !== `127.0.0.1:${liar.port}`));
    // Banned for the session: offering its address again connects nothing.
    t.addPeers([{ ip: "127.0.0.1", port: liar.port }]);
    await new Promise((r) => setTimeout(r, 200));
    assert.ok(t.peers().every((p) => p.address !== `127.0.0.1:${liar.port}`));
  });
});
