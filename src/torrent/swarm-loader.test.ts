/**
 * A seed with no peer and no tracker loads none of the swarm's modules
 * (swarm-loader.ts), the handshake negotiation and the wire codecs
 * (peer's negotiation-loader.ts), the tracker clients (torrent-trackers.ts)
 * nor the storage's piece memory and writer (storage's piece-io-loader.ts);
 * a leecher that connects then is served the whole torrent. The seed runs
 * in a fresh process, where no other test has loaded them, listening on
 * loopback TCP; the leecher is this process's.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { test } from "node:test";
import { encode } from "../bencode/index.ts";
import { parseMetainfo } from "../metainfo/index.ts";
import { dialTcp } from "../net/index.ts";
import { MemoryStorage } from "../storage/index.ts";
import { asPeerId, sha1 } from "../util/index.ts";
import { Torrent } from "./index.ts";

const url = (path: string) => JSON.stringify(new URL(path, import.meta.url).href);

// The seed: its modules recorded from the start; one line when it seeds
// (its port, what is loaded), one when its stdin ends (what is loaded, uploaded).
const CHILD = `
import { registerHooks } from "node:module";
const loaded = [];
registerHooks({ load(url, context, next) { loaded.push(url); return next(url, context); } });
const { Torrent } = await import(${url("./index.ts")});
const { listenTcp } = await import(${url("../net/index.ts")});
const { negotiateIncoming } = await import(${url("../peer/index.ts")});
const { MemoryStorage } = await import(${url("../storage/index.ts")});
const { parseMetainfo } = await import(${url("../metainfo/index.ts")});
const { readFileSync } = await import("node:fs");
const meta = parseMetainfo(readFileSync(process.env.DIR + "/t.torrent"));
const content = readFileSync(process.env.DIR + "/content");
const peerId = Buffer.from("-SH0100-seedseedseed");
const listener = await listenTcp({ host: "127.0.0.1", port: 0 });
const seed = new Torrent({
  meta, peerId, downloadDir: "/nonexistent", listenPort: listener.port, trackers: false,
  dial: () => Promise.reject(new Error("the seed dials nobody")),
  openStore: (m) => MemoryStorage.open(m, { content }),
});
listener.on("connection", (stream) => {
  negotiateIncoming(stream, {
    lookup: (infoHash) =>
      infoHash.equals(seed.infoHash) && seed.canAccept(stream.remoteAddress ?? "?", stream.remotePort ?? 0)
        ? { peerId } : undefined,
  }).then((n) => { if (!seed.acceptIncoming(n)) stream.destroy(); }, () => stream.destroy());
});
await seed.checked();
seed.start();
const has = (part) => loaded.some((u) => u.includes(part));
const modules = () => ({
  swarm: has("/torrent/swarm.ts"), wire: has("/wire/"), negotiate: has("/peer/negotiate.ts"),
  trackers: has("/tracker-client/"), picker: has("/picker/"), pieceIo: has("/storage/piece-pool.ts"),
});
console.log(JSON.stringify({ port: listener.port, state: seed.state, modules: modules() }));
process.stdin.on("end", async () => {
  console.log(JSON.stringify({ modules: modules(), uploaded: seed.uploaded }));
  await seed.close();
  listener.close();
});
process.stdin.resume();
`;

test("a seed with no peer loads no swarm modules; a leecher that connects is served the whole torrent", async () => {
  const pieceLength = 32 * 1024;
  const content = randomBytes(5 * pieceLength + 1000);
  const hashes: Buffer[] = [];
  for (let at = 0; at < content.length; at += pieceLength) {
    hashes.push(sha1(content.subarray(at, Math.min(content.length, at + pieceLength))));
  }
  const info = {
    length: content.length,
    name: "idle.bin",
    "piece length": pieceLength,
    pieces: Buffer.concat(hashes),
  };
  const torrentBytes = encode({ info });
  const dir = await mkdtemp(join(tmpdir(), "shoal-swarm-loader-"));
  await writeFile(join(dir, "t.torrent"), torrentBytes);
  await writeFile(join(dir, "content"), content);
  const child = spawn(process.execPath, ["--input-type=module", "-e", CHILD], {
    env: { ...process.env, DIR: dir },
    stdio: ["pipe", "pipe", "inherit"],
  });
  const exited = new Promise<number | null>((resolve) => child.on("exit", resolve));
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  const nextLine = async () => {
    const { value, done } = await lines.next();
    assert.ok(!done, "the seed ended early");
    return JSON.parse(value);
  };
  const leecher = new Torrent({
    meta: parseMetainfo(torrentBytes),
    peerId: asPeerId(Buffer.from("-SH0100-leechleechle")),
    downloadDir: "/nonexistent",
    listenPort: 6881,
    trackers: false,
    dial: (host, port) => dialTcp(host, port),
    openStore: (m) => MemoryStorage.open(m),
  });
  try {
    const idle = await nextLine();
    assert.equal(idle.state, "seeding");
    assert.deepEqual(idle.modules, {
      swarm: false,
      wire: false,
      negotiate: false,
      trackers: false,
      picker: false,
      pieceIo: false,
    });
    await leecher.checked();
    const complete = new Promise<void>((resolve) => leecher.once("complete", () => resolve()));
    leecher.start();
    leecher.addPeers([{ ip: "127.0.0.1", port: idle.port }]);
    await Promise.race([
      complete,
      new Promise((_, reject) =>
        setTimeout(() => reject(new Error("not complete within 60 s")), 60_000).unref(),
      ),
    ]);
    const meta = leecher.meta;
    const got = await leecher.storage.readBlock(0, 0, meta.pieceLength);
    assert.ok(got.data.equals(content.subarray(0, meta.pieceLength)));
    got.release();
    for (let i = 0; i < meta.pieceCount; i++) assert.ok(leecher.storage.have.has(i));
    child.stdin!.end();
    const after = await nextLine();
    assert.equal(after.modules.swarm, true, "loaded for the leecher");
    assert.equal(after.modules.negotiate, true);
    assert.equal(after.modules.pieceIo, true, "blocks read for the leecher");
    assert.equal(after.modules.trackers, false, "still no tracker");
    assert.ok(after.uploaded >= content.length, `uploaded ${after.uploaded}`);
    assert.equal(await exited, 0);
  } finally {
    await leecher.close();
    child.kill();
    await rm(dir, { recursive: true, force: true });
  }
});
