/**
 * `shoal shell` attached to a running daemon (issue 16): `--remote URL`, or
 * a --data-dir the daemon holds. The shell's own commands, as a script on
 * stdin, act on the daemon's torrents through its HTTP API (checked through
 * that API), and quitting leaves the daemon running.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { hashPassword } from "../../src/api/index.ts";
import {
  call,
  type Json,
  makeSeededTorrent,
  startTestDaemon,
  type TestDaemon,
} from "../daemon/daemon-helpers.ts";
import { CliProcess } from "./shell-helpers.ts";

const work = mkdtempSync(join(tmpdir(), "shoal-e2e-shell-attach-"));
const procs: CliProcess[] = [];
const daemons: TestDaemon[] = [];
after(async () => {
  for (const p of procs) p.kill();
  for (const d of daemons) await d.stop();
  rmSync(work, { recursive: true, force: true });
});

const env: NodeJS.ProcessEnv = {
  ...process.env,
  XDG_DATA_HOME: join(work, "xdg"),
  SHOAL_DISCOVERY: "off",
};
for (const key of ["SHOAL_REMOTE", "SHOAL_AUTH", "SHOAL_TOKEN"]) delete env[key];

function shell(args: string[], extraEnv: Record<string, string> = {}): CliProcess {
  const p = new CliProcess(["shell", ...args], { ...env, ...extraEnv });
  procs.push(p);
  return p;
}

test("shell --remote: the shell's commands drive the daemon's torrents; quit leaves it running", async () => {
  const d = await startTestDaemon({
    api: { username: "me", "password-hash": await hashPassword("pw") },
  });
  daemons.push(d);
  const auth = { authorization: `Basic ${Buffer.from("me:pw").toString("base64")}` };
  const api = async (method: string, path: string): Promise<Json> =>
    (await call(d.base, method, `/api/v1${path}`, { headers: auth })).body;
  const t = await makeSeededTorrent(d.downloadDir, "attached");
  const file = join(work, "attached.torrent");
  writeFileSync(file, t.torrent);

  // Wrong credentials: one line, no shell.
  const denied = shell(["--remote", d.base, "--auth", "me:wrong"]);
  denied.end();
  assert.notEqual(await denied.exited, 0);
  assert.match(denied.stderr, /wrong or missing credentials/);
  assert.equal(denied.stderr.trim().split("\n").length, 1, denied.stderr);

  const s = shell(["--remote", d.base, "--auth", "me:pw"]);
  await s.ask("show progress", /^no torrents/m);
  // A .torrent here is uploaded to the daemon, whose data is in its download folder.
  await s.ask(`download ${file}`, /\[1\] attached/);
  const [added] = await api("GET", "/torrents");
  assert.equal(added.infoHash, t.infoHash);
  await s.ask("wait 1 20", /attached/);
  await s.ask("show progress", /\s+1 {2}attached\s+100\.0% {2}seeding\s/);
  await s.ask("files 1", /attached\/a\.bin[\s\S]*attached\/b\.bin/);
  await s.ask("files 1 skip 1", /b\.bin/);
  assert.deepEqual(
    (await api("GET", `/torrents/${t.infoHash}/files`)).map((f: Json) => f.priority),
    ["normal", "skip"],
  );
  await s.ask("pause 1", /\[1\] attached: complete \(paused\)\n/);
  assert.equal((await api("GET", `/torrents/${t.infoHash}`)).state, "paused");
  await s.ask("resume 1", /\[1\] attached: seeding\n/);
  assert.equal((await api("GET", `/torrents/${t.infoHash}`)).state, "seeding");
  await s.ask("limit up 1MB", /upload limit: 976\.6 KiB\/s\n/);
  assert.equal((await api("GET", "/session/settings")).limits.upload, 1_000_000);
  await s.ask("limit", /upload limit: 976\.6 KiB\/s, download limit: unlimited\n/);
  await s.ask(`show peers ${t.infoHash.slice(0, 8)}`, /attached|no peers/);
  await s.ask("remove 1", /\[1\] attached/);
  assert.deepEqual(await api("GET", "/torrents"), []);
  s.send("pause 1");
  s.end();
  assert.equal(await s.exited, 1, "the last command (pause of a removed torrent) failed");
  assert.match(s.stderr, /error: no torrent '1'/);
  // The daemon runs on.
  assert.equal((await call(d.base, "GET", "/api/v1/session", { headers: auth })).status, 200);
});

test("a --data-dir held by the daemon attaches the shell to it; no daemon there is one line", async () => {
  const d = await startTestDaemon();
  daemons.push(d);
  const t = await makeSeededTorrent(d.downloadDir, "local");
  await call(d.base, "POST", "/api/v1/torrents", {
    json: { torrent: t.torrent.toString("base64") },
  });
  const dataDir = join(d.dir, "data");
  const s = shell(["--data-dir", dataDir, "--port", "0"], { SHOAL_REMOTE: d.base });
  await s.ask("show progress", /\s+1 {2}local\s+100\.0% {2}seeding\s/);
  s.end();
  assert.equal(await s.exited, 0, s.stderr);

  // A port nothing listens on: the daemon just stopped frees its own.
  const gone = await startTestDaemon();
  const base = gone.base;
  await gone.stop();
  const none = shell(["--remote", base]);
  none.end();
  assert.notEqual(await none.exited, 0);
  assert.match(none.stderr, /no daemon at http:\/\/127\.0\.0\.1:\d+/);
  assert.equal(none.stderr.trim().split("\n").length, 1, none.stderr);
});
