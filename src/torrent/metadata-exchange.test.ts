import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { test } from "node:test";
import { encode } from "../bencode/index.ts";
import { type Metainfo, parseMetainfo, pieceSize } from "../metainfo/index.ts";
import { loadMemoryNetwork } from "../net/index.ts";
import { type ExtensionPeer, negotiateIncoming } from "../peer/index.ts";
import { MemoryStorage } from "../storage/index.ts";
import { asInfoHash, asPeerId, FakeClock, realClock, sha1 } from "../util/index.ts";
import {
  decodeUtMetadata,
  encodeUtMetadata,
  METADATA_PIECE_LENGTH,
  type UtMetadataMessage,
} from "../wire/index.ts";
import {
  MAX_REFUSED_REQUESTS,
  METADATA_REQUEST_TIMEOUT_MS,
  MetadataExchange,
  type MetadataExchangeHost,
  metainfoOfInfo,
  UT_METADATA,
} from "./metadata-exchange.ts";
import { Torrent } from "./torrent.ts";

const { MemoryNetwork } = await loadMemoryNetwork();

// ---- the exchange alone, with scripted peers ------------------------------------

class FakePeer implements ExtensionPeer {
  readonly remoteAddress: string;
  readonly remotePort = 6881;
  readonly peerId = Buffer.alloc(20);
  readonly peerExtendedHandshake = undefined;
  readonly sent: UtMetadataMessage[] = [];
  closedWith: string | undefined;
  constructor(address: string) {
    this.remoteAddress = address;
  }
  supportsExtension(name: string): boolean {
    return name === UT_METADATA;
  }
  sendExtension(name: string, payload: Uint8Array): boolean {
    assert.equal(name, UT_METADATA);
    this.sent.push(decodeUtMetadata(Buffer.from(payload)));
    return true;
  }
  close(reason?: string): void {
    this.closedWith = reason ?? "closed";
  }
  /** The pieces we asked of it and have not had answered (taken off the list). */
  takeRequests(): number[] {
    const out: number[] = [];
    for (let i = this.sent.length - 1; i >= 0; i--) {
      const m = this.sent[i]!;
      if (m.type === "request") {
        out.unshift(m.piece);
        this.sent.splice(i, 1);
      }
    }
    return out;
  }
}

function data(info: Buffer, piece: number): Buffer {
  const begin = piece * METADATA_PIECE_LENGTH;
  const bytes = info.subarray(begin, begin + METADATA_PIECE_LENGTH);
  return encodeUtMetadata({ type: "data", piece, totalSize: info.length, data: bytes });
}

function exchangeFor(info: Buffer, opts: { have?: boolean; private?: boolean } = {}) {
  const clock = new FakeClock();
  const banned: string[] = [];
  const verified: Buffer[] = [];
  const host: MetadataExchangeHost = {
    infoHash: asInfoHash(sha1(info)),
    clock,
    infoBytes: () => (opts.have ? info : verified[0]),
    isPrivate: () => Boolean(opts.private),
    banKeyOf: (p) => p.remoteAddress ?? "?",
    isBanned: (key) => banned.includes(key),
    verified: (bytes) => verified.push(bytes),
    ban: (keys) => banned.push(...keys),
  };
  return { exchange: new MetadataExchange(host), clock, banned, verified };
}

test("exchange: one peer lies; its dictionary fails, it is banned, the honest ones finish", () => {
  const info = randomBytes(100);
  const lie = randomBytes(100);
  const { exchange, banned, verified } = exchangeFor(info);
  const liar = new FakePeer("10.0.0.66");
  exchange.onHandshake(liar, { metadataSize: 100 });
  assert.equal(exchange.fetchingFrom, 1);
  assert.deepEqual(liar.takeRequests(), [0]);
  const honest = [new FakePeer("10.0.0.1"), new FakePeer("10.0.0.2")];
  for (const p of honest) exchange.onHandshake(p, { metadataSize: 100 });
  exchange.onMessage(liar, data(lie, 0));
  assert.deepEqual(banned, ["10.0.0.66"], "the sole sender of a bad dictionary is banned");
  assert.equal(exchange.failures, 1);
  assert.deepEqual(verified, []);
  // The liar is never asked again; an honest peer is.
  assert.deepEqual(liar.takeRequests(), []);
  const asked = honest.find((p) => p.takeRequests().includes(0))!;
  exchange.onMessage(asked, data(info, 0));
  assert.deepEqual(verified, [info]);
  assert.equal(exchange.fetchingFrom, 0);
});

