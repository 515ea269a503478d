/**
 * The CLI as a client of the daemon, run as a user runs it (the `shoal`
 * command line, in this process, against a daemon in this process): add,
 * ls, pause, resume, files, peers, limit and rm, in text and --json, and
 * each mistake as one line with its exit status.
 */
import assert from "node:assert/strict";
import { existsSync, writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { after, before, test } from "node:test";
import { run } from "../../src/cli/main.ts";
import { freePort } from "../interop/helpers.ts";
import { call, makeSeededTorrent, startTestDaemon, type TestDaemon } from "./daemon-helpers.ts";

let d: TestDaemon;
before(async () => {
  d = await startTestDaemon();
});
after(() => d.stop());

function shoal(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  return shoalAt(d.base, ...args);
}

async function shoalAt(
  base: string,
  ...args: string[]
): Promise<{ code: number; out: string; err: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = "";
  let err = "";
  stdout.on("data", (c) => (out += c));
  stderr.on("data", (c) => (err += c));
  const code = await run([...args, "--remote", base], { stdout, stderr, cwd: d.dir, env: {} });
  return { code, out, err };
}

test("add, ls, pause, resume, files, limit, peers and rm against the daemon", async () => {
  const t = await makeSeededTorrent(d.downloadDir, "by-cli");
  writeFileSync(join(d.dir, "by-cli.torrent"), t.torrent);
  const added = await shoal("add", "by-cli.torrent");
  assert.equal(added.code, 0, added.err);
  assert.match(added.out, /^added \[1\] by-cli \([0-9a-f]{12}…, seeding\)\n$/);

  const ls = await shoal("ls");
  assert.match(ls.out, /^ID\s+STATE\s+DONE\s+SIZE/);
  assert.match(ls.out, /\n\s*1\s+seeding\s+100(\.0)?%\s+39\.1 KiB.*by-cli\n/);
  const json = JSON.parse((await shoal("ls", "--json")).out);
  assert.equal(json[0].infoHash, t.infoHash);

  assert.equal((await shoal("pause", "1")).out, "paused [1] by-cli\n");
  assert.equal((await call(d.base, "GET", "/api/v1/torrents/1")).body.state, "paused");
  assert.equal((await shoal("resume", t.infoHash.slice(0, 6))).out, "resumed [1] by-cli\n");
  assert.equal((await call(d.base, "GET", "/api/v1/torrents/1")).body.state, "seeding");

  const files = await shoal("files", "1", "--skip", "1");
  assert.match(files.out, /\n\s*0\s+normal\s+100(\.0)?%\s+19\.5 KiB\s+by-cli\/a\.bin/);
  assert.match(files.out, /\n\s*1\s+skip\s+100(\.0)?%\s+19\.5 KiB\s+by-cli\/b\.bin/);
  assert.equal((await call(d.base, "GET", "/api/v1/torrents/1/files")).body[1].wanted, false);

  assert.equal(
    (await shoal("limit", "--upload", "1MB")).out,
    "global: ↑ 976.6 KiB/s ↓ unlimited\n",
  );
  assert.deepEqual((await call(d.base, "GET", "/api/v1/session/settings")).body.limits, {
    upload: 1_000_000,
    download: 0,
  });
  assert.match(
    (await shoal("limit", "1", "--download", "200KiB")).out,
    /^torrent 1: ↑ unlimited ↓ 200\.0 KiB\/s\n$/,
  );
  await shoal("limit", "--upload", "0");

  assert.equal((await shoal("peers", "1")).out, "no peers connected\n");
  assert.deepEqual(JSON.parse((await shoal("peers", "1", "--json")).out), []);

  assert.equal((await shoal("rm", "1")).out, "removed [1] by-cli\n");
  assert.deepEqual((await call(d.base, "GET", "/api/v1/torrents")).body, []);
});

test("add --pause-after-metadata: a magnet fetches its metadata from a peer, then rests paused before any piece, and stays so across a restart", async () => {
  const t = await makeSeededTorrent(d.downloadDir, "by-magnet");
  await call(d.base, "POST", "/api/v1/torrents", {
    json: { torrent: t.torrent.toString("base64") },
  });
  const root = await mkdtemp(join(tmpdir(), "shoal-pause-after-metadata-"));
  let e = await startTestDaemon({}, {}, root);
  try {
    const link = `magnet:?xt=urn:btih:${t.infoHash}&x.pe=127.0.0.1:${d.daemon.client.port}`;
    const added = await shoalAt(e.base, "add", link, "--pause-after-metadata");
    assert.equal(added.code, 0, added.err);
    assert.match(added.out, /^added \[1\] /);
    const one = async () => (await call(e.base, "GET", "/api/v1/torrents/1")).body;
    const deadline = Date.now() + 30_000;
    let s = await one();
    while (!(s.hasMetadata && s.state === "paused") && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
      s = await one();
    }
    assert.deepEqual(
      [s.name, s.hasMetadata, s.state, s.piecesHave],
      ["by-magnet", true, "paused", 0],
    );
    assert.equal(existsSync(join(e.downloadDir, "by-magnet")), false, "nothing written yet");
    await e.stop();
    e = await startTestDaemon({}, {}, root);
    s = await one();
    assert.deepEqual([s.hasMetadata, s.state], [true, "paused"]);
  } finally {
    await e.stop();
    await rm(root, { recursive: true, force: true });
  }
});

test("mistakes: one line each, with the exit status of their kind", async () => {
  const unknown = await shoal("pause", "42");
  assert.equal(unknown.code, 1);
  assert.match(unknown.err, /^shoal pause: .*42.*\n$/);
  const missing = await shoal("add", "nope.torrent");
  assert.equal(missing.code, 1);
  assert.equal(missing.err.split("\n").length, 2);
  const usage = await shoal("rm");
  assert.equal(usage.code, 2);
  assert.match(usage.err, /^shoal rm: missing a torrent's id \(see 'shoal help rm'\)\n$/);
  const port = await freePort();
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let err = "";
  stderr.on("data", (c) => (err += c));
  const code = await run(["ls", "--remote", `http://127.0.0.1:${port}`], {
    stdout,
    stderr,
    cwd: d.dir,
    env: {},
  });
  assert.equal(code, 1);
  assert.equal(
    err,
    `shoal ls: no daemon at http://127.0.0.1:${port} (start one with 'shoal daemon', or give --remote)\n`,
  );
});
