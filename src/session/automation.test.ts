import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, test } from "node:test";
import type { Logger } from "../util/index.ts";
import type { ClientOptions } from "./client.ts";
import { MemoryClients, smallTorrent as torrentBytes, waitUntil as until } from "./test-clients.ts";

const clients = new MemoryClients({ chokeIntervalMs: 200 });
let hosts = 0;
after(() => clients.close());

const tempDir = () => clients.tempDir();

function startClient(contents: Buffer[], extra: Partial<ClientOptions>) {
  return clients.open(`10.5.0.${++hosts}`, contents, extra);
}

test("watch folder: a .torrent dropped in is added and renamed .added; a bad one .invalid with a log line", async () => {
  const watchDir = await tempDir();
  const warnings: string[] = [];
  const logger: Logger = {
    debug() {},
    info() {},
    warn: (msg) => warnings.push(msg),
    error() {},
  };
  const { client } = await startClient([], { watchDir, watchIntervalMs: 50, logger });
  const a = torrentBytes(40_000, "dropped.bin");
  await writeFile(join(watchDir, "dropped.torrent"), a.bytes);
  await writeFile(join(watchDir, "junk.torrent"), "this is not bencode");
  await writeFile(join(watchDir, "notes.txt"), "left alone");
  await until(() => client.summaries().length === 1, "the dropped torrent");
  assert.equal(client.summaries()[0]!.name, "dropped.bin");
  await until(() => existsSync(join(watchDir, "junk.torrent.invalid")), "the bad one set aside");
  await until(() => existsSync(join(watchDir, "dropped.torrent.added")), "the rename");
  assert.ok(warnings.some((w) => /junk\.torrent is not a torrent/.test(w)));
  // The same torrent again: already there, set aside all the same.
  await writeFile(join(watchDir, "again.torrent"), a.bytes);
  await until(() => existsSync(join(watchDir, "again.torrent.added")), "the duplicate set aside");
  assert.equal(client.summaries().length, 1);
  assert.deepEqual(readdirSync(watchDir).sort(), [
    "again.torrent.added",
    "dropped.torrent.added",
    "junk.torrent.invalid",
    "notes.txt",
  ]);
});

test("watch folder with deleteAdded: the .torrent goes once added", async () => {
  const watchDir = join(await tempDir(), "watch");
  await mkdir(watchDir);
  const { client } = await startClient([], {
    watchDir,
    watchIntervalMs: 50,
    watchDeleteAdded: true,
  });
  await writeFile(join(watchDir, "x.torrent"), torrentBytes(20_000, "x").bytes);
  await until(() => client.summaries().length === 1, "the torrent");
  await until(() => readdirSync(watchDir).length === 0, "the file deleted");
});

test("completion command: run with the torrent's details in its environment, no shell", async () => {
  const name = "evil $(touch pwned); `touch pwned2` 'x\".bin";
  const t = torrentBytes(50_000, name);
  const seed = await startClient([t.content], {});
  await seed.client.add(t.meta);
  const out = join(await tempDir(), "env.json");
  const script =
    "const e=process.env;require('fs').writeFileSync(process.argv[1],JSON.stringify(Object.fromEntries(Object.entries(e).filter(([k])=>k.startsWith('SHOAL_')))))";
  const leech = await startClient([], { completionCommand: [process.execPath, "-e", script, out] });
  await leech.client.add(t.meta, {
    peers: [{ host: seed.address, port: 6881 }],
    labels: ["a", "b"],
  });
  await leech.client.whenComplete(t.meta.infoHashHex, { timeoutMs: 10_000 });
  await until(() => existsSync(out), "the command's output");
  await leech.client.completionCommandsSettled();
  const env = JSON.parse(readFileSync(out, "utf8"));
  assert.deepEqual(env, {
    SHOAL_TORRENT_ID: "1",
    SHOAL_TORRENT_HASH: t.meta.infoHashHex,
    SHOAL_TORRENT_NAME: name,
    SHOAL_TORRENT_DIR: join(leech.dir, "download"),
    SHOAL_TORRENT_SIZE: "50000",
    SHOAL_TORRENT_LABELS: "a,b",
  });
  assert.equal(existsSync("pwned"), false);
  assert.equal(existsSync("pwned2"), false);
});

test("watch folder not there yet: one warning, then it is watched once made", async () => {
  const watchDir = join(await tempDir(), "later");
  const warnings: string[] = [];
  const logger: Logger = { debug() {}, info() {}, warn: (m) => warnings.push(m), error() {} };
  const { client } = await startClient([], { watchDir, watchIntervalMs: 30, logger });
  await until(() => warnings.length > 0, "the warning");
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(warnings.length, 1, "said once");
  assert.match(warnings[0]!, /watch folder .*later cannot be read/);
  await mkdir(watchDir);
  await writeFile(join(watchDir, "y.torrent"), torrentBytes(20_000, "y").bytes);
  await until(() => client.summaries().length === 1, "the torrent");
});
