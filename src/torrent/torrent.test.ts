import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, test } from "node:test";
import { encode } from "../bencode/index.ts";
import { type Metainfo, parseMetainfo, pieceSize } from "../metainfo/index.ts";
import { loadMemoryNetwork, type MemoryHost } from "../net/index.ts";
import { negotiateIncoming } from "../peer/index.ts";
import { MemoryStorage } from "../storage/index.ts";
import { asPeerId, realClock, sha1 } from "../util/index.ts";
import { TorrentError } from "./errors.ts";
import type { TorrentOptions } from "./options.ts";
import { Torrent } from "./torrent.ts";
import type { TorrentState } from "./types.ts";

const { MemoryNetwork } = await loadMemoryNetwork();

const PIECE_LENGTH = 32 * 1024;

/** A single-file torrent over random content, made in memory. */
function makeTorrent(size: number, name = "payload.bin"): { meta: Metainfo; content: Buffer } {
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
const open: Torrent[] = [];
after(async () => {
  await Promise.all(open.map((t) => t.close()));
});

interface Node {
  torrent: Torrent;
  host: MemoryHost;
  port: number;
  states: TorrentState[];
}

/**
 * A torrent on its own host of the in-memory network, listening for peers
 * (incoming connections negotiated and routed as the session does).
 */
function node(
  o: Partial<TorrentOptions> & ({ meta: Metainfo } | { infoHash: Uint8Array }),
  content?: Buffer,
): Node {
  const host = network.addHost(`10.0.0.${++hosts}`);
  const listener = host.listen(6881);
  const peerId = asPeerId(Buffer.from(`-SH0100-${String(hosts).padStart(12, "0")}`));
  const torrent = new Torrent({
    downloadDir: "/nonexistent",
    peerId,
    listenPort: listener.port,
    dial: (address, port) => host.dial(address, port),
    openStore: (meta) => MemoryStorage.open(meta, content ? { content } : {}),
    trackers: false,
    chokeIntervalMs: 200,
    ...o,
  });
  open.push(torrent);
  const states: TorrentState[] = [];
  torrent.on("state", (s) => states.push(s));
  listener.on("connection", (stream) => {
    negotiateIncoming(stream, {
      lookup: (infoHash) =>
        infoHash.equals(torrent.infoHash) &&
        torrent.canAccept(stream.remoteAddress ?? "?", stream.remotePort ?? 0)
          ? { peerId }
          : undefined,
    }).then(
      (negotiated) => {
        if (!torrent.acceptIncoming(negotiated)) stream.destroy();
      },
      () => stream.destroy(),
    );
  });
  return { torrent, host, port: listener.port, states };
}

function waitFor(t: Torrent, pred: () => boolean, what: string, ms = 10_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const poll = () => {
      if (pred()) return resolve();
      if (Date.now() - started > ms) {
        return reject(new Error(`timed out waiting for ${what}: ${JSON.stringify(t.stats())}`));
      }
      setTimeout(poll, 5);
    };
    poll();
  });
}

async function seeder(meta: Metainfo, content: Buffer): Promise<Node> {
  const n = node({ meta }, content);
  await n.torrent.checked();
  n.torrent.start();
  assert.equal(n.torrent.state, "seeding");
  return n;
}

async function sameContent(t: Torrent, content: Buffer): Promise<void> {
  const meta = t.meta;
  for (let i = 0; i < meta.pieceCount; i++) {
    const block = await t.storage.readBlock(i, 0, pieceSize(meta, i));
    assert.ok(
      block.data.equals(content.subarray(i * meta.pieceLength, (i + 1) * meta.pieceLength)),
    );
    block.release();
  }
}

