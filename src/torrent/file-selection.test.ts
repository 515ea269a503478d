import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { encode } from "../bencode/index.ts";
import { type Metainfo, parseMetainfo } from "../metainfo/index.ts";
import { loadMemoryNetwork } from "../net/index.ts";
import { negotiateIncoming } from "../peer/index.ts";
import { MemoryStorage, partFileName } from "../storage/index.ts";
import { asPeerId, FakeClock, realClock, sha1 } from "../util/index.ts";
import type { TorrentError } from "./errors.ts";
import { piecePriorities } from "./file-selection.ts";
import type { TorrentOptions } from "./options.ts";
import { Torrent } from "./torrent.ts";

const { MemoryNetwork } = await loadMemoryNetwork();

const PIECE = 16 * 1024;

/** Files of the given sizes under folder "t", over random content. */
function makeTorrent(sizes: number[]): { meta: Metainfo; content: Buffer } {
  const files = sizes.map((length, i) => ({ length, path: [`f${i}.bin`] }));
  const content = randomBytes(sizes.reduce((a, b) => a + b, 0));
  const hashes: Buffer[] = [];
  for (let at = 0; at < content.length; at += PIECE)
    hashes.push(sha1(content.subarray(at, at + PIECE)));
  const info = { name: "t", "piece length": PIECE, files, pieces: Buffer.concat(hashes) };
  return { meta: parseMetainfo(encode({ info } as never)), content };
}

test("piece priorities: the highest of the files a piece touches; first and last pieces first", () => {
  // f0: pieces 0-1 (20000 B), f1: pieces 1-3, f2: pieces 3-4.
  const { meta } = makeTorrent([20000, 30000, 25000]);
  const files = ["normal", "skip", "high"] as const;
  const prio = (firstLastPiece: boolean) => [
    ...piecePriorities(meta, { files: [...files], firstLastPiece, sequential: false }),
  ];
  assert.deepEqual(prio(false), [2, 2, 0, 3, 3]);
  assert.deepEqual(prio(true), [4, 4, 0, 4, 4]);
});

test("piece priorities: a piece of padding alone (BEP 47) is fetched as usual, whatever is skipped", () => {
  // f0: piece 0, a padding file: piece 1, f2: piece 2.
  const content = randomBytes(2 * PIECE + 100);
  const hashes: Buffer[] = [];
  for (let at = 0; at < 3 * PIECE; at += PIECE) {
    hashes.push(sha1(Buffer.concat([content, Buffer.alloc(PIECE)]).subarray(at, at + PIECE)));
  }
  const info = {
    name: "t",
    "piece length": PIECE,
    files: [
      { length: PIECE, path: ["f0.bin"] },
      { length: PIECE, path: [".pad", String(PIECE)], attr: "p" },
      { length: 100, path: ["f2.bin"] },
    ],
    pieces: Buffer.concat(hashes),
  };
  const meta = parseMetainfo(encode({ info } as never));
  const prio = (files: ("skip" | "normal" | "high")[]) => [
    ...piecePriorities(meta, { files, firstLastPiece: false, sequential: false }),
  ];
  assert.deepEqual(prio(["skip", "skip", "skip"]), [0, 2, 0]);
  assert.deepEqual(prio(["high", "skip", "normal"]), [3, 2, 2]);
});

const network = new MemoryNetwork({ clock: realClock });
let hosts = 0;
const cleanup: (() => Promise<unknown>)[] = [];
after(async () => {
  for (const c of cleanup) await c();
});

function node(o: Partial<TorrentOptions> & { meta: Metainfo }, content?: Buffer) {
  const host = network.addHost(`10.9.0.${++hosts}`);
  const listener = host.listen(6881);
  const peerId = asPeerId(Buffer.from(`-SH0100-${String(hosts).padStart(12, "9")}`));
  const torrent = new Torrent({
    downloadDir: "/nonexistent",
    peerId,
    listenPort: listener.port,
    dial: (address, port) => host.dial(address, port),
    trackers: false,
    chokeIntervalMs: 200,
    ...(content ? { openStore: (meta) => MemoryStorage.open(meta, { content }) } : {}),
    ...o,
  });
  cleanup.push(() => torrent.close());
  listener.on("connection", (stream) => {
    negotiateIncoming(stream, {
      lookup: (infoHash) => (infoHash.equals(torrent.infoHash) ? { peerId } : undefined),
    }).then(
      (n) => {
        if (!torrent.acceptIncoming(n)) stream.destroy();
      },
      () => stream.destroy(),
    );
  });
  return { torrent, host, port: listener.port, address: `10.9.0.${hosts}` };
}