test("exchange: a shared bad dictionary makes suspects, who are then asked one at a time", () => {
  const info = randomBytes(2 * METADATA_PIECE_LENGTH);
  const lie = Buffer.from(info);
  lie[0] = lie[0]! ^ 1;
  const { exchange, banned, verified } = exchangeFor(info);
  const a = new FakePeer("10.0.0.1");
  const b = new FakePeer("10.0.0.2");
  exchange.onHandshake(a, { metadataSize: info.length });
  assert.deepEqual(a.takeRequests(), [0, 1], "the first peer is asked for every piece");
  exchange.onHandshake(b, { metadataSize: info.length });
  assert.deepEqual(b.takeRequests(), [0], "the next, idle, for a second copy");
  exchange.onMessage(b, data(lie, 0));
  assert.deepEqual(b.takeRequests(), [1], "idle again, b copies a's other piece");
  exchange.onMessage(a, data(info, 0)); // a duplicate now, dropped
  exchange.onMessage(a, data(info, 1));
  assert.equal(exchange.failures, 1);
  assert.deepEqual(banned, [], "no proof against either yet");
  // Only suspects left: one sends the whole dictionary alone.
  const soloA = a.takeRequests();
  const soloB = b.takeRequests();
  assert.equal([soloA, soloB].filter((r) => r.length > 0).length, 1);
  const [solo, pieces] = soloA.length > 0 ? [a, soloA] : [b, soloB];
  for (const p of pieces) exchange.onMessage(solo, data(solo === b ? lie : info, p));
  if (solo === b) {
    assert.deepEqual(banned, ["10.0.0.2"], "proven alone");
    for (const p of a.takeRequests()) exchange.onMessage(a, data(info, p));
  }
  assert.deepEqual(verified, [info]);
});

test("exchange: a reject or a timeout sends the piece to another peer", () => {
  const info = randomBytes(100);
  const { exchange, clock, verified } = exchangeFor(info);
  const [a, b, c] = [new FakePeer("10.0.0.1"), new FakePeer("10.0.0.2"), new FakePeer("10.0.0.3")];
  exchange.onHandshake(a, { metadataSize: 100 });
  assert.deepEqual(a.takeRequests(), [0]);
  exchange.onHandshake(b, { metadataSize: 100 });
  assert.deepEqual(b.takeRequests(), [0], "an idle peer asks a second copy");
  exchange.onMessage(a, encodeUtMetadata({ type: "reject", piece: 0 }));
  exchange.onHandshake(c, { metadataSize: 100 });
  assert.deepEqual(c.takeRequests(), [0], "the rejected copy goes to c");
  // b and c never answer: after the timeout both back off, and a's back-off ends later.
  clock.advance(METADATA_REQUEST_TIMEOUT_MS + 1000);
  clock.advance(10_000);
  const retried = [a, b, c].filter((p) => p.takeRequests().includes(0));
  assert.ok(retried.length > 0, "asked again after the back-off");
  exchange.onMessage(retried.at(-1)!, data(info, 0));
  assert.deepEqual(verified, [info]);
});

test("exchange: a metadata_size above the limit, or none, is not fetched from", () => {
  const { exchange } = exchangeFor(randomBytes(10));
  const huge = new FakePeer("10.0.0.1");
  exchange.onHandshake(huge, { metadataSize: 17 * 1024 * 1024 });
  const none = new FakePeer("10.0.0.2");
  exchange.onHandshake(none, {});
  assert.equal(exchange.fetchingFrom, 0);
  assert.deepEqual([huge.sent, none.sent], [[], []]);
});