test("from an info hash alone: the metadata state, with peers connected both ways", async () => {
  const { meta, content } = makeTorrent(200_000);
  const seed = await seeder(meta, content);
  // The metadata is handed over by hand here (metadata-exchange.test.ts fetches it).
  const magnet = node({
    infoHash: meta.infoHash,
    name: "from a magnet link",
    metadataExchange: false,
  });
  const t = magnet.torrent;
  assert.equal(t.state, "paused", "not started yet");
  assert.equal(t.name, "from a magnet link");
  assert.equal(t.metadata, undefined);
  assert.throws(
    () => t.meta,
    (e: unknown) => e instanceof TorrentError && e.code === "no_metadata",
  );
  t.start();
  assert.equal(t.state, "metadata");
  const connected: string[] = [];
  t.on("peer-connected", (p) => connected.push(p.address));
  t.addPeers([{ ip: seed.host.address, port: seed.port }]);
  await waitFor(t, () => t.peers().length === 1, "the seeder connected");
  assert.deepEqual(connected, [`${seed.host.address}:${seed.port}`]);
  // The seeder dials us too: an incoming connection in the metadata state is taken.
  const other = await seeder(meta, content);
  other.torrent.addPeers([{ ip: magnet.host.address, port: magnet.port }]);
  await waitFor(t, () => t.peers().length === 2, "an incoming peer");
  const s = t.stats();
  assert.deepEqual(
    [s.state, s.pieceCount, s.totalLength, s.piecesHave, s.peers, s.progress],
    ["metadata", 0, 0, 0, 2, 0],
  );
  assert.equal(t.complete, false);
  // Nothing is asked for before the metadata.
  assert.ok(t.peers().every((p) => !p.amInterested && p.requests === 0));
  await t.close();
  assert.equal(t.state, "stopped");
  assert.deepEqual(magnet.states, ["metadata", "stopped"]);
});

test("setMetadata: the wrong info dictionary is refused; the right one checks, then downloads", async () => {
  const { meta, content } = makeTorrent(300_000);
  const seed = await seeder(meta, content);
  const magnet = node({ infoHash: meta.infoHash, metadataExchange: false });
  const t = magnet.torrent;
  t.start();
  t.addPeers([{ ip: seed.host.address, port: seed.port }]);
  await waitFor(t, () => t.peers().length === 1, "the seeder connected");
  const wrong = makeTorrent(300_000).meta;
  await assert.rejects(t.setMetadata(wrong), { code: "metadata_mismatch" });
  assert.equal(t.state, "metadata");
  assert.equal(t.peers().length, 1, "the peer stays");
  const completed = new Promise<void>((resolve) => t.once("complete", () => resolve()));
  const metadata: Metainfo[] = [];
  t.on("metadata", (m) => metadata.push(m));
  await t.setMetadata(meta);
  assert.deepEqual(metadata, [meta]);
  assert.equal(t.extensions.metadataSize, meta.infoBytes.length, "advertised from now on");
  await completed;
  assert.deepEqual(magnet.states, ["metadata", "checking", "downloading", "seeding"]);
  assert.equal(t.stats().piecesHave, meta.pieceCount);
  await sameContent(t, content);
  await assert.rejects(t.setMetadata(meta), { code: "metadata_known" });
});

test("from metainfo: straight to checking; paused until started", async () => {
  const { meta } = makeTorrent(100_000);
  const n = node({ meta });
  assert.equal(n.torrent.state, "checking");
  await n.torrent.checked();
  assert.equal(n.torrent.state, "paused");
  n.torrent.start();
  assert.equal(n.torrent.state, "downloading");
  // (It was born checking: no event for that.)
  assert.deepEqual(n.states, ["paused", "downloading"]);
  await n.torrent.close();
  n.torrent.start();
  assert.equal(n.torrent.state, "stopped", "a closed torrent stays closed");
});

test("an observer hears every event before the listeners; listeners added at any time hear them too", async () => {
  const { meta } = makeTorrent(40_000);
  const torrent = new Torrent({
    downloadDir: "/nonexistent",
    peerId: asPeerId(Buffer.alloc(20, 7)),
    listenPort: 6881,
    dial: () => Promise.reject(new Error("no network here")),
    openStore: (m) => MemoryStorage.open(m, {}),
    trackers: false,
    meta,
  });
  open.push(torrent);
  const heard: string[] = [];
  torrent.observe({
    torrentEvent(event, args) {
      heard.push(`observer ${event} ${args.join(" ")}`);
    },
  });
  await torrent.checked();
  assert.equal(torrent.listenerCount("state"), 0);
  torrent.on("state", (state, previous) => heard.push(`listener state ${state} ${previous}`));
  assert.equal(torrent.listenerCount("state"), 1);
  torrent.start();
  assert.deepEqual(heard, [
    "observer state paused checking",
    "observer state downloading paused",
    "listener state downloading paused",
  ]);
  torrent.observe(undefined);
  torrent.removeAllListeners("state");
  await torrent.pause();
  assert.equal(heard.length, 3, "neither is told once let go");
  // An emitter's 'error' with nobody listening still throws, as Node's do.
  const emit = torrent.emit.bind(torrent) as (event: string, ...args: unknown[]) => boolean;
  assert.throws(() => emit("error", new Error("no listener")), /no listener/);
});

