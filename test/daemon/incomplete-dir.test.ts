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
import { createTorrent, type Metainfo } from "../../src/metainfo/index.ts";
import type { Client } from "../../src/session/index.ts";
import { Children, TempDirs, waitFor } from "../interop/helpers.ts";
import { daemonChild, rateLimitedSeeder, verifiedOnDisk } from "./daemon-child.ts";
import { call, makeSeededTorrent, rpc, startTestDaemon } from "./daemon-helpers.ts";

const dirs = new TempDirs();
const children = new Children();
const seeders: Client[] = [];
after(async () => {
  await children.stopAll();
  for (const s of seeders) await s.close();
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
  const seeder = await rateLimitedSeeder(
    root,
    content,
    made.map((m) => m.meta),
    600_000,
  );
  seeders.push(seeder);
  const child = await daemonChild(children, root, downloads, ["--incomplete-dir", incomplete]);
  const { base, peerPort, byName, start } = child;
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
    const verified = await verifiedOnDisk(m.meta, incomplete);
    atKill.set(m.name, verified);
    assert.ok(verified.count < m.meta.pieceCount, `${m.name} was complete at the kill`);
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
    seeder.get(m.meta.infoHashHex)!.addPeers([{ ip: "127.0.0.1", port: peerPort }]);
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

test("a move that fails leaves the torrent seeding where its data is, and says why", async () => {
  const d = await startTestDaemon();
  try {
    const t = await makeSeededTorrent(d.downloadDir, "stays");
    const added = await call(d.base, "POST", "/api/v1/torrents", {
      json: { torrent: t.torrent.toString("base64") },
    });
    assert.equal(added.body.state, "seeding");
    // A folder below a file cannot be made.
    const blocker = join(d.dir, "a-file");
    await writeFile(blocker, "x");
    const moved = await call(d.base, "POST", `/api/v1/torrents/${added.body.id}/move`, {
      json: { downloadDir: join(blocker, "below") },
    });
    assert.ok(moved.status >= 400, `status ${moved.status}`);
    assert.match(moved.body.error.message, /ENOTDIR|not a directory/i);
    const after = await waitFor(
      "it to seed again",
      async () => {
        const s = (await call(d.base, "GET", `/api/v1/torrents/${added.body.id}`)).body;
        return s.state === "seeding" ? s : undefined;
      },
      10_000,
      50,
    );
    assert.equal(after.downloadDir, d.downloadDir);
    assert.ok(existsSync(join(d.downloadDir, "stays", "a.bin")));
  } finally {
    await d.stop();
  }
});
