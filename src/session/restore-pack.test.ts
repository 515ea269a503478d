/** The restore pack: written on a clean close, read once and removed at the next start, trusted only while the session is unchanged. */
import assert from "node:assert/strict";
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { createTorrent } from "../metainfo/index.ts";
import { Client } from "./client.ts";
import { RESTORE_PACK_FILE, takeRestorePack, writeRestorePack } from "./restore-pack.ts";

const root = await mkdtemp(join(tmpdir(), "shoal-pack-"));
const clients: Client[] = [];
after(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await rm(root, { recursive: true, force: true });
});

test("a pack holds the files as they were, those missing left out; it is taken once", async () => {
  const dir = join(root, "unit");
  await mkdir(dir);
  const a = join(dir, "a.torrent");
  const b = join(dir, "b.json");
  await writeFile(a, Buffer.from([0, 1, 2, 255]));
  await writeFile(b, '{"version":1}');
  const pack = join(dir, RESTORE_PACK_FILE);
  await writeRestorePack(pack, [a, join(dir, "gone.json"), b], "stamp-1");
  const files = takeRestorePack(pack, () => "stamp-1");
  assert.ok(files);
  assert.deepEqual([...files.keys()], [a, b]);
  assert.deepEqual([...files.get(a)!], [0, 1, 2, 255]);
  assert.equal(files.get(b)!.toString(), '{"version":1}');
  assert.equal(existsSync(pack), false, "removed once read");
  assert.equal(
    takeRestorePack(pack, () => "stamp-1"),
    undefined,
    "no pack: none",
  );
});

test("a stale or damaged pack is removed and not used", async () => {
  const dir = join(root, "bad");
  await mkdir(dir);
  const a = join(dir, "a.torrent");
  await writeFile(a, "abc");
  const pack = join(dir, RESTORE_PACK_FILE);
  await writeRestorePack(pack, [a], "stamp-1");
  assert.equal(
    takeRestorePack(pack, () => "stamp-2"),
    undefined,
    "the session changed since",
  );
  assert.equal(existsSync(pack), false);
  for (const damage of [
    (bytes: Buffer) => bytes.subarray(0, bytes.length - 1), // cut short
    (bytes: Buffer) => Buffer.concat([bytes, Buffer.from("x")]), // longer than it says
    (bytes: Buffer) => bytes.subarray(bytes.indexOf(10) + 1), // no header
    () => Buffer.from('{"version":1,"stamp":"stamp-1","files":[["a",-1],[7,3]]}\nabc'),
  ]) {
    await writeRestorePack(pack, [a], "stamp-1");
    writeFileSync(pack, damage(readFileSync(pack)));
    assert.equal(
      takeRestorePack(pack, () => "stamp-1"),
      undefined,
    );
    assert.equal(existsSync(pack), false);
  }
});

/** A daemon-like client (restorePack) seeding two torrents from its download folder. */
async function seedingClient(dataDir: string, downloads: string): Promise<Client> {
  const client = await Client.start({
    dataDir,
    downloadDir: downloads,
    host: "127.0.0.1",
    persist: true,
    restorePack: true,
    torrentDefaults: { trackers: false, pex: false },
  });
  clients.push(client);
  return client;
}

test("a client that closes cleanly packs its torrents' files, and the next start restores from the pack", async () => {
  const downloads = join(root, "downloads");
  await mkdir(downloads);
  const hashes: string[] = [];
  const torrents: Buffer[] = [];
  for (const name of ["one.bin", "two.bin"]) {
    await writeFile(join(downloads, name), Buffer.alloc(40_000, name.length));
    const { torrent, metainfo } = await createTorrent(join(downloads, name), {
      pieceLength: 16384,
    });
    torrents.push(torrent);
    hashes.push(metainfo.infoHashHex);
  }
  const dataDir = join(root, "data");
  const first = await seedingClient(dataDir, downloads);
  for (const t of torrents) await first.add(t);
  await first.close();
  const pack = join(dataDir, RESTORE_PACK_FILE);
  assert.ok(existsSync(pack), "written on close");

  // The .torrent copies moved away: only the pack still has them.
  renameSync(join(dataDir, "torrents"), join(root, "copies"));
  const second = await seedingClient(dataDir, downloads);
  assert.equal(existsSync(pack), false, "taken at the start");
  const { restored, warnings } = await second.restore();
  assert.deepEqual(warnings, []);
  assert.deepEqual(restored, hashes);
  await second.close();

  // A pack written before session.json changed is stale: the next start
  // removes it and reads the copies, which are gone this time: warnings.
  renameSync(join(root, "copies"), join(dataDir, "torrents"));
  const third = await seedingClient(dataDir, downloads);
  await third.close();
  writeFileSync(join(dataDir, "session.json"), `${readFileSync(join(dataDir, "session.json"))} `);
  renameSync(join(dataDir, "torrents"), join(root, "copies-2"));
  const fourth = await seedingClient(dataDir, downloads);
  assert.equal(existsSync(pack), false, "a stale pack is removed too");
  const later = await fourth.restore();
  assert.deepEqual(later.restored, []);
  assert.equal(later.warnings.length, 2);
  for (const w of later.warnings) assert.match(w, /\.torrent copy .* is gone/);
  await fourth.close();
});