test("pause and resume: peers closed, nothing moves, then the download completes", async () => {
  const { meta, content } = makeTorrent(1024 * 1024);
  const seed = await seeder(meta, content);
  // A slow seeder, so that the pause comes mid-download.
  seed.host.setRates({ upload: 2 * 1024 * 1024 });
  const n = node({ meta });
  const t = n.torrent;
  await t.checked();
  t.start();
  t.addPeers([{ ip: seed.host.address, port: seed.port }]);
  await waitFor(t, () => t.stats().piecesHave >= 2, "a few pieces");
  await t.pause();
  assert.equal(t.state, "paused");
  assert.equal(t.stats().peers, 0, "every peer closed");
  const have = t.stats().piecesHave;
  assert.ok(have < meta.pieceCount, `paused mid-download (${have} pieces)`);
  await new Promise((r) => setTimeout(r, 100));
  assert.ok(t.stats().piecesHave - have <= 1, "nothing new arrives while paused");
  const completed = new Promise<void>((resolve) => t.once("complete", () => resolve()));
  t.start();
  assert.equal(t.state, "downloading");
  t.addPeers([{ ip: seed.host.address, port: seed.port }]);
  await completed;
  assert.deepEqual(n.states, ["paused", "downloading", "paused", "downloading", "seeding"]);
  await sameContent(t, content);
});

test("a magnet torrent paused before its metadata rests after checking", async () => {
  const { meta, content } = makeTorrent(100_000);
  const n = node({ infoHash: meta.infoHash }, content);
  const t = n.torrent;
  t.start();
  await t.pause();
  await t.setMetadata(meta);
  assert.equal(t.state, "paused");
  assert.equal(t.complete, true, "the data was there");
  t.start();
  assert.equal(t.state, "seeding");
  assert.deepEqual(n.states, ["metadata", "paused", "checking", "paused", "seeding"]);
});

test("data that cannot be opened: the error state, and a retry on start", async () => {
  const { meta } = makeTorrent(100_000);
  let fail = true;
  const n = node({
    meta,
    openStore: async (m) => {
      if (fail) throw new Error("disk on fire");
      return MemoryStorage.open(m);
    },
  });
  await assert.rejects(n.torrent.checked(), /disk on fire/);
  assert.equal(n.torrent.state, "error");
  assert.equal(n.torrent.stats().error, "disk on fire");
  fail = false;
  n.torrent.start();
  await n.torrent.checked();
  assert.equal(n.torrent.state, "downloading");
  assert.deepEqual(n.states, ["error", "checking", "downloading"]);
});

test("BEP 5: a peer's port message is a dht-node event", async () => {
  const { meta, content } = makeTorrent(100_000);
  const seed = node({ meta, dhtPort: 7000 }, content);
  await seed.torrent.checked();
  seed.torrent.start();
  const n = node({ meta, dhtPort: 7001 });
  const nodes: string[] = [];
  n.torrent.on("dht-node", (host, port) => nodes.push(`${host}:${port}`));
  await n.torrent.checked();
  n.torrent.start();
  n.torrent.addPeers([{ ip: seed.host.address, port: seed.port }]);
  await waitFor(n.torrent, () => nodes.length === 1, "a dht-node");
  assert.deepEqual(nodes, [`${seed.host.address}:7000`]);
});

/** Every chunk of a stream, joined. */
async function readAll(chunks: AsyncIterable<Buffer>): Promise<Buffer> {
  const out: Buffer[] = [];
  for await (const c of chunks) out.push(c);
  return Buffer.concat(out);
}

