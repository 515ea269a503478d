/**
 * Debian's transmission-remote (transmission-cli) drives shoal's daemon
 * through its Transmission RPC, with basic auth, as it drives
 * transmission-daemon: adds a torrent, lists it, deselects a file, pauses,
 * resumes, lists its files, and removes it with its data. Every step is
 * checked through shoal's own API and on disk.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { hashPassword } from "../../src/api/index.ts";
import {
  call,
  type Json,
  makeSeededTorrent,
  startTestDaemon,
  type TestDaemon,
} from "../daemon/daemon-helpers.ts";
import { findExecutable, skipReason } from "./helpers.ts";

const skip = skipReason([{ bin: "transmission-remote", pkg: "transmission-cli" }]);
const AUTH = "shoal:remote-pass";
let d: TestDaemon;
let port: number;

before(async () => {
  if (skip) return;
  d = await startTestDaemon({
    api: { username: "shoal", "password-hash": await hashPassword("remote-pass") },
  });
  port = Number(new URL(d.base).port);
});
after(async () => {
  await d?.stop();
});

/**
 * One transmission-remote run against the daemon (loopback), bounded in
 * time; asynchronous, since the daemon answers from this process.
 */
function run(auth: string, args: string[]): Promise<{ code: number; out: string }> {
  const bin = findExecutable("transmission-remote")!;
  return new Promise((resolve) => {
    execFile(
      bin,
      [`127.0.0.1:${port}`, "-n", auth, ...args],
      { timeout: 20_000 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === "number" ? err.code : -1) : 0;
        resolve({ code, out: `${stdout}${stderr}` });
      },
    );
  });
}

async function remote(...args: string[]): Promise<string> {
  const r = await run(AUTH, args);
  assert.equal(r.code, 0, `transmission-remote ${args.join(" ")}: ${r.out}`);
  return r.out;
}

const auth = { authorization: `Basic ${Buffer.from(AUTH).toString("base64")}` };
const api = async (path: string): Promise<Json> =>
  (await call(d.base, "GET", `/api/v1${path}`, { headers: auth })).body;

test("transmission-remote adds, lists, deselects a file, pauses, resumes and removes a torrent", {
  skip,
}, async () => {
  // The data is where the daemon downloads to: it checks it and seeds.
  const t = await makeSeededTorrent(d.downloadDir, "via-remote");
  const file = join(d.dir, "via-remote.torrent");
  writeFileSync(file, t.torrent);

  // Wrong password: refused, nothing added.
  const denied = await run("shoal:wrong", ["-l"]);
  assert.notEqual(denied.code, 0);
  assert.match(denied.out, /unauthenticated/);

  assert.match(await remote("-a", file), /responded: "success"/);
  const [added] = await api("/torrents");
  assert.equal(added.infoHash, t.infoHash);
  const id = String(added.id);

  const list = await remote("-l");
  const row = list.split("\n").find((l) => l.includes("via-remote"));
  assert.ok(row, list);
  assert.match(
    row!,
    new RegExp(`^\\s*${id}\\s+100%\\s+40\\.00 kB\\s+Done.*(Seeding|Idle)\\s+via-remote$`),
  );

  // Deselect the second file: shoal's API says it is skipped, transmission-remote shows "No".
  assert.match(await remote("-t", id, "-G", "1"), /success/);
  assert.deepEqual(
    (await api(`/torrents/${id}/files`)).map((f: Json) => [f.path, f.wanted]),
    [
      ["via-remote/a.bin", true],
      ["via-remote/b.bin", false],
    ],
  );
  const files = await remote("-t", id, "-f");
  assert.match(files, /0: 100% Normal\s+Yes\s+20\.00 kB\s+via-remote\/a\.bin/);
  assert.match(files, /1: 100% Normal\s+No\s+20\.00 kB\s+via-remote\/b\.bin/);

  assert.match(await remote("-t", id, "-S"), /success/);
  assert.equal((await api(`/torrents/${id}`)).state, "paused");
  assert.match(await remote("-l"), /Stopped\s+via-remote/);
  assert.match(await remote("-t", id, "-s"), /success/);
  assert.equal((await api(`/torrents/${id}`)).state, "seeding");

  const info = await remote("-t", id, "-i");
  assert.match(info, new RegExp(`Hash: ${t.infoHash}`));
  assert.match(info, /Location: .*downloads/);

  assert.ok(existsSync(join(d.downloadDir, "via-remote", "a.bin")));
  assert.match(await remote("-t", id, "--remove-and-delete"), /success/);
  assert.deepEqual(await api("/torrents"), []);
  assert.ok(!existsSync(join(d.downloadDir, "via-remote")), "its data was deleted");
});

test("transmission-remote adds a torrent without its data, paused: the deselected file is never created", {
  skip,
}, async () => {
  const t = await makeSeededTorrent(join(d.dir, "elsewhere"), "absent");
  const file = join(d.dir, "absent.torrent");
  writeFileSync(file, t.torrent);
  assert.match(await remote("-a", file, "-S"), /success/);
  const added = (await api("/torrents")).find((x: Json) => x.infoHash === t.infoHash);
  const id = String(added.id);
  assert.equal(added.state, "paused");
  assert.match(await remote("-t", id, "-G", "0"), /success/);
  assert.match(await remote("-t", id, "-s"), /success/);
  assert.equal((await api(`/torrents/${id}`)).state, "downloading");
  assert.match(
    await remote("-l"),
    new RegExp(`^\\s*${id}\\s+0%\\s+None\\s+Unknown.*(Idle|Downloading)\\s+absent$`, "m"),
  );
  assert.ok(!existsSync(join(d.downloadDir, "absent", "a.bin")), "a skipped file is not created");
  assert.match(await remote("-t", id, "-r"), /success/);
  assert.deepEqual(await api("/torrents"), []);
});

test("transmission-remote adds a tracker (-td), lists it (-it) and removes it (-tr)", {
  skip,
}, async () => {
  const t = await makeSeededTorrent(d.downloadDir, "re-tracked");
  const file = join(d.dir, "re-tracked.torrent");
  writeFileSync(file, t.torrent);
  assert.match(await remote("-a", file), /success/);
  const added = (await api("/torrents")).find((x: Json) => x.infoHash === t.infoHash);
  const id = String(added.id);
  const first = "http://127.0.0.1:9/announce";
  const second = "udp://127.0.0.1:9/announce";
  assert.match(await remote("-t", id, "-td", first), /success/);
  assert.match(await remote("-t", id, "-td", second), /success/);
  const trackers = () => api(`/torrents/${id}/trackers`);
  assert.deepEqual(
    (await trackers()).map((x: Json) => [x.id, x.tier, x.url]),
    [
      [0, 0, first],
      [1, 1, second],
    ],
  );
  const info = await remote("-t", id, "-it");
  assert.match(info, /Tracker 0: http:\/\/127\.0\.0\.1:9/);
  assert.match(info, /Tracker 1: udp:\/\/127\.0\.0\.1:9/);
  // A bad URL and an unknown id: an error, nothing changed.
  assert.notEqual((await run(AUTH, ["-t", id, "-td", "not-a-url"])).code, 0);
  assert.notEqual((await run(AUTH, ["-t", id, "-tr", "5"])).code, 0);
  assert.equal((await trackers()).length, 2);
  assert.match(await remote("-t", id, "-tr", "0"), /success/);
  assert.deepEqual(
    (await trackers()).map((x: Json) => [x.id, x.url]),
    [[0, second]],
  );
  assert.match(await remote("-t", id, "-r"), /success/);
});
