import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { encode } from "../bencode/index.ts";
import { createTorrent, formatMagnet, type Metainfo, parseMetainfo } from "../metainfo/index.ts";
import { loadMemoryNetwork } from "../net/index.ts";
import { negotiateOutgoing } from "../peer/index.ts";
import { MemoryStorage } from "../storage/index.ts";
import type { Torrent } from "../torrent/index.ts";
import { asPeerId, realClock, sha1 } from "../util/index.ts";
import { Client, type ClientOptions } from "./client.ts";
import type { SessionEvent } from "./dto.ts";

const { MemoryNetwork } = await loadMemoryNetwork();

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
  const defaults: ClientOptions["torrentDefaults"] = {
    trackers: false,
    chokeIntervalMs: 200,
    openStore: (meta) => {
      const content = contents.find((c) => c.length === meta.totalLength);
      return MemoryStorage.open(meta, content ? { content } : {});
    },
  };
  const host = network.addHost(`10.1.0.${++hosts}`);
  const client = await Client.start({
    dataDir: join(dir, "data"),
    downloadDir: join(dir, "download"),
    port: 6881,
    dialer: host,
    listen: async (port) => host.listen(port),
    torrentDefaults: defaults,
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
  // x's leecher is handed its metadata below rather than fetching it (BEP 9).
  const lx = await startClient([], {
    torrentDefaults: {
      trackers: false,
      chokeIntervalMs: 200,
      openStore: (meta) => MemoryStorage.open(meta),
      metadataExchange: false,
    },
  });
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

/** A .torrent file's bytes for `t`, as a user would have it. */
function torrentFile(t: { meta: Metainfo }): Buffer {
  return encode({ announce: "http://127.0.0.1:1/announce", info: parseInfo(t.meta) });
}

test("the registry: short ids in order, references by id or info-hash prefix, typed events", async () => {
  const { client } = await startClient();
  const a = makeTorrent(30_000, "a.bin");
  const b = makeTorrent(31_000, "b.bin");
  const events: SessionEvent[] = [];
  client.on("event", (e) => events.push(e));
  await client.add(a.meta, { paused: true });
  await client.add(torrentFile(b));
  assert.equal(client.resolve("1"), a.meta.infoHashHex);
  assert.equal(client.resolve(2), b.meta.infoHashHex);
  assert.equal(client.resolve(b.meta.infoHashHex.slice(0, 6).toUpperCase()), b.meta.infoHashHex);
  assert.throws(() => client.resolve("7"), { code: "not_found" });
  assert.deepEqual(
    client.summaries().map((s) => [s.id, s.name, s.state]),
    [
      [1, "a.bin", "paused"],
      [2, "b.bin", "downloading"],
    ],
  );
  await client.resume(a.meta.infoHashHex);
  await client.pause(b.meta.infoHashHex);
  await client.remove(a.meta.infoHashHex);
  assert.throws(() => client.resolve("1"), { code: "not_found" });
  const seen = events
    .filter((e) => e.type !== "peer-connected" && e.type !== "peer-closed")
    .map((e) => `${e.type}${"state" in e ? `:${e.state}` : ""} ${"id" in e ? e.id : ""}`);
  assert.deepEqual(seen, [
    "added 1",
    "added 2",
    "state:downloading 2",
    "state:downloading 1",
    "state:paused 2",
    "removed 1",
  ]);
  // Plain data: JSON carries every view whole.
  const summary = client.summary(b.meta.infoHashHex);
  assert.deepEqual(JSON.parse(JSON.stringify(summary)), summary);
  const detail = client.detail(b.meta.infoHashHex);
  assert.deepEqual(JSON.parse(JSON.stringify(detail)), detail);
  assert.deepEqual(
    detail.trackers.map((t) => [t.url, t.state]),
    [["http://127.0.0.1:1/announce", "idle"]],
  );
  assert.match(
    detail.magnet,
    new RegExp(`^magnet:\\?xt=urn:btih:${b.meta.infoHashHex}&dn=b\\.bin`),
  );
});

test("the persisted list survives a crash: same torrents, states and limits after a restart", async () => {
  const dataDir = join(await mkdtemp(join(tmpdir(), "shoal-crash-")), "data");
  dirs.push(dataDir);
  const x = makeTorrent(40_000, "x.bin");
  const y = makeTorrent(41_000, "y.bin");
  const z = makeTorrent(42_000, "z.bin");
  const first = await startClient([x.content], { dataDir, persist: true });
  const c1 = first.client;
  await c1.add(torrentFile(x));
  await c1.pause(x.meta.infoHashHex);
  await c1.add(`magnet:?xt=urn:btih:${y.meta.infoHashHex}&dn=y%20from%20a%20magnet`, {
    paused: true,
  });
  await c1.add(torrentFile(z), { downloadDir: join(dataDir, "elsewhere") });
  c1.setTorrentLimits(z.meta.infoHashHex, { upload: 1000, download: 2000 });
  c1.setLimits({ upload: 5000 });
  await c1.flush();
  // The first client is dropped without close(): as after kill -9.
  assert.deepEqual(readdirSync(dataDir).sort(), ["resume", "session.json", "torrents"]);
  assert.deepEqual(
    readdirSync(join(dataDir, "torrents")).sort(),
    [`${x.meta.infoHashHex}.torrent`, `${z.meta.infoHashHex}.torrent`].sort(),
  );

  const second = await startClient([x.content], { dataDir, persist: true });
  const c2 = second.client;
  const { restored, warnings } = await c2.restore();
  assert.deepEqual(warnings, []);
  assert.deepEqual(restored, [x.meta.infoHashHex, y.meta.infoHashHex, z.meta.infoHashHex]);
  const byName = Object.fromEntries(c2.summaries().map((s) => [s.name, s]));
  assert.deepEqual(
    c2.summaries().map((s) => [s.id, s.name, s.state]),
    [
      [1, "x.bin", "paused"],
      [2, "y from a magnet", "paused"],
      [3, "z.bin", "downloading"],
    ],
  );
  assert.equal(byName["x.bin"]!.progress, 1, "x came back complete");
  assert.equal(byName["y from a magnet"]!.hasMetadata, false);
  assert.deepEqual(byName["z.bin"]!.limits, { upload: 1000, download: 2000 });
  assert.equal(byName["z.bin"]!.downloadDir, join(dataDir, "elsewhere"));
  assert.deepEqual(c2.limits().upload, 5000);
  assert.deepEqual(c2.limits().download, 0);
  // The exact bytes of the .torrent come back (to publish them).
  assert.ok((await c2.torrentFile(x.meta.infoHashHex)).equals(torrentFile(x)));
  // Removing one drops it from the list and from the store of copies.
  await c2.remove(z.meta.infoHashHex);
  const saved = JSON.parse(readFileSync(join(dataDir, "session.json"), "utf8"));
  assert.deepEqual(
    saved.torrents.map((t: { infoHash: string; paused: boolean }) => [t.infoHash, t.paused]),
    [
      [x.meta.infoHashHex, true],
      [y.meta.infoHashHex, true],
    ],
  );
  assert.equal(existsSync(join(dataDir, "torrents", `${z.meta.infoHashHex}.torrent`)), false);
});

test("a .torrent copy of another torrent than its name says: a warning, not that torrent under this one's entry", async () => {
  const dataDir = join(await mkdtemp(join(tmpdir(), "shoal-swapped-")), "data");
  dirs.push(dataDir);
  const x = makeTorrent(43_000, "x.bin");
  const y = makeTorrent(44_000, "y.bin");
  const first = await startClient([], { dataDir, persist: true });
  await first.client.add(torrentFile(x), { paused: true });
  await first.client.add(torrentFile(y), { paused: true });
  await first.client.close();
  // x's copy overwritten with y's bytes (a file changed on disk).
  writeFileSync(join(dataDir, "torrents", `${x.meta.infoHashHex}.torrent`), torrentFile(y));
  const { client } = await startClient([], { dataDir, persist: true });
  const { restored, warnings } = await client.restore();
  assert.deepEqual(restored, [y.meta.infoHashHex]);
  assert.equal(warnings.length, 1);
  assert.match(
    warnings[0]!,
    new RegExp(
      `could not restore 'x\\.bin': .* is of another torrent \\(info hash ${y.meta.infoHashHex}\\)`,
    ),
  );
  assert.deepEqual(
    client.summaries().map((s) => s.infoHash),
    [y.meta.infoHashHex],
  );
});

test("a damaged session.json: one warning, an empty session, the damaged copy kept", async () => {
  const dataDir = join(await mkdtemp(join(tmpdir(), "shoal-damaged-")), "data");
  dirs.push(dataDir);
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(join(dataDir, "session.json"), '{"version":1,"torrents":[{"infoHa');
  const { client } = await startClient([], { dataDir, persist: true });
  const { restored, warnings } = await client.restore();
  assert.deepEqual(restored, []);
  assert.equal(warnings.length, 1);
  assert.match(warnings[0]!, /session\.json is damaged .* kept as .*session\.json\.bad$/);
  assert.ok(existsSync(join(dataDir, "session.json.bad")));
  assert.deepEqual(JSON.parse(readFileSync(join(dataDir, "session.json"), "utf8")).torrents, []);
});

test("the shell's shell-session.json (v1 and v2) is migrated: users keep their torrents", async () => {
  const p = makeTorrent(20_000, "p.bin");
  const q = makeTorrent(21_000, "q.bin");
  for (const version of [1, 2]) {
    const dataDir = join(await mkdtemp(join(tmpdir(), `shoal-legacy-${version}-`)), "data");
    dirs.push(dataDir);
    mkdirSync(join(dataDir, "torrents"), { recursive: true });
    writeFileSync(join(dataDir, "torrents", "p.bin.torrent"), torrentFile(p));
    writeFileSync(join(dataDir, "torrents", "q.bin.torrent"), torrentFile(q));
    const list = [
      { file: join(dataDir, "torrents", "p.bin.torrent"), downloadDir: "/d/p", paused: true },
      { file: join(dataDir, "torrents", "q.bin.torrent"), downloadDir: "/d/q", paused: false },
      { file: join(dataDir, "torrents", "gone.torrent"), downloadDir: "/d/g", paused: false },
    ];
    const legacy =
      version === 1
        ? list
        : { version: 2, settings: { uploadLimit: 7000, downloadLimit: 0 }, torrents: list };
    writeFileSync(join(dataDir, "shell-session.json"), JSON.stringify(legacy));
    const { client } = await startClient([p.content], { dataDir, persist: true });
    const { restored, warnings } = await client.restore();
    assert.deepEqual(restored, [p.meta.infoHashHex, q.meta.infoHashHex]);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /could not restore .*gone\.torrent: it is gone/);
    assert.deepEqual(
      client.summaries().map((s) => [s.name, s.state, s.downloadDir]),
      [
        ["p.bin", "paused", "/d/p"],
        ["q.bin", "downloading", "/d/q"],
      ],
    );
    assert.equal(client.limits().upload, version === 1 ? 0 : 7000);
    assert.ok(existsSync(join(dataDir, "shell-session.json.migrated")));
    assert.ok(existsSync(join(dataDir, "session.json")));
    await client.close();
  }
});

test("whenComplete, recheck and remove with its data (files on disk)", async () => {
  const root = await mkdtemp(join(tmpdir(), "shoal-ops-"));
  dirs.push(root);
  const content = randomBytes(3 * PIECE_LENGTH + 100);
  mkdirSync(join(root, "seed", "album", "cd1"), { recursive: true });
  writeFileSync(join(root, "seed", "album", "cd1", "a.bin"), content.subarray(0, 20_000));
  writeFileSync(join(root, "seed", "album", "b.bin"), content.subarray(20_000));
  const { torrent: bytes, metainfo: meta } = await createTorrent(join(root, "seed", "album"), {
    pieceLength: PIECE_LENGTH,
  });
  const seedHost = network.addHost(`10.1.0.${++hosts}`);
  const seeder = await Client.start({
    dataDir: join(root, "seed-data"),
    downloadDir: join(root, "seed"),
    dialer: seedHost,
    listen: async (port) => seedHost.listen(port),
    port: 6881,
    torrentDefaults: { trackers: false, chokeIntervalMs: 200 },
  });
  clients.push(seeder);
  await seeder.add(bytes);
  const { client } = await startClient([], {
    dataDir: join(root, "data"),
    downloadDir: join(root, "download"),
    torrentDefaults: { trackers: false, chokeIntervalMs: 200 },
  });
  const hash = meta.infoHashHex;
  await client.add(bytes, { peers: [{ host: seedHost.address, port: seeder.port }] });
  await client.whenComplete(hash, { timeoutMs: 20_000 });
  const files = client.files(hash);
  assert.deepEqual(
    files.map((f) => [f.path, f.bytesCompleted === f.length]),
    meta.files.map((f) => [f.path.join("/"), true]),
  );
  await client.whenComplete(hash);
  // Recheck: opened again, every piece hashed, seeding again.
  const states: string[] = [];
  client.on("event", (e) => {
    if (e.type === "state" && e.infoHash === hash) states.push(e.state);
  });
  await client.recheck(hash);
  await client.whenComplete(hash, { timeoutMs: 10_000 });
  assert.equal(client.summary(hash).state, "seeding");
  assert.deepEqual(states.slice(0, 2), ["checking", "seeding"]);
  // Remove with the data: the torrent's files and its emptied folders go.
  const dir = join(root, "download", "album");
  assert.ok(existsSync(join(dir, "cd1", "a.bin")));
  writeFileSync(join(dir, "notes.txt"), "the user's own");
  await client.remove(hash, { deleteData: true });
  assert.equal(existsSync(join(dir, "cd1")), false);
  assert.equal(existsSync(join(dir, "b.bin")), false);
  assert.deepEqual(readdirSync(dir), ["notes.txt"], "what the torrent does not name stays");
  assert.ok(existsSync(join(root, "data", "resume")));
  assert.equal(existsSync(join(root, "data", "resume", `${hash}.json`)), false);
  await assert.rejects(client.whenComplete(hash), { code: "unknown_torrent" });
});

test("whenComplete times out with the progress, and is told of a removal", async () => {
  const { client } = await startClient();
  const w = makeTorrent(50_000, "w.bin");
  await client.add(w.meta);
  await assert.rejects(client.whenComplete(w.meta.infoHashHex, { timeoutMs: 50 }), {
    code: "timeout",
    message: "'w.bin' is not complete after 0.1 s (0.0%)",
  });
  const waiting = client.whenComplete(w.meta.infoHashHex);
  await client.remove(w.meta.infoHashHex);
  await assert.rejects(waiting, { code: "removed" });
});

test("a magnet link's torrent: persisted with its trackers, then with a .torrent copy once the metadata arrives", async () => {
  const dataDir = join(await mkdtemp(join(tmpdir(), "shoal-magnet-")), "data");
  dirs.push(dataDir);
  const m = makeTorrent(30_000, "m.bin");
  const { client } = await startClient([], { dataDir, persist: true });
  const tracker = "http://127.0.0.1:1/announce";
  const torrent = await client.add(
    `magnet:?xt=urn:btih:${m.meta.infoHashHex}&tr=${encodeURIComponent(tracker)}`,
    { paused: true },
  );
  const entry = () => JSON.parse(readFileSync(join(dataDir, "session.json"), "utf8")).torrents[0];
  assert.deepEqual(entry().trackers, [[tracker]]);
  assert.deepEqual(
    client.trackers(m.meta.infoHashHex).map((t) => t.url),
    [tracker],
  );
  const events: string[] = [];
  client.on("event", (e) => events.push(e.type));
  await torrent.setMetadata(m.meta);
  const copy = join(dataDir, "torrents", `${m.meta.infoHashHex}.torrent`);
  for (let i = 0; i < 100 && !existsSync(copy); i++) await new Promise((r) => setTimeout(r, 10));
  await client.flush();
  assert.equal(entry().trackers, undefined, "the .torrent copy says it now");
  const kept = parseMetainfo(readFileSync(copy));
  assert.equal(kept.infoHashHex, m.meta.infoHashHex);
  assert.deepEqual(kept.announceList, [[tracker]], "the magnet link's trackers kept in the copy");
  assert.ok(events.includes("metadata"));
  assert.equal(client.summary(m.meta.infoHashHex).hasMetadata, true);
});

test("a magnet link's torrent fetches its metadata from a peer (BEP 9), keeps the .torrent copy, and downloads", async () => {
  const dataDir = join(await mkdtemp(join(tmpdir(), "shoal-magnet-")), "data");
  dirs.push(dataDir);
  const m = makeTorrent(120_000, "fetched.bin");
  const seeder = await startClient([m.content]);
  await seeder.client.add(m.meta);
  const { client } = await startClient([], { dataDir, persist: true });
  const link = `magnet:?xt=urn:btih:${m.meta.infoHashHex}&dn=shown+first&x.pe=${seeder.address}:${seeder.client.port}`;
  // Named by dn until the metadata comes (it may come before add() resolves).
  let nameAtAdd: string | undefined;
  client.once("added", (t) => {
    nameAtAdd = t.name;
  });
  const torrent = await client.add(link);
  assert.equal(nameAtAdd, "shown first");
  await completed(torrent);
  assert.equal(torrent.name, "fetched.bin");
  await client.flush();
  const copy = join(dataDir, "torrents", `${m.meta.infoHashHex}.torrent`);
  assert.ok(parseMetainfo(readFileSync(copy)).infoBytes.equals(m.meta.infoBytes));
});
