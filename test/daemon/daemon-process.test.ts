/**
 * `shoal daemon` as a process: it logs to stderr (text or JSON lines),
 * stops cleanly on SIGTERM, reloads its config file on SIGHUP, brings its
 * torrents back on the next start without rechecking them, and recovers a
 * damaged session file from its last good copy with a log line saying so.
 * `shoal config` prints the effective settings; a config mistake is one line.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, test } from "node:test";
import { encode } from "../../src/bencode/index.ts";
import { sha1 } from "../../src/util/index.ts";
import { Children, freePorts, NODE, SHOAL_CLI, TempDirs, waitFor } from "../interop/helpers.ts";
import { call, makeSeededTorrent } from "./daemon-helpers.ts";

const dirs = new TempDirs();
const children = new Children();
after(async () => {
  await children.stopAll();
  await dirs.removeAll();
});

function startDaemon(args: string[], env: NodeJS.ProcessEnv, timeoutMs = 60_000) {
  return children.start(NODE, [SHOAL_CLI, "daemon", ...args], {
    name: "shoal daemon",
    env: { ...process.env, ...env },
    timeoutMs,
  });
}

test("SIGTERM stops cleanly, SIGHUP reloads, torrents come back without a recheck, a damaged session is recovered", async () => {
  const root = await dirs.make("daemon-proc");
  const [peerPort, apiPort] = await freePorts(2);
  const configFile = join(root, "config.toml");
  const downloads = join(root, "downloads");
  writeFileSync(
    configFile,
    `# test\ndownload-dir = "${downloads}"\n[peer]\naddress = "127.0.0.1"\n[limits]\nupload = "100kB"\n`,
  );
  const env = { XDG_CONFIG_HOME: join(root, "cfg") };
  const args = [
    "--config",
    configFile,
    "--data-dir",
    join(root, "data"),
    "--port",
    String(peerPort),
    "--api-port",
    String(apiPort),
  ];
  const base = `http://127.0.0.1:${apiPort}`;

  const shown = spawnSync(NODE, [SHOAL_CLI, "config", ...args], {
    encoding: "utf8",
    env: { ...process.env, ...env },
  });
  assert.equal(shown.status, 0, shown.stderr);
  assert.match(shown.stdout, new RegExp(`download-dir = "${downloads}"`));
  assert.match(shown.stdout, /upload = 100000/);
  assert.match(shown.stdout, new RegExp(`\\[api\\]\\naddress = "127.0.0.1"\\nport = ${apiPort}`));

  let daemon = startDaemon([...args, "--log", "json"], env);
  const started = JSON.parse((await daemon.waitForLine(/"msg":"started"/, 60_000)).input!);
  assert.equal(started.torrents, 0);
  assert.ok(Number.isInteger(started.restoreMs) && Number.isInteger(started.restoreCpuMs));
  const t = await makeSeededTorrent(downloads, "kept");
  const added = await call(base, "POST", "/api/v1/torrents", {
    json: { torrent: t.torrent.toString("base64") },
  });
  assert.equal(added.status, 201);
  const paused = await makeSeededTorrent(downloads, "kept-paused");
  await call(base, "POST", "/api/v1/torrents", {
    json: { torrent: paused.torrent.toString("base64"), paused: true },
  });
  assert.deepEqual((await call(base, "GET", "/api/v1/session/settings")).body.limits, {
    upload: 100_000,
    download: 0,
  });

  writeFileSync(
    configFile,
    `download-dir = "${downloads}"\n[peer]\naddress = "127.0.0.1"\n[limits]\nupload = "250kB"\ndownload = "1MB"\n`,
  );
  daemon.kill("SIGHUP");
  await daemon.waitForLine(/"msg":"config reloaded"/, 60_000);
  assert.deepEqual((await call(base, "GET", "/api/v1/session/settings")).body.limits, {
    upload: 250_000,
    download: 1_000_000,
  });

  daemon.kill("SIGTERM");
  assert.deepEqual(await daemon.exited, { code: 0, signal: null });
  assert.ok(daemon.lines.some((l) => /"msg":"stopped"/.test(l)));

  // Back with both, in their states, their pieces from resume data.
  daemon = startDaemon(args, env);
  await daemon.waitForLine(/ info +started torrents=2 /, 60_000);
  const list = (await call(base, "GET", "/api/v1/torrents?fields=name,state,piecesHave")).body;
  assert.deepEqual(list, [
    { name: "kept", state: "seeding", piecesHave: 3 },
    { name: "kept-paused", state: "paused", piecesHave: 3 },
  ]);
  daemon.kill("SIGINT");
  assert.equal((await daemon.exited).code, 0);

  // A session file cut short: recovered from its last good copy, said once.
  const sessionPath = join(root, "data", "session.json");
  writeFileSync(sessionPath, readFileSync(sessionPath, "utf8").slice(0, 40));
  daemon = startDaemon(args, env);
  const line = await daemon.waitForLine(/session\.json is damaged/, 60_000);
  assert.match(line.input!, /recovered 2 torrents from its last good copy/);
  await daemon.waitForLine(/started torrents=2/, 60_000);
  await waitFor(
    "the restored torrents",
    async () =>
      (await call(base, "GET", "/api/v1/torrents")).body.length === 2 ? true : undefined,
    5000,
  );
  await daemon.stop();
});

test("a config mistake is one line and exit 1; the API refuses to open to the network without credentials", async () => {
  const root = await dirs.make("daemon-bad");
  const configFile = join(root, "config.toml");
  writeFileSync(configFile, "[peer]\nprot = 1\n");
  const bad = spawnSync(NODE, [SHOAL_CLI, "daemon", "--config", configFile], { encoding: "utf8" });
  assert.equal(bad.status, 1);
  assert.equal(bad.stderr, `shoal daemon: ${configFile}: unknown key [peer] prot\n`);
  writeFileSync(configFile, `data-dir = "${join(root, "data")}"\n[api]\naddress = "0.0.0.0"\n`);
  const open = spawnSync(
    NODE,
    [SHOAL_CLI, "daemon", "--config", configFile, "--port", "0", "--api-port", "0"],
    { encoding: "utf8" },
  );
  assert.equal(open.status, 1);
  assert.match(
    open.stderr,
    /^shoal daemon: the API on 0\.0\.0\.0 would be open to the network: set \[api\] username and password-hash, or tokens/,
  );
  assert.equal(open.stderr.split("\n").length, 2, "one line");
  const missing = spawnSync(NODE, [SHOAL_CLI, "config", "--config", join(root, "nope.toml")], {
    encoding: "utf8",
  });
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /^shoal config: cannot read config file .*nope\.toml: ENOENT\n$/);
});

test("SIGTERM while its torrents come back: it stops cleanly once they are, session.json whole", async () => {
  const root = await dirs.make("daemon-term-start");
  const [peerPort, apiPort] = await freePorts(2);
  const downloads = join(root, "downloads");
  mkdirSync(downloads, { recursive: true });
  const configFile = join(root, "config.toml");
  writeFileSync(configFile, `download-dir = "${downloads}"\n[peer]\naddress = "127.0.0.1"\n`);
  const env = { XDG_CONFIG_HOME: join(root, "cfg") };
  const dataDir = join(root, "data");
  const args = [
    "--config",
    configFile,
    "--data-dir",
    dataDir,
    "--port",
    String(peerPort),
    "--api-port",
    String(apiPort),
  ];
  const base = `http://127.0.0.1:${apiPort}`;
  // Enough small seeds that their restore outlasts the API's first answer.
  const count = 400;
  // Its life is the 400 adds: a bound for a loaded machine, not a speed.
  let daemon = startDaemon(args, env, 300_000);
  await daemon.waitForLine(/started torrents=0\b/, 60_000);
  for (let i = 0; i < count; i++) {
    const name = `s${i}.bin`;
    const data = Buffer.alloc(1000 + i, i & 0xff);
    writeFileSync(join(downloads, name), data);
    const info = { length: data.length, name, "piece length": 16384, pieces: sha1(data) };
    const res = await fetch(`${base}/api/v1/torrents`, {
      method: "POST",
      body: encode({ info }),
      headers: { "content-type": "application/x-bittorrent" },
    });
    assert.equal(res.status, 201, await res.text());
  }
  daemon.kill("SIGTERM");
  assert.deepEqual(await daemon.exited, { code: 0, signal: null });

  // The API answers while the torrents come back; a SIGTERM then waits for the start.
  daemon = startDaemon(args, env);
  await waitFor(
    "the API",
    async () => ((await fetch(`${base}/api/v1/session`)).ok ? true : undefined),
    60_000,
    2,
  );
  daemon.kill("SIGTERM");
  assert.deepEqual(await daemon.exited, { code: 0, signal: null }, daemon.tail());
  const started = daemon.lines.findIndex((l) => new RegExp(`started torrents=${count}\\b`).test(l));
  assert.ok(started >= 0, daemon.tail());
  assert.ok(daemon.lines.findIndex((l) => / stopped/.test(l)) > started, daemon.tail());
  const saved = JSON.parse(readFileSync(join(dataDir, "session.json"), "utf8"));
  assert.equal(saved.torrents.length, count);
  assert.equal(existsSync(join(dataDir, "lock")), false, "the lock let go");

  daemon = startDaemon(args, env);
  await daemon.waitForLine(new RegExp(`started torrents=${count}\\b`), 60_000);
  assert.ok(!daemon.lines.some((l) => /damaged/.test(l)), daemon.tail());
  daemon.kill("SIGTERM");
  assert.equal((await daemon.exited).code, 0);
});