test("exchange: serving — rejects before the metadata, pieces after, within an allowance", () => {
  const info = randomBytes(METADATA_PIECE_LENGTH + 10);
  const without = exchangeFor(info).exchange;
  const p = new FakePeer("10.0.0.9");
  without.onHandshake(p, {});
  without.onMessage(p, encodeUtMetadata({ type: "request", piece: 0 }));
  assert.deepEqual(p.sent, [{ type: "reject", piece: 0 }]);

  const { exchange } = exchangeFor(info, { have: true });
  const q = new FakePeer("10.0.0.8");
  exchange.onHandshake(q, {});
  exchange.onMessage(q, encodeUtMetadata({ type: "request", piece: 1 }));
  exchange.onMessage(q, encodeUtMetadata({ type: "request", piece: 2 }));
  const [one, two] = q.sent.splice(0);
  assert.deepEqual(one, {
    type: "data",
    piece: 1,
    totalSize: info.length,
    data: info.subarray(METADATA_PIECE_LENGTH),
  });
  assert.deepEqual(two, { type: "reject", piece: 2 }, "past the end");
  // Asking over and over: rejects once the allowance is spent, then the connection ends.
  for (let i = 0; i < 2 * 2 + 8 + MAX_REFUSED_REQUESTS + 5 && !q.closedWith; i++) {
    exchange.onMessage(q, encodeUtMetadata({ type: "request", piece: 0 }));
  }
  assert.ok(q.sent.some((m) => m.type === "reject"));
  assert.equal(q.closedWith, "asked for the metadata too often");
});

test("exchange: a private torrent's metadata is never served (BEP 27)", () => {
  const info = randomBytes(100);
  const { exchange } = exchangeFor(info, { have: true, private: true });
  const p = new FakePeer("10.0.0.7");
  exchange.onHandshake(p, {});
  exchange.onMessage(p, encodeUtMetadata({ type: "request", piece: 0 }));
  assert.deepEqual(p.sent, [{ type: "reject", piece: 0 }]);
});

test("exchange: a malformed message is a protocol error; data before the handshake is ignored", () => {
  const { exchange } = exchangeFor(randomBytes(100));
  const p = new FakePeer("10.0.0.5");
  exchange.onMessage(p, encodeUtMetadata({ type: "request", piece: 0 }));
  assert.deepEqual(p.sent, []);
  exchange.onHandshake(p, {});
  assert.throws(() => exchange.onMessage(p, Buffer.from("garbage")), {
    code: "bad_extended_message",
  });
});

// ---- two torrents over the in-memory network ------------------------------------

const network = new MemoryNetwork({ clock: realClock });
let hosts = 0;

function node(
  o: { meta: Metainfo } | { infoHash: Uint8Array; private?: boolean },
  content?: Buffer,
) {
  const host = network.addHost(`10.1.0.${++hosts}`);
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
  listener.on("connection", (stream) => {
    negotiateIncoming(stream, {
      lookup: (h) => (h.equals(torrent.infoHash) ? { peerId } : undefined),
    }).then(
      (n) => {
        if (!torrent.acceptIncoming(n)) stream.destroy();
      },
      () => stream.destroy(),
    );
  });
  return { torrent, address: host.address, port: listener.port };
}

/** A torrent whose info dictionary spans several ut_metadata pieces (a long extra key). */
function bigInfoTorrent(isPrivate = false): { meta: Metainfo; content: Buffer } {
  const pieceLength = 16 * 1024;
  const content = randomBytes(200_000);
  const hashes: Buffer[] = [];
  for (let at = 0; at < content.length; at += pieceLength) {
    hashes.push(sha1(content.subarray(at, at + pieceLength)));
  }
  const info: Record<string, unknown> = {
    length: content.length,
    name: "payload.bin",
    "piece length": pieceLength,
    pieces: Buffer.concat(hashes),
    "x-padding": randomBytes(3 * METADATA_PIECE_LENGTH),
  };
  if (isPrivate) info.private = 1;
  return { meta: parseMetainfo(encode({ info: info as never })), content };
}

function until(pred: () => boolean, what: string, ms = 10_000): Promise<void> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const poll = () => {
      if (pred()) resolve();
      else if (Date.now() - started > ms) reject(new Error(`timed out waiting for ${what}`));
      else setTimeout(poll, 5);
    };
    poll();
  });
}

