/**
 * Crash safety of the daemon: `kill -9` while it downloads five torrents
 * (from a rate-limited seeder on loopback) and seeds five. On restart all
 * ten are back in their states, every piece that was verified on disk is
 * kept, and only the others are downloaded: per torrent, the bytes
 * downloaded after the restart are exactly those of the pieces missing at
 * the kill.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { copyFile, mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, test } from "node:test";
import { createTorrent, type Metainfo } from "../../src/metainfo/index.ts";
import type { Client } from "../../src/session/index.ts";
import { Children, TempDirs, waitFor } from "../interop/helpers.ts";
import { daemonChild, rateLimitedSeeder, verifiedOnDisk } from "./daemon-child.ts";
import { call } from "./daemon-helpers.ts";

const dirs = new TempDirs();
const children = new Children();
let seeder: Client | undefined;
after(async () => {
  await children.stopAll();
  await seeder?.close();
  await dirs.removeAll();
});

const SIZE = 3 * 1024 * 1024;
const PIECE = 32 * 1024;

interface Made {
  name: string;
  meta: Metainfo;
  torrent: Buffer;
  data: Buffer;
}

async function make(dir: string, name: string): Promise<Made> {
  const data = randomBytes(SIZE);
  await writeFile(join(dir, name), data);
  const { torrent, metainfo } = await createTorrent(join(dir, name), {
    pieceLength: PIECE,
    creationDate: null,
  });
  return { name, meta: metainfo, torrent, data };
}

test("kill -9 while downloading five and seeding five: all ten come back, no verified piece fetched again", async () => {
  const root = await dirs.make("daemon-crash");
  const content = join(root, "content");
  const downloads = join(root, "downloads");
  await mkdir(content, { recursive: true });
  await mkdir(downloads, { recursive: true });
  const leeching: Made[] = [];
  const seeding: Made[] = [];
  for (let i = 0; i < 5; i++) leeching.push(await make(content, `down-${i}.bin`));
  for (let i = 0; i < 5; i++) {
    const m = await make(content, `up-${i}.bin`);
    await copyFile(join(content, m.name), join(downloads, m.name));
    seeding.push(m);
  }

  // The five downloads' seeder: slow enough (2 MB/s for all) that the kill lands mid-way.
  seeder = await rateLimitedSeeder(
    root,
    content,
    leeching.map((m) => m.meta),
    2_000_000,
  );
  const child = await daemonChild(children, root, downloads);
  const { base, peerPort, byName } = child;
  let daemon = await child.start("daemon", 0);

  for (const m of seeding) {
    const r = await call(base, "POST", "/api/v1/torrents", {
      json: { torrent: m.torrent.toString("base64") },
    });
    assert.equal(r.body.state, "seeding", m.name);
  }
  for (const m of leeching) {
    const r = await call(base, "POST", "/api/v1/torrents", {
      json: { torrent: m.torrent.toString("base64"), peers: [`127.0.0.1:${seeder.port}`] },
    });
    assert.equal(r.status, 201);
  }
  // Every download under way, then killed without warning.
  await waitFor(
    "every download under way",
    async () => {
      const all = await byName();
      return leeching.every((m) => all.get(m.name)!.piecesHave >= 12) ? true : undefined;
    },
    30_000,
    50,
  );
  daemon.kill("SIGKILL");
  assert.equal((await daemon.exited).signal, "SIGKILL");

  // What survived on disk: every piece that verifies.
  const atKill = new Map<string, { count: number; missingBytes: number }>();
  for (const m of leeching) {
    const verified = await verifiedOnDisk(m.meta, downloads);
    atKill.set(m.name, verified);
    assert.ok(verified.count < m.meta.pieceCount, `${m.name} was complete at the kill`);
  }

  daemon = await child.start("daemon again", 10);
  const back = await waitFor(
    "no torrent checking",
    async () => {
      const all = await byName();
      return [...all.values()].every((s) => s.state !== "checking") ? all : undefined;
    },
    30_000,
    50,
  );
  for (const m of seeding) assert.equal(back.get(m.name)?.state, "seeding", m.name);
  for (const m of leeching) {
    const s = back.get(m.name)!;
    assert.equal(s.state, "downloading", m.name);
    assert.equal(s.piecesHave, atKill.get(m.name)!.count, `${m.name}: every verified piece kept`);
  }

  // The seeder reaches the daemon again (no tracker here), now at full speed.
  seeder.setLimits({ upload: 0 });
  for (const m of leeching)
    seeder.get(m.meta.infoHashHex)!.addPeers([{ ip: "127.0.0.1", port: peerPort }]);
  const done = await waitFor(
    "the five downloads complete",
    async () => {
      const all = await byName();
      return leeching.every((m) => all.get(m.name)!.state === "seeding") ? all : undefined;
    },
    60_000,
    100,
  );
  let fetched = 0;
  let missing = 0;
  for (const m of leeching) {
    const s = done.get(m.name)!;
    assert.equal(
      s.downloaded,
      atKill.get(m.name)!.missingBytes,
      `${m.name}: only the missing pieces downloaded`,
    );
    assert.ok((await readFile(join(downloads, m.name))).equals(m.data), `${m.name} byte-exact`);
    fetched += s.downloaded;
    missing += atKill.get(m.name)!.missingBytes;
  }
  const kept = [...atKill.values()].reduce((n, v) => n + v.count, 0);
  process.stdout.write(
    `# killed with ${kept} of ${5 * (SIZE / PIECE)} download pieces verified; re-fetched ${fetched} bytes (${missing} were missing)\n`,
  );
  await daemon.stop();
});