function until(pred: () => boolean, what: string, ms = 10_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const poll = () => {
      if (pred()) return resolve();
      if (Date.now() - started > ms) return reject(new Error(`timed out waiting for ${what}`));
      setTimeout(poll, 5);
    };
    poll();
  });
}

async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), "shoal-select-"));
  cleanup.push(() => rm(d, { recursive: true, force: true }));
  return d;
}

test("a skipped file is not downloaded nor created; wanted again, it is fetched live", async () => {
  const { meta, content } = makeTorrent([20000, 70000, 25000]);
  const seed = node({ meta }, content);
  await seed.torrent.checked();
  seed.torrent.start();
  const dir = await tempDir();
  const leech = node({ meta, downloadDir: dir, filePriorities: ["normal", "skip", "normal"] });
  const pieces: number[] = [];
  leech.torrent.on("piece", (i) => pieces.push(i));
  let completes = 0;
  leech.torrent.on("complete", () => completes++);
  await leech.torrent.checked();
  leech.torrent.start();
  leech.torrent.addPeers([{ ip: seed.address, port: seed.port }]);
  await until(() => leech.torrent.state === "seeding", "the wanted files");
  // f1 covers bytes 20000-90000: pieces 1-5; 1 and 5 are shared, 2-4 its own.
  assert.deepEqual(
    [...pieces].sort((a, b) => a - b),
    [0, 1, 5, 6, 7],
  );
  assert.equal(completes, 1);
  const root = join(dir, "t");
  assert.deepEqual(readFileSync(join(root, "f0.bin")), content.subarray(0, 20000));
  assert.deepEqual(readFileSync(join(root, "f2.bin")), content.subarray(90000));
  assert.equal(existsSync(join(root, "f1.bin")), false, "a skipped file is not created");
  assert.equal(existsSync(join(dir, partFileName(meta.infoHashHex))), true);
  assert.deepEqual(leech.torrent.filePriorities, ["normal", "skip", "normal"]);

  // Wanted again, live: back to downloading, then seeding the whole torrent.
  await leech.torrent.setFilePriorities(["normal", "high", "normal"]);
  await until(() => leech.torrent.storage.have.isComplete(), "the whole torrent");
  await until(() => leech.torrent.state === "seeding", "seeding again");
  assert.equal(completes, 2);
  assert.deepEqual(readFileSync(join(root, "f1.bin")), content.subarray(20000, 90000));
  assert.equal(existsSync(join(dir, partFileName(meta.infoHashHex))), false);
});

test("priorities that do not fit the torrent are refused", async () => {
  const { meta, content } = makeTorrent([20000, 30000]);
  const t = node({ meta }, content).torrent;
  await t.checked();
  await assert.rejects(
    t.setFilePriorities(["skip"]),
    (e: TorrentError) => e.code === "bad_selection",
  );
  await assert.rejects(
    t.setFilePriorities(["skip", "urgent" as never]),
    (e: TorrentError) => e.code === "bad_selection",
  );
  assert.deepEqual(t.filePriorities, ["normal", "normal"]);
});

test("sequential download verifies pieces in order", async () => {
  const { meta, content } = makeTorrent([40 * PIECE]);
  const seed = node({ meta }, content);
  await seed.torrent.checked();
  seed.torrent.start();
  const leech = node({ meta, sequential: true, openStore: (m) => MemoryStorage.open(m) });
  const pieces: number[] = [];
  leech.torrent.on("piece", (i) => pieces.push(i));
  await leech.torrent.checked();
  leech.torrent.start();
  leech.torrent.addPeers([{ ip: seed.address, port: seed.port }]);
  await until(() => leech.torrent.state === "seeding", "the download");
  assert.deepEqual(
    pieces,
    pieces.map((_, i) => i),
  );
});

