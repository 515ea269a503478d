/**
 * The daemon's incomplete folder (issue 16): `--incomplete-dir` holds the
 * data of torrents being downloaded; a `kill -9` mid-download loses no
 * verified piece (the resume state follows the data there); on completion
 * the data moves to the download folder, byte-exact, and a restart finds it
 * seeding there. Transmission's RPC reports and switches the folder
 * (incomplete-dir, incomplete-dir-enabled).
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, test } from "node:test";
import { SESSION_ID_HEADER } from "../../src/api/index.ts";
import { createTorrent, type Metainfo, pieceSize } from "../../src/metainfo/index.ts";
import { Client } from "../../src/session/index.ts";
import { TorrentStorage } from "../../src/storage/index.ts";
import { Children, freePorts, NODE, SHOAL_CLI, TempDirs, waitFor } from "../interop/helpers.ts";
import { call, type Json } from "./daemon-helpers.ts";

const dirs = new TempDirs();
const children = new Children();
let seeder: Client | undefined;
after(async () => {
  await children.stopAll();
  await seeder?.close();
  await dirs.removeAll();
});

const PIECE = 32 * 1024;

interface Made {
  name: string;
  meta: Metainfo;
  torrent: Buffer;
  /** Each file's path below the folder and its bytes. */
  files: [string[], Buffer][];
}

async function make(content: string, name: string, sizes: number[]): Promise<Made> {
  const files: [string[], Buffer][] = [];
  const single = sizes.length === 1;
  for (const [i, size] of sizes.entries()) {
    const path = single ? [name] : [name, `part-${i}.bin`];
    const bytes = randomBytes(size);
    await mkdir(join(content, ...path.slice(0, -1)), { recursive: true });
    await writeFile(join(content, ...path), bytes);
    files.push([path, bytes]);
  }
  const { torrent, metainfo } = await createTorrent(join(content, name), {
    pieceLength: PIECE,
    creationDate: null,
  });
  return { name, meta: metainfo, torrent, files };
}

async function rpc(base: string, method: string, args: Json = {}): Promise<Json> {
  const first = await call(base, "POST", "/transmission/rpc", { json: { method } });
  const headers = { [SESSION_ID_HEADER]: first.headers.get(SESSION_ID_HEADER)! };
  const r = await call(base, "POST", "/transmission/rpc", {
    json: { method, arguments: args },
    headers,
  });
  return r.body;
}

