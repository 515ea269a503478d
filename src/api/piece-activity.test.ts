import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { encode } from "../bencode/index.ts";
import { type Metainfo, parseMetainfo } from "../metainfo/index.ts";
import { MemoryNetwork } from "../net/index.ts";
import { Client } from "../session/index.ts";
import { MemoryStorage } from "../storage/index.ts";
import { realClock, sha1 } from "../util/index.ts";
import { ShoalApi } from "./shoal-api.ts";

const PIECE = 16 * 1024;
const network = new MemoryNetwork({ clock: realClock });
const started: { client: Client; dir: string }[] = [];
after(async () => {
  for (const s of started) await s.client.close();
  for (const s of started) await rm(s.dir, { recursive: true, force: true });
});

function smallTorrent(size: number, name: string): { content: Buffer; meta: Metainfo } {
  const content = randomBytes(size);
  const hashes: Buffer[] = [];
  for (let at = 0; at < size; at += PIECE) hashes.push(sha1(content.subarray(at, at + PIECE)));
  const info = { length: size, name, "piece length": PIECE, pieces: Buffer.concat(hashes) };
  return { content, meta: parseMetainfo(encode({ info })) };
}

/** A client on an in-memory host, seeding `content` when given. */
async function start(address: string, content?: Buffer): Promise<Client> {
  const dir = await mkdtemp(join(tmpdir(), "shoal-piece-activity-"));
  const host = network.addHost(address);
  const client = await Client.start({
    dataDir: join(dir, "data"),
    downloadDir: join(dir, "download"),
    port: 6881,
    dialer: host,
    listen: async (port) => host.listen(port),
    torrentDefaults: {
      trackers: false,
      openStore: (m: Metainfo) => MemoryStorage.open(m, content ? { content } : {}),
    },
  });
  started.push({ client, dir });
  return client;
}

/** Bits of a base64 BEP 3 bitfield that are set. */
function bitsSet(base64: string, count: number): number {
  const bytes = Buffer.from(base64, "base64");
  let n = 0;
  for (let i = 0; i < count; i++) n += (bytes[i >> 3]! >> (7 - (i & 7))) & 1;
  return n;
}

test("the live piece map: availability from the peers, pieces in flight and from whom, then all had", async () => {
  const { content, meta } = smallTorrent(64 * 16 * 1024, "map.bin");
  const seeder = await start("10.9.0.1", content);
  const leecher = await start("10.9.0.2");
  await seeder.add(meta);
  const api = new ShoalApi(leecher);
  const before = api.pieceActivity(
    (await api.add({ infoHash: meta.infoHashHex, paused: true })).id,
  );
  assert.deepEqual(before, {
    pieceCount: 0,
    piecesHave: 0,
    have: "",
    availability: "",
    inFlight: [],
  });
  await api.remove(1);

  // A slow download (64 KiB/s of a 1 MiB torrent) leaves time to see pieces in flight.
  await leecher.add(meta, {
    downloadLimit: 64 * 1024,
    peers: [{ host: "10.9.0.1", port: seeder.port }],
  });
  const ref = meta.infoHashHex.slice(0, 8);
  const deadline = Date.now() + 15_000;
  let seen: ReturnType<ShoalApi["pieceActivity"]> | undefined;
  while (Date.now() < deadline) {
    const a = api.pieceActivity(ref);
    if (a.inFlight.length > 0 && a.piecesHave > 0) {
      seen = a;
      break;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.ok(seen, "pieces were seen in flight after some had arrived");
  assert.equal(seen.pieceCount, 64);
  assert.equal(bitsSet(seen.have, 64), seen.piecesHave);
  // The one peer is a seeder: every piece is held by exactly one peer.
  assert.deepEqual([...Buffer.from(seen.availability, "base64")], new Array(64).fill(1));
  for (const f of seen.inFlight) {
    assert.deepEqual(f.peers, [`10.9.0.1:${seeder.port}`]);
    assert.ok(f.piece >= 0 && f.piece < 64);
    assert.equal(bitsSet(seen.have, f.piece + 1) - bitsSet(seen.have, f.piece), 0, "not had yet");
  }
  assert.deepEqual(
    seen.inFlight.map((f) => f.piece),
    [...seen.inFlight.map((f) => f.piece)].sort((a, b) => a - b),
  );
  await leecher.setLimits({ download: 0 });
  await leecher.setTorrentLimits(meta.infoHashHex, { download: 0 });
  await api.whenComplete(ref, { timeoutMs: 20_000 });
  const done = api.pieceActivity(ref);
  assert.equal(done.piecesHave, 64);
  assert.deepEqual(done.inFlight, []);
  assert.equal(Buffer.from(done.have, "base64").toString("hex"), "ff".repeat(8));
});
