/**
 * Issue 13, item 9: what a kill -9 costs. A rate-limited `shoal get` is
 * killed without warning three times, a moment after data starts to flow,
 * and restarted; then it completes. Everything the seeder sent past the
 * file's size was fetched twice. Only what had not reached the disk is
 * lost: the pieces waiting for the piece writer (it is started and ready
 * before the download begins) and the requests in flight (under a download
 * limit, only as many as the limit lets in soon). Before, each kill lost
 * about a second of the limit's worth (the request pipeline) and, early in
 * a run, every piece that arrived while the writer's thread was starting.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, test } from "node:test";
import type { Client } from "../../src/session/index.ts";
import { MAIN } from "./shell-helpers.ts";
import { type Fixture, makeFixture, removeFixture, startClient } from "./swarm-helpers.ts";

const SIZE = 24 * 1024 * 1024;
const RATE = "8MB";
const KILLS = 3;

const clients: Client[] = [];
const children: ChildProcess[] = [];
let fixture: Fixture | undefined;
after(async () => {
  for (const c of children) if (c.exitCode === null) c.kill("SIGKILL");
  await Promise.all(clients.map((c) => c.close()));
  if (fixture) await removeFixture(fixture);
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test(`${KILLS} kills of a ${RATE}/s download cost little: what is lost at a kill is bounded`, async () => {
  const f = await makeFixture(SIZE, 64 * 1024);
  fixture = f;
  const torrentPath = join(f.dir, "t.torrent");
  await writeFile(torrentPath, f.torrentFile);
  const seeder = await startClient(f, "seeder", { downloadDir: f.seedDir });
  clients.push(seeder);
  const seeding = await seeder.add(f.meta);

  const leecher = () => {
    const child = spawn(
      process.execPath,
      [
        MAIN,
        "get",
        torrentPath,
        "-o",
        join(f.dir, "leecher"),
        "--data-dir",
        join(f.dir, "leecher-data"),
        "--host",
        "127.0.0.1",
        "--port",
        "0",
        "--no-trackers",
        "--peer",
        `127.0.0.1:${seeder.port}`,
        "--download-limit",
        RATE,
        "--quiet",
      ],
      { stdio: ["ignore", "ignore", "pipe"] },
    );
    children.push(child);
    let stderr = "";
    child.stderr!.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    const exited = new Promise<number | null>((r) => child.on("exit", (code) => r(code)));
    return { child, exited, stderr: () => stderr };
  };

  for (let k = 0; k < KILLS; k++) {
    const before = seeding.uploaded;
    const run = leecher();
    const deadline = Date.now() + 15_000;
    while (seeding.uploaded === before && run.child.exitCode === null && Date.now() < deadline) {
      await sleep(5);
    }
    assert.equal(run.child.exitCode, null, `run ${k + 1} ended early: ${run.stderr()}`);
    // A kill in the first moments of a run (the writer starting) and later ones (the pipeline).
    await sleep([150, 600, 900][k]!);
    run.child.kill("SIGKILL");
    await run.exited;
    const quiet = Date.now() + 5000;
    while (seeding.peers().length > 0 && Date.now() < quiet) await sleep(10);
  }
  const last = leecher();
  const timer = setTimeout(() => last.child.kill("SIGKILL"), 20_000);
  assert.equal(await last.exited, 0, `the last run completes: ${last.stderr()}`);
  clearTimeout(timer);
  const got = await readFile(join(f.dir, "leecher", "payload.bin"));
  assert.ok(got.equals(f.data), "the download equals the source");

  const overhead = seeding.uploaded / SIZE - 1;
  // About 1% now; 25–50% before (4 MiB in flight at each kill, more early on).
  assert.ok(
    overhead <= 0.08,
    `sent ${(overhead * 100).toFixed(1)}% more than the file over ${KILLS} kills`,
  );
});
