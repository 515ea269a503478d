import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { encode } from "../bencode/index.ts";
import { formatMagnet, type Metainfo, parseMetainfo } from "../metainfo/index.ts";
import { MemoryNetwork } from "../net/index.ts";
import { negotiateOutgoing } from "../peer/index.ts";
import { MemoryStorage } from "../storage/index.ts";
import type { Torrent } from "../torrent/index.ts";
import { asPeerId, realClock, sha1 } from "../util/index.ts";
import { Client, type ClientOptions } from "./client.ts";

const PIECE_LENGTH = 16 * 1024;

function makeTorrent(size: number, name: string): { meta: Metainfo; content: Buffer } {
  const content = randomBytes(size);
  const hashes: Buffer[] = [];
  for (let at = 0; at < size; at += PIECE_LENGTH) {
    hashes.push(sha1(content.subarray(at, Math.min(size, at + PIECE_LENGTH))));
  }
  const info = { length: size, name, "piece length": PIECE_LENGTH, pieces: Buffer.concat(hashes) };
  return { meta: parseMetainfo(encode({ info })), content };
}

const network = new MemoryNetwork({ clock: realClock });
let hosts = 0;
const dirs: string[] = [];
const clients: Client[] = [];
after(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

/** A client on its own in-memory host; `contents` are the torrents' data it holds. */
async function startClient(
  contents: Buffer[] = [],
  extra: Partial<ClientOptions> = {},
): Promise<{ client: Client; address: string }> {
  const dir = await mkdtemp(join(tmpdir(), "shoal-client-"));
  dirs.push(dir);
  const host = network.addHost(`10.1.0.${++hosts}`);
  const client = await Client.start({
    dataDir: join(dir, "data"),
    downloadDir: join(dir, "download"),
    port: 6881,
    dialer: host,
    listen: async (port) => host.listen(port),
    torrentDefaults: {
      trackers: false,
      chokeIntervalMs: 200,
      openStore: (meta) => {
        const content = contents.find((c) => c.length === meta.totalLength);
        return MemoryStorage.open(meta, content ? { content } : {});
      },
    },
    ...extra,
  });
  clients.push(client);
  return { client, address: host.address };
}

function completed(t: Torrent): Promise<void> {
  if (t.complete) return Promise.resolve();
  return new Promise((resolve) => t.once("complete", () => resolve()));
}

test("add from an info hash or a magnet URI: a torrent in its metadata state", async () => {
  const { client } = await startClient();
  const a = makeTorrent(50_000, "a.bin");
  const b = makeTorrent(60_000, "b.bin");
  const added: string[] = [];
  client.on("added", (t) => added.push(t.infoHashHex));
  const ta = await client.add({ infoHash: a.meta.infoHashHex, name: "a from a hash" });
  assert.equal(ta.state, "metadata");
  assert.equal(ta.name, "a from a hash");
  assert.equal(client.get(a.meta.infoHashHex.toUpperCase()), ta);
  const magnet = formatMagnet({
    infoHash: b.meta.infoHash,
    displayName: "b from a magnet",
    trackers: [],
    webSeeds: [],
    peers: [],
  });
  const tb = await client.add(magnet, { paused: true });
  assert.equal(tb.state, "paused");
  assert.equal(tb.name, "b from a magnet");
  assert.deepEqual(added, [a.meta.infoHashHex, b.meta.infoHashHex]);
  await assert.rejects(client.add(a.meta), { code: "duplicate_torrent" });
  await assert.rejects(client.add({ infoHash: "not a hash" }), { code: "bad_info_hash" });
  // The metadata, once it comes, makes it a torrent like any other.
  await ta.setMetadata(a.meta);
  assert.equal(ta.state, "downloading");
  await client.remove(a.meta.infoHashHex);
  assert.equal(client.get(a.meta.infoHashHex), undefined);
  assert.equal(ta.state, "stopped");
});

test("incoming connections are negotiated and routed by info hash (in-memory dialer and listener)", async () => {
  const x = makeTorrent(200_000, "x.bin");
  const y = makeTorrent(100_000, "y.bin");
  const seeder = await startClient([x.content, y.content]);
  const sx = await seeder.client.add(x.meta);
  const sy = await seeder.client.add(y.meta);
  assert.ok(sx.complete && sy.complete);
  // Two leechers dial the seeder, one per torrent, one of them from a bare info hash.
  const lx = await startClient();
  const ly = await startClient();
  const tx = await lx.client.add({
    infoHash: x.meta.infoHash,
    peers: [{ host: seeder.address, port: seeder.client.port }],
  });
  const ty = await ly.client.add(y.meta);
  ty.addPeers([{ ip: seeder.address, port: seeder.client.port }]);
  await completed(ty);
  assert.equal(sy.peers().length + sx.peers().length, 2, "both reached the seeder");
  assert.equal(sx.peers().length, 1, "x's leecher went to x");
  assert.equal(tx.state, "metadata");
  await tx.setMetadata(x.meta);
  await completed(tx);
  // A stream for a torrent the client does not have is refused before any answer.
  const stranger = network.addHost("10.1.9.9");
  const stream = await stranger.dial(seeder.address, seeder.client.port);
  await assert.rejects(
    negotiateOutgoing(stream, {
      infoHash: Buffer.alloc(20, 7),
      peerId: asPeerId(Buffer.from("-XX0000-strangerrrrr")),
    }),
    { code: "closed" },
  );
});

test("add(bytes) still works (paths and metainfo: the e2e tests)", async () => {
  const { client } = await startClient();
  const z = makeTorrent(40_000, "z.bin");
  const t = await client.add(encode({ info: parseInfo(z.meta) }));
  assert.equal(t.infoHashHex, z.meta.infoHashHex);
  assert.equal(t.state, "downloading");
  assert.equal(t.meta.name, "z.bin");
});

function parseInfo(meta: Metainfo) {
  return {
    length: meta.totalLength,
    name: meta.name,
    "piece length": meta.pieceLength,
    pieces: meta.pieces,
  };
}