test("--incomplete-dir: downloads there, survives kill -9, moves to the download folder on completion", async () => {
  const root = await dirs.make("daemon-incomplete");
  const content = join(root, "content");
  const downloads = join(root, "downloads");
  const incomplete = join(root, "incomplete");
  await mkdir(content, { recursive: true });
  const made = [
    await make(content, "single.bin", [2 * 1024 * 1024]),
    await make(content, "album", [1024 * 1024, 700 * 1024 + 123]),
  ];
  seeder = await Client.start({
    dataDir: join(root, "seeder"),
    downloadDir: content,
    host: "127.0.0.1",
    uploadLimit: 600_000,
    torrentDefaults: { trackers: false, chokeIntervalMs: 1000 },
  });
  for (const m of made) await seeder.add(m.meta);

  const [peerPort, apiPort] = await freePorts(2);
  const config = join(root, "config.toml");
  await writeFile(config, `download-dir = "${downloads}"\n[peer]\naddress = "127.0.0.1"\n`);
  const args = [
    "daemon",
    "--config",
    config,
    "--data-dir",
    join(root, "data"),
    "--incomplete-dir",
    incomplete,
    "--port",
    String(peerPort),
    "--api-port",
    String(apiPort),
  ];
  const base = `http://127.0.0.1:${apiPort}`;
  const env = { ...process.env, XDG_CONFIG_HOME: join(root, "cfg") };
  const start = async (name: string, torrents: number) => {
    const d = children.start(NODE, [SHOAL_CLI, ...args], { name, env, timeoutMs: 120_000 });
    await d.waitForLine(new RegExp(`started torrents=${torrents}`), 30_000);
    return d;
  };
  let daemon = await start("daemon", 0);
  const session = (await rpc(base, "session-get")).arguments;
  assert.equal(session["incomplete-dir"], incomplete);
  assert.equal(session["incomplete-dir-enabled"], true);

  for (const m of made) {
    const r = await call(base, "POST", "/api/v1/torrents", {
      json: { torrent: m.torrent.toString("base64"), peers: [`127.0.0.1:${seeder.port}`] },
    });
    assert.equal(r.status, 201);
    assert.equal(r.body.downloadDir, downloads, "its download folder is where it will end");
  }
  const byName = async (): Promise<Map<string, Json>> =>
    new Map((await call(base, "GET", "/api/v1/torrents")).body.map((s: Json) => [s.name, s]));
  await waitFor(
    "both downloads under way",
    async () => {
      const all = await byName();
      return made.every((m) => all.get(m.name)!.piecesHave >= 6) ? true : undefined;
    },
    30_000,
    50,
  );
  for (const m of made) {
    assert.ok(
      existsSync(join(incomplete, ...m.files[0]![0])),
      `${m.name} in the incomplete folder`,
    );
    assert.ok(!existsSync(join(downloads, m.name)), `${m.name} not in the download folder yet`);
  }
  daemon.kill("SIGKILL");
  assert.equal((await daemon.exited).signal, "SIGKILL");

  const atKill = new Map<string, { count: number; missingBytes: number }>();
  for (const m of made) {
    const check = await TorrentStorage.open(m.meta, incomplete, { verify: true });
    let missingBytes = 0;
    for (let i = 0; i < m.meta.pieceCount; i++)
      if (!check.have.has(i)) missingBytes += pieceSize(m.meta, i);
    atKill.set(m.name, { count: check.have.count(), missingBytes });
    await check.files.close();
    assert.ok(check.have.count() < m.meta.pieceCount, `${m.name} was complete at the kill`);
  }

  daemon = await start("daemon again", 2);
  const back = await waitFor(
    "no torrent checking",
    async () => {
      const all = await byName();
      return [...all.values()].every((s) => s.state !== "checking") ? all : undefined;
    },
    30_000,
    50,
  );
  for (const m of made) {
    assert.equal(back.get(m.name)!.state, "downloading", m.name);
    assert.equal(back.get(m.name)!.piecesHave, atKill.get(m.name)!.count, `${m.name}: pieces kept`);
  }

  seeder.setLimits({ upload: 0 });
  for (const m of made) {
    seeder.get(m.meta.infoHashHex)!.addPeers([{ ip: "127.0.0.1", port: peerPort! }]);
  }
  await waitFor(
    "both complete",
    async () => {
      const all = await byName();
      return made.every((m) => all.get(m.name)!.state === "seeding") ? all : undefined;
    },
    60_000,
    100,
  );
  // The move follows completion: wait for the data to land.
  await waitFor(
    "the data moved",
    async () =>
      made.every((m) => m.files.every(([p]) => existsSync(join(downloads, ...p)))) || undefined,
    20_000,
    50,
  );
  const done = await byName();
  for (const m of made) {
    // Over the move (which reopens the torrent): only the pieces missing at the kill were fetched.
    const afterRestart = done.get(m.name)!.downloadedEver - back.get(m.name)!.downloadedEver;
    assert.equal(afterRestart, atKill.get(m.name)!.missingBytes, m.name);
    for (const [path, bytes] of m.files) {
      assert.ok((await readFile(join(downloads, ...path))).equals(bytes), `${path.join("/")}`);
      assert.ok(
        !existsSync(join(incomplete, ...path)),
        `${path.join("/")} left the incomplete folder`,
      );
    }
  }
  assert.ok(!existsSync(join(incomplete, "album")), "the emptied folder is removed");

  // RPC: switched off, the folder is kept for the next switch on.
  assert.equal(
    (await rpc(base, "session-set", { "incomplete-dir-enabled": false })).result,
    "success",
  );
  const off = (await rpc(base, "session-get")).arguments;
  assert.equal(off["incomplete-dir-enabled"], false);
  assert.equal(off["incomplete-dir"], incomplete);
  const bad = await rpc(base, "session-set", { "incomplete-dir": "relative/path" });
  assert.notEqual(bad.result, "success");

  // A restart finds them seeding from the download folder, with nothing fetched.
  daemon.kill("SIGTERM");
  await daemon.exited;
  daemon = await start("daemon, third run", 2);
  const third = await waitFor(
    "seeding again",
    async () => {
      const all = await byName();
      return made.every((m) => all.get(m.name)!.state === "seeding") ? all : undefined;
    },
    30_000,
    50,
  );
  for (const m of made) assert.equal(third.get(m.name)!.downloaded, 0, m.name);
  await daemon.stop();
});
