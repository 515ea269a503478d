/**
 * kill -9 mid-download: `shoal get` is killed without warning, restarted, and
 * completes; no verified piece is downloaded twice.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readFile, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { after, test } from "node:test";
import { pieceSize } from "../../src/metainfo/index.ts";
import type { Client } from "../../src/session/index.ts";
import { TorrentStorage } from "../../src/storage/index.ts";
import {
  completed,
  type Fixture,
  makeFixture,
  removeFixture,
  startClient,
} from "./swarm-helpers.ts";

const MAIN = resolve(import.meta.dirname, "../../src/cli/main.ts");

const clients: Client[] = [];
let fixture: Fixture | undefined;
after(async () => {
  await Promise.all(clients.map((c) => c.close()));
  if (fixture) await removeFixture(fixture);
});

test("a leecher killed with SIGKILL resumes and re-downloads only unverified pieces", async () => {
  const f = await makeFixture(6 * 1024 * 1024, 32 * 1024);
  fixture = f;
  const torrentPath = join(f.dir, "t.torrent");
  await writeFile(torrentPath, f.torrentFile);
  // A seeder slow enough that the kill lands mid-download.
  const seeder = await startClient(f, "seeder", {
    downloadDir: f.seedDir,
    uploadLimit: 2 * 1024 * 1024,
  });
  clients.push(seeder);
  const seeding = await seeder.add(f.meta);

  const dataDir = join(f.dir, "leecher-data");
  const downloadDir = join(f.dir, "leecher-dl");
  const child = spawn(
    process.execPath,
    [
      MAIN,
      "get",
      torrentPath,
      "-o",
      downloadDir,
      "--data-dir",
      dataDir,
      "--port",
      "0",
      "--host",
      "127.0.0.1",
      "--no-trackers",
      "--peer",
      `127.0.0.1:${seeder.port}`,
      "--quiet",
    ],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  let stderr = "";
  child.stderr.on("data", (d) => (stderr += d));
  const file = join(downloadDir, "payload.bin");
  const deadline = Date.now() + 60_000;
  // Once about half of it was sent (2 MiB/s), kill without warning. Counted at the seeder,
  // not as a fixed 1.5 s after the file appears: the file may be made before any data
  // flows, and on a loaded machine connecting can take that long, leaving nothing verified.
  const half = f.meta.totalLength / 2;
  while (Date.now() < deadline && seeding.stats().uploaded < half && child.exitCode === null) {
    await new Promise((r) => setTimeout(r, 20));
  }
  child.kill("SIGKILL");
  await new Promise((r) => child.once("exit", r));
  assert.equal(
    child.signalCode,
    "SIGKILL",
    `the child should have been killed mid-download; stderr: ${stderr}`,
  );

  // What survived on disk: every piece that verifies.
  const check = await TorrentStorage.open(f.meta, downloadDir, { verify: true });
  const verifiedAtKill = check.have.count();
  await check.files.close();
  assert.ok(
    verifiedAtKill > 0 && verifiedAtKill < f.meta.pieceCount,
    `verified at kill: ${verifiedAtKill}`,
  );

  // Restart on the same folders; it must keep those pieces and fetch only the rest.
  const again = await startClient(f, "again", { dataDir, downloadDir });
  clients.push(again);
  const t = await again.add(f.meta);
  assert.equal(t.stats().piecesHave, verifiedAtKill, "nothing verified before the kill is lost");
  t.addPeers([{ ip: "127.0.0.1", port: seeder.port }]);
  await completed(t);
  let missingBytes = 0;
  for (let i = 0; i < f.meta.pieceCount; i++)
    if (!check.have.has(i)) missingBytes += pieceSize(f.meta, i);
  const s = t.stats();
  assert.equal(s.downloaded, missingBytes, "exactly the unverified pieces were downloaded again");
  assert.ok((await readFile(file)).equals(f.data));
  process.stdout.write(
    `# killed with ${verifiedAtKill}/${f.meta.pieceCount} pieces verified; ` +
      `re-downloaded ${f.meta.pieceCount - verifiedAtKill} pieces (${missingBytes} bytes)\n`,
  );
});