test("magnet: the info dictionary comes from two seeders in pieces, then the data", async () => {
  const { meta, content } = bigInfoTorrent();
  assert.ok(meta.infoBytes.length > 3 * METADATA_PIECE_LENGTH);
  const seeds = [node({ meta }, content), node({ meta }, content)];
  for (const s of seeds) {
    await s.torrent.checked();
    s.torrent.start();
  }
  const magnet = node({ infoHash: meta.infoHash });
  const t = magnet.torrent;
  const metadata: Metainfo[] = [];
  t.on("metadata", (m) => metadata.push(m));
  const complete = new Promise<void>((r) => t.once("complete", () => r()));
  let sawFetching = 0;
  const watch = setInterval(() => {
    sawFetching = Math.max(sawFetching, t.stats().metadataPeers);
  }, 1);
  t.start();
  t.addPeers(seeds.map((s) => ({ ip: s.address, port: s.port })));
  await complete;
  clearInterval(watch);
  assert.equal(metadata.length, 1);
  assert.ok(metadata[0]!.infoHash.equals(meta.infoHash));
  assert.ok(metadata[0]!.infoBytes.equals(meta.infoBytes));
  assert.ok(sawFetching >= 1, "the stats said whom it fetched from");
  assert.equal(t.stats().metadataPeers, 0);
  assert.equal(t.extensions.metadataSize, meta.infoBytes.length, "and it now serves it");
  for (let i = 0; i < meta.pieceCount; i++) {
    const block = await t.storage.readBlock(i, 0, pieceSize(meta, i));
    assert.ok(
      block.data.equals(content.subarray(i * meta.pieceLength, (i + 1) * meta.pieceLength)),
    );
    block.release();
  }
  await Promise.all([t.close(), ...seeds.map((s) => s.torrent.close())]);
});

test("magnet: a private torrent's seeder neither advertises nor serves its metadata", async () => {
  const { meta, content } = bigInfoTorrent(true);
  const seed = node({ meta }, content);
  await seed.torrent.checked();
  seed.torrent.start();
  assert.equal(seed.torrent.extensions.idOf(UT_METADATA), undefined);
  assert.equal(seed.torrent.extensions.metadataSize, undefined);
  const magnet = node({ infoHash: meta.infoHash });
  magnet.torrent.start();
  magnet.torrent.addPeers([{ ip: seed.address, port: seed.port }]);
  await until(() => magnet.torrent.peers().length === 1, "connected");
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(magnet.torrent.state, "metadata");
  assert.equal(magnet.torrent.stats().metadataPeers, 0);
  await Promise.all([magnet.torrent.close(), seed.torrent.close()]);
});

test("metainfoOfInfo: the dictionary's own bytes, so the same info hash", () => {
  const { meta } = bigInfoTorrent();
  assert.ok(metainfoOfInfo(meta.infoBytes).infoHash.equals(meta.infoHash));
  assert.throws(() => metainfoOfInfo(Buffer.from("d4:name1:xe")), { name: "MetainfoError" });
});

test("exchange: a sender that left before the check is distrusted all the same", () => {
  const info = randomBytes(2 * METADATA_PIECE_LENGTH);
  const lie = Buffer.from(info);
  lie[0] = lie[0]! ^ 1;
  const { exchange, verified } = exchangeFor(info);
  const liar = new FakePeer("10.0.0.66");
  const honest = new FakePeer("10.0.0.1");
  exchange.onHandshake(liar, { metadataSize: info.length });
  exchange.onHandshake(honest, { metadataSize: info.length });
  assert.deepEqual(liar.takeRequests(), [0, 1]);
  assert.deepEqual(honest.takeRequests(), [0]);
  exchange.onMessage(liar, data(lie, 0));
  exchange.onClose(liar); // gone, its piece 1 never sent
  for (const p of honest.takeRequests()) exchange.onMessage(honest, data(info, p));
  assert.equal(exchange.failures, 1, "the dictionary with the liar's piece failed");
  // It comes back, beside a newcomer: the newcomer is asked, the liar is not.
  const back = new FakePeer("10.0.0.66");
  const fresh = new FakePeer("10.0.0.2");
  exchange.onHandshake(back, { metadataSize: info.length });
  exchange.onHandshake(fresh, { metadataSize: info.length });
  assert.deepEqual(back.takeRequests(), [], "the liar is not asked again");
  let asked = fresh.takeRequests();
  assert.ok(asked.length > 0, "the newcomer is");
  exchange.onClose(honest);
  for (let round = 0; round < 3 && verified.length === 0; round++) {
    asked = [...asked, ...fresh.takeRequests()];
    for (const p of asked.splice(0)) exchange.onMessage(fresh, data(info, p));
  }
  assert.deepEqual(back.takeRequests(), []);
  assert.equal(verified.length, 1);
  assert.ok(verified[0]!.equals(info));
});
