/**
 * PEX between real torrents over the in-memory network: the wire, the BEP
 * 10 registry and the candidate list together.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, test } from "node:test";
import { encode } from "../bencode/index.ts";
import { type Metainfo, parseMetainfo } from "../metainfo/index.ts";
import { loadMemoryNetwork } from "../net/index.ts";
import { negotiateIncoming } from "../peer/index.ts";
import { MemoryStorage } from "../storage/index.ts";
import { asPeerId, realClock, sha1 } from "../util/index.ts";
import type { TorrentOptions } from "./options.ts";
import { PEX_FIRST_DELAY_MS } from "./pex.ts";
import { Torrent } from "./torrent.ts";

const { MemoryNetwork } = await loadMemoryNetwork();

const PIECE_LENGTH = 32 * 1024;
const network = new MemoryNetwork({ clock: realClock });
let hosts = 0;
const open: Torrent[] = [];
after(async () => {
  await Promise.all(open.map((t) => t.close()));
});

function makeMeta(priv: boolean): { meta: Metainfo; content: Buffer } {
  const content = randomBytes(4 * PIECE_LENGTH);
  const hashes: Buffer[] = [];
  for (let at = 0; at < content.length; at += PIECE_LENGTH) {
    hashes.push(sha1(content.subarray(at, at + PIECE_LENGTH)));
  }
  const info: Record<string, unknown> = {
    length: content.length,
    name: "pex.bin",
    "piece length": PIECE_LENGTH,
    pieces: Buffer.concat(hashes),
  };
  if (priv) info.private = 1;
  return { meta: parseMetainfo(encode({ info } as never)), content };
}

/** A started torrent on its own host, listening as the session would. */
async function node(meta: Metainfo, o: Partial<TorrentOptions> & { content?: Buffer } = {}) {
  const host = network.addHost(`10.9.0.${++hosts}`);
  const listener = host.listen(6881);
  const peerId = asPeerId(Buffer.from(`-SH0100-${String(hosts).padStart(12, "0")}`));
  const { content, ...rest } = o;
  const torrent = new Torrent({
    meta,
    downloadDir: "/nonexistent",
    peerId,
    listenPort: listener.port,
    dial: (address, port) => host.dial(address, port),
    openStore: (m) => MemoryStorage.open(m, content ? { content } : {}),
    trackers: false,
    ...rest,
  });
  open.push(torrent);
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
  await torrent.checked();
  torrent.start();
  return { torrent, host, address: { ip: host.address, port: listener.port } };
}

async function waitFor(pred: () => boolean, what: string, ms = 10_000): Promise<void> {
  const started = Date.now();
  while (!pred()) {
    if (Date.now() - started > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const key = (a: { ip: string; port: number }) => `${a.ip}:${a.port}`;

test("pex: a peer learns another from the peer they share, and shows where it heard of it", async () => {
  // Nobody has data: connections stay (seeds would part once done).
  const { meta } = makeMeta(false);
  const s = await node(meta);
  const b = await node(meta);
  // c speaks no PEX: b must find it through s, and c only ever sees b reach it.
  const c = await node(meta, { pex: false });
  assert.ok(s.torrent.extensions.idOf("ut_pex"), "advertised for a public torrent");
  assert.equal(c.torrent.extensions.idOf("ut_pex"), undefined);
  b.torrent.addPeers([s.address], "tracker");
  c.torrent.addPeers([s.address], "tracker");
  await waitFor(() => s.torrent.peers().length === 2, "both connected to the seeder");
  await waitFor(
    () => b.torrent.peers().some((p) => p.address === key(c.address)),
    "b connected to c",
  );
  const bPeers = new Map(b.torrent.peers().map((p) => [p.address, p]));
  assert.equal(bPeers.get(key(c.address))?.source, "pex");
  assert.equal(bPeers.get(key(c.address))?.outgoing, true);
  assert.equal(bPeers.get(key(s.address))?.source, "tracker");
  await waitFor(
    () => c.torrent.peers().some((p) => p.address === key(b.address)),
    "c sees b (once b's extended handshake names its port)",
  );
  const cView = c.torrent.peers().find((p) => p.address === key(b.address));
  assert.equal(cView?.outgoing, false, "c learnt nothing: b dialled it");
});

test("pex: never for a private torrent (BEP 27): not advertised, nobody learns anybody", async () => {
  const { meta } = makeMeta(true);
  const s = await node(meta);
  const b = await node(meta);
  const c = await node(meta);
  for (const n of [s, b, c]) assert.equal(n.torrent.extensions.idOf("ut_pex"), undefined);
  b.torrent.addPeers([s.address]);
  c.torrent.addPeers([s.address]);
  await waitFor(() => s.torrent.peers().length === 2, "both connected to the seeder");
  await new Promise((r) => setTimeout(r, PEX_FIRST_DELAY_MS + 1_000));
  assert.deepEqual(
    b.torrent.peers().map((p) => p.address),
    [key(s.address)],
  );
  assert.deepEqual(
    c.torrent.peers().map((p) => p.address),
    [key(s.address)],
  );
});

test("pex: a seed heard of through PEX is not dialled while we seed too", async () => {
  const { meta, content } = makeMeta(false);
  const a = await node(meta, { content });
  const b = await node(meta, { content });
  const l = await node(meta);
  // A slow leecher: it is still downloading (and telling) when the first PEX goes out.
  l.host.setRates({ download: 16 * 1024 });
  const connections = { a: 0, b: 0 };
  a.torrent.on("peer-connected", () => connections.a++);
  b.torrent.on("peer-connected", () => connections.b++);
  l.torrent.addPeers([a.address, b.address]);
  await waitFor(() => l.torrent.peers().length === 2, "the leecher connected to both seeds");
  // l tells each seed of the other, flagged a seed: neither dials the other.
  await new Promise((r) => setTimeout(r, PEX_FIRST_DELAY_MS + 1_500));
  assert.equal(l.torrent.complete, false, "still downloading");
  assert.deepEqual(connections, { a: 1, b: 1 }, "each saw the leecher only");
});

test("pex: an address heard of goes through the same IP filter as a tracker's peers", async () => {
  const { meta } = makeMeta(false);
  const s = await node(meta);
  const c = await node(meta, { pex: false });
  const b = await node(meta, { blocked: (ip) => ip === c.address.ip });
  b.torrent.addPeers([s.address], "tracker");
  c.torrent.addPeers([s.address], "tracker");
  await waitFor(() => s.torrent.peers().length === 2, "both connected to the seeder");
  // s tells b of c within PEX_FIRST_DELAY_MS; the filter keeps b from dialling it.
  await new Promise((r) => setTimeout(r, PEX_FIRST_DELAY_MS + 1_500));
  assert.deepEqual(
    b.torrent.peers().map((p) => p.address),
    [key(s.address)],
  );
  assert.equal(c.torrent.peers().length, 1, "c only ever saw s");
});
