/**
 * The live console's data and its plain mode: per-peer piece progress in
 * PeerInfo (both directions), per-source totals that survive closed
 * connections, and `shoal get --ui live` printing plain frames to a pipe.
 */
import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, test } from "node:test";
import { ShoalApi } from "../../src/api/index.ts";
import { SourceTally } from "../../src/cli/source-tally.ts";
import type { Client } from "../../src/session/index.ts";
import type { PeerInfo } from "../../src/torrent/index.ts";
import { CliProcess } from "./shell-helpers.ts";
import {
  completed,
  type Fixture,
  makeFixture,
  removeFixture,
  startClient,
} from "./swarm-helpers.ts";

const fixtures: Fixture[] = [];
const clients: Client[] = [];
const procs: CliProcess[] = [];
after(async () => {
  for (const p of procs) p.kill();
  await Promise.all(clients.map((c) => c.close()));
  await Promise.all(fixtures.map(removeFixture));
});

test("PeerInfo: the piece in progress each way, and totals by source after the close", async () => {
  const pieceLength = 64 * 1024;
  const f = await makeFixture(2 * 1024 * 1024, pieceLength);
  fixtures.push(f);
  const seeder = await startClient(f, "seeder", { downloadDir: f.seedDir });
  // Slow enough to be seen mid-piece: 512 KiB/s against 2 MiB.
  const leecher = await startClient(f, "leecher", { downloadLimit: 512 * 1024 });
  clients.push(seeder, leecher);
  const seeding = await seeder.add(f.meta);
  const getting = await leecher.add(f.meta);
  const tally = new SourceTally(new ShoalApi(leecher), getting.infoHashHex);
  const closed: PeerInfo[] = [];
  getting.on("peer-closed", (_id, _reason, info) => closed.push(info));
  getting.addPeers([{ ip: "127.0.0.1", port: seeder.port }]);

  let down: PeerInfo | undefined;
  let up: PeerInfo | undefined;
  const deadline = Date.now() + 20_000;
  while ((!down || !up) && Date.now() < deadline && !getting.complete) {
    const d = getting.peers()[0];
    if (
      d?.downloadPiece !== undefined &&
      d.downloadPieceProgress > 0 &&
      d.downloadPieceProgress < 1
    ) {
      down = d;
    }
    const u = seeding.peers()[0];
    if (u?.uploadPiece !== undefined && u.uploadPieceProgress > 0) up = u;
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.ok(down, "the leecher saw a piece part-received from the seeder");
  assert.ok(down.downloadPiece! >= 0 && down.downloadPiece! < f.meta.pieceCount);
  assert.equal(down.seed, true);
  assert.ok(up, "the seeder saw which piece the leecher is fetching");
  assert.ok(up.uploadPiece! >= 0 && up.uploadPiece! < f.meta.pieceCount);
  // Blocks are 16 KiB: the fraction is a whole number of blocks of the piece.
  assert.equal((up.uploadPieceProgress * pieceLength) % (16 * 1024), 0);

  await completed(getting);
  // Two seeds close their connection: the totals must outlive it.
  const until = Date.now() + 30_000;
  while (closed.length === 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
  assert.equal(closed.length, 1, "the seed-to-seed connection closed");
  assert.equal(closed[0]!.peerId, seeder.peerId.toString("hex"));
  assert.equal(closed[0]!.downloaded, f.meta.totalLength);
  assert.deepEqual(
    [...tally.totals()],
    [[seeder.peerId.toString("hex"), f.meta.totalLength]],
    "every byte came from the seeder, counted once",
  );
});

test("shoal get --ui live: plain frames on a pipe, with the peer rows", async () => {
  const f = await makeFixture(1024 * 1024, 32 * 1024);
  fixtures.push(f);
  const seeder = await startClient(f, "seeder2", { downloadDir: f.seedDir });
  clients.push(seeder);
  await seeder.add(f.meta);
  const torrentFile = join(f.dir, "payload.torrent");
  await writeFile(torrentFile, f.torrentFile);
  const get = new CliProcess([
    "get",
    torrentFile,
    "-o",
    join(f.dir, "cli-download"),
    "--data-dir",
    join(f.dir, "cli-data"),
    "--host",
    "127.0.0.1",
    "--port",
    "0",
    "--no-trackers",
    "--peer",
    `127.0.0.1:${seeder.port}`,
    "--download-limit",
    "256KiB",
    "--upload-limit",
    "3MB",
    "--ui",
    "live",
    "--refresh",
    "0.5",
  ]);
  procs.push(get);
  const code = await get.exited;
  assert.equal(code, 0, get.stderr);
  const out = get.stdout;
  assert.doesNotMatch(out, /\x1b/, "no escape codes on a pipe");
  const frames = out.slice(0, out.indexOf("payload.bin: complete"));
  for (const line of frames.split("\n")) assert.ok(line.length <= 80, `over 80 columns: ${line}`);
  assert.match(out, /^shoal {2}peer -SH0100-[0-9a-f]{24}$/m);
  assert.match(out, /^listening on 127\.0\.0\.1:\d+ {3}↓ /m);
  assert.match(out, /^max rates: ↓ 256\.0 KiB\/s {2}↑ 2\.86 MiB\/s$/m);
  assert.match(out, /^Downloads in progress$/m);
  assert.match(out, /^ payload\.bin {2}\d+\.\d% {2}\d+\/32 pieces {2}↓ /m);
  const seederRow = new RegExp(
    `^ +\\d+(\\.\\d+)? (B|KiB|MiB)/s seed {4}127\\.0\\.0\\.1:${seeder.port} +SH0100\\.[0-9a-f]{6} +\\d+ +\\d+%`,
    "m",
  );
  assert.match(out, seederRow, out);
  assert.match(out, /^Uploads in progress$/m);
  assert.match(out, /payload\.bin: complete, 1\.00 MiB in/);
});
