/**
 * A torrent with no peer left asks its trackers again early (issue 13,
 * item 10): the peer only came back at the next announce, 30 minutes on.
 * A tracker on loopback that knows no peer at the first announce and the
 * seeder from then on; the leecher must announce again as soon as the
 * tracker's `min interval` allows, find the seeder and complete, without
 * polling the tracker beyond a few early announces.
 */
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { after, test } from "node:test";
import type { Client } from "../../src/session/index.ts";
import {
  buildAnnounceReply,
  encodeCompactPeers,
  type PeerAddress,
} from "../../src/tracker-proto/index.ts";
import {
  completed,
  type Fixture,
  makeFixture,
  removeFixture,
  startClient,
} from "./swarm-helpers.ts";

const fixtures: Fixture[] = [];
const clients: Client[] = [];
const peers: PeerAddress[] = [];
const announces: number[] = [];
const tracker = createServer((req, res) => {
  if (!req.url?.startsWith("/announce")) {
    res.statusCode = 404;
    res.end();
    return;
  }
  announces.push(Date.now());
  res.end(
    buildAnnounceReply({ interval: 1800, minInterval: 1, peers: encodeCompactPeers(peers, 4) }),
  );
});
after(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await Promise.all(fixtures.map(removeFixture));
  await new Promise<void>((resolve) => tracker.close(() => resolve()));
});

test("a leecher alone announces again early, finds the seeder and completes", async () => {
  await new Promise<void>((resolve) => tracker.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(tracker.address() as AddressInfo).port}/announce`;
  const f = await makeFixture(1024 * 1024, 32 * 1024, [[url]]);
  fixtures.push(f);
  // The seeder never announces (nor dials): only the tracker's list leads to it.
  const seeder = await startClient(f, "seeder", { downloadDir: f.seedDir });
  clients.push(seeder);
  await seeder.add(f.meta);
  const leecher = await startClient(f, "leecher", {
    torrentDefaults: { chokeIntervalMs: 1000, announcer: { minIntervalMs: 1000 } },
  });
  clients.push(leecher);
  const t = await leecher.add(f.meta);
  const started = Date.now();
  while (announces.length === 0 && Date.now() - started < 30_000) {
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.equal(announces.length, 1, "the first announce");
  peers.push({ ip: "127.0.0.1", port: seeder.port });
  await completed(t);
  assert.ok((await readFile(join(f.dir, "leecher", "download", "payload.bin"))).equals(f.data));
  assert.ok(announces.length >= 2, "announced again before the interval");
  assert.ok(announces[1]! - announces[0]! >= 900, "not before the tracker's min interval");
  assert.ok(announces.length <= 5, `a few early announces at most (${announces.length})`);
});