test("the tracker hears `completed` once every piece is here, not when only some files are", async () => {
  const events: string[] = [];
  const server = createServer((req, res) => {
    const event = new URL(req.url ?? "/", "http://x").searchParams.get("event");
    if (event) events.push(event);
    res.end(encode({ interval: 600, peers: Buffer.alloc(0) }));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  cleanup.push(() => new Promise((r) => server.close(r)));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/announce`;
  const { meta, content } = makeTorrent([20000, 70000, 25000]);
  const seed = node({ meta }, content);
  await seed.torrent.checked();
  seed.torrent.start();
  const leech = node({
    meta,
    openStore: (m) => MemoryStorage.open(m),
    filePriorities: ["normal", "skip"],
    trackers: true,
    announceList: [[url]],
  });
  await leech.torrent.checked();
  leech.torrent.start();
  leech.torrent.addPeers([{ ip: seed.address, port: seed.port }]);
  await until(() => leech.torrent.state === "seeding", "the wanted files");
  await until(() => events.includes("started"), "the started announce");
  await new Promise((r) => setTimeout(r, 200));
  assert.deepEqual(events, ["started"], "no completed for some files");
  await leech.torrent.setFilePriorities(["normal", "normal", "normal"]);
  await until(() => events.includes("completed"), "the completed announce");
  assert.deepEqual(events, ["started", "completed"]);
});

test("a seed idle with no peer: selection changed and a file streamed, it seeds; another seed parts from it, a leecher gets it all", async () => {
  const { meta, content } = makeTorrent([20000, 70000]);
  const seed = node({ meta }, content);
  await seed.torrent.checked();
  seed.torrent.start();
  await seed.torrent.setFilePriorities(["normal", "skip"]);
  await seed.torrent.setFilePriorities(["high", "normal"]);
  seed.torrent.setSequential(true);
  assert.equal(seed.torrent.state, "seeding");
  const streamed: Buffer[] = [];
  for await (const chunk of seed.torrent.readFile(1, 0, 70000)) streamed.push(Buffer.from(chunk));
  assert.deepEqual(Buffer.concat(streamed), content.subarray(20000));

  // Two seeds have nothing to trade: one closes the connection (requesting.ts).
  const other = node({ meta }, content);
  await other.torrent.checked();
  other.torrent.start();
  const reasons: string[] = [];
  for (const t of [seed.torrent, other.torrent]) {
    t.on("peer-closed", (_id, reason) => reasons.push(reason));
  }
  other.torrent.addPeers([{ ip: seed.address, port: seed.port }]);
  await until(() => reasons.includes("both seeds"), "the two seeds to part");

  const leech = node({ meta, openStore: (m) => MemoryStorage.open(m) });
  await leech.torrent.checked();
  leech.torrent.start();
  leech.torrent.addPeers([{ ip: seed.address, port: seed.port }]);
  await until(() => leech.torrent.state === "seeding", "the download");
  const got = await leech.torrent.storage.readBlock(4, 0, PIECE);
  assert.deepEqual(got.data, content.subarray(4 * PIECE, 5 * PIECE));
  got.release();
  assert.equal(leech.torrent.stats().downloaded, content.length);
});

test("pieces verified while downloading: the resume data is saved 30 s after the first", async () => {
  const { meta, content } = makeTorrent([5 * PIECE]);
  const damaged = Buffer.from(content);
  damaged[damaged.length - 1]! ^= 1; // the seed lacks the last piece: the leecher cannot complete
  const seed = node({ meta }, damaged);
  await seed.torrent.checked();
  seed.torrent.start();
  const clock = new FakeClock(Date.now());
  const leech = node({ meta, clock, openStore: (m) => MemoryStorage.open(m) });
  await leech.torrent.checked();
  leech.torrent.start();
  leech.torrent.addPeers([{ ip: seed.address, port: seed.port }]);
  const store = leech.torrent.storage as MemoryStorage;
  await until(() => store.have.count() === 4, "every piece the seed has");
  const saves = store.saves;
  clock.advance(30_000);
  await until(() => store.saves > saves, "the resume save");
  assert.equal(leech.torrent.state, "downloading");
});