test("streaming: a reader's pieces are fetched before the others, and it gets exactly the source bytes", async () => {
  const { meta, content } = makeTorrent(48 * PIECE_LENGTH);
  const seed = await seeder(meta, content);
  seed.host.setRates({ upload: 1024 * 1024 });
  const n = node({ meta });
  const t = n.torrent;
  await t.checked();
  t.start();
  const verified: number[] = [];
  t.on("piece", (i) => verified.push(i));
  let completeAt: number | undefined;
  t.once("complete", () => {
    completeAt = verified.length;
  });
  // Pieces 40 to 43, from the middle of 40 to the middle of 43.
  const start = 40 * PIECE_LENGTH + 1000;
  const end = 43 * PIECE_LENGTH + 5000;
  const reading = readAll(t.readFile(0, start, end));
  t.addPeers([{ ip: seed.host.address, port: seed.port }]);
  const got = await reading;
  assert.ok(got.equals(content.subarray(start, end)), "the source's bytes");
  assert.equal(completeAt, undefined, "read before the download completed");
  assert.deepEqual(verified.slice(0, 4), [40, 41, 42, 43], "the stream's pieces first, in order");
  await waitFor(t, () => t.complete, "the rest");
  await sameContent(t, content);
  // Once complete, a range straight from the data.
  const tail = await readAll(t.readFile(0, 3, meta.totalLength));
  assert.ok(tail.equals(content.subarray(3)));
  assert.equal((await readAll(t.readFile(0, 7, 7))).length, 0, "an empty range");
});

test("streaming: a reader that leaves releases its pieces", async () => {
  const { meta, content } = makeTorrent(48 * PIECE_LENGTH);
  const seed = await seeder(meta, content);
  seed.host.setRates({ upload: 1024 * 1024 });
  const t = node({ meta }).torrent;
  await t.checked();
  t.start();
  const verified: number[] = [];
  t.on("piece", (i) => verified.push(i));
  const gone = new AbortController();
  const reading = readAll(t.readFile(0, 40 * PIECE_LENGTH, 44 * PIECE_LENGTH, gone));
  gone.abort(new Error("the client went away"));
  await assert.rejects(reading, /went away/);
  t.addPeers([{ ip: seed.host.address, port: seed.port }]);
  await waitFor(t, () => verified.length >= 8, "some pieces");
  assert.notDeepEqual(verified.slice(0, 4), [40, 41, 42, 43], "no longer first");
});

test("streaming: refused at once for no file, a bad range or a skipped file; a wait is bounded and abortable", async () => {
  const { meta } = makeTorrent(4 * PIECE_LENGTH);
  const t = node({ meta }).torrent;
  await t.checked();
  t.start();
  const code = (c: string) => (e: unknown) => e instanceof TorrentError && e.code === c;
  assert.throws(() => t.readFile(1, 0, 1), code("no_file"));
  assert.throws(() => t.readFile(-1, 0, 1), code("no_file"));
  assert.throws(() => t.readFile(0, 0, meta.totalLength + 1), code("bad_range"));
  assert.throws(() => t.readFile(0, 5, 4), code("bad_range"));
  // Nobody to fetch from: the wait ends after maxWaitMs.
  const started = Date.now();
  await assert.rejects(readAll(t.readFile(0, 0, 10, { maxWaitMs: 50 })), code("stream_timeout"));
  assert.ok(Date.now() - started < 5000);
  // An abort ends the wait at once, with its reason.
  const abort = new AbortController();
  const waiting = readAll(t.readFile(0, 0, 10, { signal: abort.signal }));
  setTimeout(() => abort.abort(new Error("client gone")), 20);
  await assert.rejects(waiting, /client gone/);
  // A torrent closed under a reader ends it.
  const closing = readAll(t.readFile(0, 0, 10));
  await t.close();
  await assert.rejects(closing, code("stopped"));
  const skipped = node({ meta }).torrent;
  await skipped.checked();
  await skipped.setFilePriorities(["skip"]);
  assert.throws(() => skipped.readFile(0, 0, 1), code("file_skipped"));
});
