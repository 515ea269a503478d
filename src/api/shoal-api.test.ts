import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { encode } from "../bencode/index.ts";
import { parseMetainfo } from "../metainfo/index.ts";
import { loadMemoryNetwork } from "../net/index.ts";
import { Client, type ClientOptions } from "../session/index.ts";
import { MemoryStorage } from "../storage/index.ts";
import { realClock, sha1 } from "../util/index.ts";
import { ApiError } from "./errors.ts";
import { RATE_SAMPLES, RateHistory } from "./rate-history.ts";
import { ShoalApi } from "./shoal-api.ts";
import type { ApiEvent } from "./types.ts";

const { MemoryNetwork } = await loadMemoryNetwork();

const PIECE = 16 * 1024;

/** A .torrent's bytes and content. */
function makeTorrent(size: number, name: string) {
  const content = randomBytes(size);
  const hashes: Buffer[] = [];
  for (let at = 0; at < size; at += PIECE) {
    hashes.push(sha1(content.subarray(at, Math.min(size, at + PIECE))));
  }
  const bytes = encode({
    announce: "http://127.0.0.1:1/announce",
    info: { length: size, name, "piece length": PIECE, pieces: Buffer.concat(hashes) },
  });
  return { bytes, content, meta: parseMetainfo(bytes), hash: parseMetainfo(bytes).infoHashHex };
}

const network = new MemoryNetwork({ clock: realClock });
let hosts = 0;
const dirs: string[] = [];
const clients: Client[] = [];
const servers: Server[] = [];
after(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
  for (const s of servers) s.close();
});

async function startApi(
  contents: Buffer[] = [],
  extra: Partial<ClientOptions> = {},
  apiOptions: ConstructorParameters<typeof ShoalApi>[1] = {},
): Promise<{ api: ShoalApi; client: Client; address: string; dir: string }> {
  const dir = await mkdtemp(join(tmpdir(), "shoal-api-"));
  dirs.push(dir);
  const host = network.addHost(`10.2.0.${++hosts}`);
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
  return { api: new ShoalApi(client, apiOptions), client, address: host.address, dir };
}

/** The ApiError's code a call fails with. */
async function code(run: () => unknown): Promise<string> {
  try {
    await run();
  } catch (err) {
    assert.ok(err instanceof ApiError, `an ApiError, not ${String(err)}`);
    assert.doesNotMatch(err.message, /\n/, "one line");
    return err.code;
  }
  assert.fail("it did not fail");
}

/** JSON carries it whole: nothing but plain data. */
function plain<T>(value: T): T {
  assert.deepEqual(JSON.parse(JSON.stringify(value)), value);
  return value;
}

test("add from base64, a path, a magnet link or an info hash; references; plain data out", async () => {
  const { api, dir } = await startApi();
  const a = makeTorrent(40_000, "a.bin");
  const b = makeTorrent(41_000, "b.bin");
  const c = makeTorrent(42_000, "c.bin");
  const d = makeTorrent(43_000, "d.bin");
  const sa = plain(await api.add({ torrent: a.bytes.toString("base64"), paused: true }));
  assert.deepEqual([sa.id, sa.name, sa.state, sa.size], [1, "a.bin", "paused", 40_000]);
  await writeFile(join(dir, "b.torrent"), b.bytes);
  const sb = await api.add({ path: join(dir, "b.torrent"), uploadLimit: 1000 });
  assert.deepEqual([sb.id, sb.state, sb.limits], [2, "downloading", { upload: 1000, download: 0 }]);
  const sc = await api.add({ magnet: `magnet:?xt=urn:btih:${c.hash}&dn=c%20soon` });
  assert.deepEqual([sc.id, sc.name, sc.state, sc.hasMetadata], [3, "c soon", "metadata", false]);
  const sd = await api.add({ infoHash: d.hash, name: "d soon", paused: true });
  assert.deepEqual([sd.id, sd.state], [4, "paused"]);

  assert.equal(api.get(2).infoHash, b.hash);
  assert.equal(api.get("2").infoHash, b.hash);
  assert.equal(api.get(b.hash.slice(0, 5)).name, "b.bin");
  plain(api.get(1));
  plain(api.get(3));
  assert.deepEqual(api.list({ fields: ["id", "state"] }), [
    { id: 1, state: "paused" },
    { id: 2, state: "downloading" },
    { id: 3, state: "metadata" },
    { id: 4, state: "paused" },
  ]);
  assert.equal(plain(api.list()).length, 4);
  // Each field asked for alone is what the whole summary says (the entry's
  // own fields are read without the torrent's figures, the rest from them).
  const whole = api.list() as unknown as Record<string, unknown>[];
  for (const f of new Set(whole.flatMap((s) => Object.keys(s)))) {
    const alone = whole.map((s) => (s[f] === undefined ? {} : { [f]: s[f] }));
    assert.deepEqual(api.list({ fields: [f] as never[] }), alone, f);
  }
  assert.deepEqual(
    api.list({ fields: ["state", "piecesHave", "name"] }),
    whole.map((s) => ({ state: s.state, piecesHave: s.piecesHave, name: s.name })),
  );
  assert.deepEqual(
    plain(api.files(1)).map((f) => [f.path, f.length, f.bytesCompleted]),
    [["a.bin", 40_000, 0]],
  );
  assert.deepEqual(api.files(3), [], "no files before the metadata");
  assert.deepEqual(
    plain(api.trackers(1)).map((t) => t.url),
    ["http://127.0.0.1:1/announce"],
  );
  assert.deepEqual(plain(api.peers(2)), []);
  assert.equal(await api.torrentFile(1), a.bytes.toString("base64"));
  assert.equal(plain(api.client()).torrents, 4);

  // Mistakes, each a code and one line.
  assert.equal(await code(() => api.add({ torrent: a.bytes.toString("base64") })), "duplicate");
  assert.equal(await code(() => api.add({})), "invalid_input");
  assert.equal(await code(() => api.add({ path: "x", magnet: "magnet:?" })), "invalid_input");
  assert.equal(await code(() => api.add({ torrent: "%%%" })), "invalid_input");
  assert.equal(await code(() => api.add({ torrent: "aGVsbG8=" })), "invalid_input");
  assert.equal(await code(() => api.add({ path: join(dir, "none.torrent") })), "not_found");
  assert.equal(await code(() => api.add({ infoHash: "12ab" })), "invalid_input");
  assert.equal(
    await code(() => api.add({ magnet: `magnet:?xt=urn:btih:${a.hash}`, peers: ["nowhere"] })),
    "invalid_input",
  );
  assert.equal(await code(() => api.add({ magnet: "x", uploadLimit: -1 })), "invalid_input");
  assert.equal(await code(() => api.get(9)), "not_found");
  assert.equal(await code(() => api.pause("")), "invalid_input");
  assert.equal(await code(() => api.list({ fields: ["nope"] })), "invalid_input");
  assert.equal(await code(() => api.setLimits({ upload: 1.5 })), "invalid_input");
  assert.equal(await code(() => api.torrentFile(3)), "no_metadata");
  assert.equal(await code(() => api.recheck(3)), "no_metadata");
  assert.equal(await code(() => api.index()), "no_tracker");
});

test("an info-hash prefix that names two torrents is ambiguous", async () => {
  const { api } = await startApi();
  // Two info hashes that share their first two hex digits (a few dozen tries).
  const seen = new Map<string, ReturnType<typeof makeTorrent>>();
  let pair: [ReturnType<typeof makeTorrent>, ReturnType<typeof makeTorrent>] | undefined;
  for (let i = 0; !pair && i < 2000; i++) {
    const t = makeTorrent(100 + i, `t${i}.bin`);
    const other = seen.get(t.hash.slice(0, 2));
    if (other) pair = [other, t];
    seen.set(t.hash.slice(0, 2), t);
  }
  assert.ok(pair);
  const [first, twin] = pair;
  await api.add({ torrent: first.bytes.toString("base64"), paused: true });
  await api.add({ torrent: twin.bytes.toString("base64"), paused: true });
  assert.equal(await code(() => api.get(first.hash.slice(0, 2))), "ambiguous");
  assert.equal(await code(() => api.pause(first.hash.slice(0, 2).toUpperCase())), "ambiguous");
  const unique = first.hash.slice(0, first.hash[2] === twin.hash[2] ? 10 : 3);
  assert.equal(api.get(unique).infoHash, first.hash);
});

test("pause, resume, limits, events, completion and removal between two sessions", async () => {
  const t = makeTorrent(300_000, "t.bin");
  const seeder = await startApi([t.content]);
  const leecher = await startApi();
  await seeder.api.add({ torrent: t.bytes.toString("base64") });
  const events: ApiEvent[] = [];
  const states: ApiEvent[] = [];
  const stop = leecher.api.subscribe((e) => events.push(e));
  const stopStates = leecher.api.subscribe((e) => states.push(e), { types: ["state"] });
  const added = await leecher.api.add({
    torrent: t.bytes.toString("base64"),
    peers: [`${seeder.address}:${seeder.client.port}`],
    paused: true,
  });
  assert.equal(added.state, "paused");
  await leecher.api.setTorrentLimits(added.id, { download: 100_000 });
  assert.deepEqual(leecher.api.get(added.id).limits, { upload: 0, download: 100_000 });
  assert.deepEqual(await leecher.api.setLimits({ upload: 50_000 }), {
    upload: 50_000,
    download: 0,
  });
  assert.equal((await leecher.api.resume(added.id)).state, "downloading");
  await leecher.api.setTorrentLimits(added.id, { download: 0 });
  const done = await leecher.api.whenComplete(t.hash.slice(0, 8), { timeoutMs: 60_000 });
  assert.equal(done.progress, 1);
  assert.equal(done.state, "seeding");
  assert.ok(done.downloaded >= t.content.length);
  assert.equal(leecher.api.files(1)[0]!.bytesCompleted, t.content.length);
  stopStates();
  const last = await leecher.api.remove(1);
  assert.equal(last.name, "t.bin");
  assert.equal(await code(() => leecher.api.get(1)), "not_found");
  stop();
  for (const e of events) plain(e);
  const kinds = events.map((e) => e.type);
  assert.deepEqual(kinds.slice(0, 1), ["added"]);
  assert.ok(kinds.includes("peer-connected"));
  assert.ok(kinds.includes("completed"));
  assert.equal(kinds.at(-1), "removed");
  assert.ok(states.every((e) => e.type === "state"));
  assert.deepEqual(
    states.map((e) => (e.type === "state" ? e.state : "")),
    ["downloading", "seeding"],
  );
  assert.ok(seeder.api.peers(1).length <= 1);
  assert.equal(await code(() => leecher.api.whenComplete(1)), "not_found");
});

test("the tracker's index: list (marking what the session has), publish by ref, add by prefix", async () => {
  const x = makeTorrent(20_000, "x.bin");
  const y = makeTorrent(21_000, "y.bin");
  const published = new Map<string, Buffer>([[y.hash, y.bytes]]);
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      if (req.url === "/torrents" && req.method === "GET") {
        const list = [...published].map(([infoHash, bytes]) => ({
          infoHash,
          name: parseMetainfo(bytes).name,
          size: parseMetainfo(bytes).totalLength,
          files: 1,
          seeders: 0,
          leechers: 0,
          completed: 0,
          added: "2025-01-01T00:00:00.000Z",
        }));
        res.end(JSON.stringify(list));
      } else if (req.url === "/torrents" && req.method === "POST") {
        if (req.headers.authorization !== "Bearer sesame") {
          res.statusCode = 401;
          res.end(JSON.stringify({ error: "bad token" }));
          return;
        }
        const bytes = Buffer.concat(chunks);
        const meta = parseMetainfo(bytes);
        const created = !published.has(meta.infoHashHex);
        published.set(meta.infoHashHex, bytes);
        res.statusCode = created ? 201 : 200;
        res.end(
          JSON.stringify({
            created,
            infoHash: meta.infoHashHex,
            name: meta.name,
            magnet: "magnet:?",
          }),
        );
      } else {
        const m = /^\/torrents\/([0-9a-f]{40})\.torrent$/.exec(req.url ?? "");
        const bytes = m ? published.get(m[1]!) : undefined;
        res.statusCode = bytes ? 200 : 404;
        res.end(bytes ?? JSON.stringify({ error: "not found" }));
      }
    });
  });
  servers.push(server);
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
  const announce = `http://127.0.0.1:${(server.address() as AddressInfo).port}/announce`;
  const { api } = await startApi([], {}, { tracker: announce, publishToken: "sesame" });
  assert.equal(api.tracker, announce.replace("/announce", ""));
  await api.add({ torrent: x.bytes.toString("base64"), paused: true });
  assert.deepEqual(
    (await api.index()).map((t) => [t.name, t.have]),
    [["y.bin", false]],
  );
  const reply = plain(await api.publish({ ref: 1 }));
  assert.deepEqual([reply.created, reply.infoHash, reply.name], [true, x.hash, "x.bin"]);
  assert.equal((await api.publish({ ref: 1 })).created, false);
  assert.ok(published.get(x.hash)!.equals(x.bytes), "the exact .torrent bytes");
  assert.deepEqual(
    (await api.index()).map((t) => [t.name, t.have]),
    [
      ["y.bin", false],
      ["x.bin", true],
    ],
  );
  const added = await api.addFromIndex({ infoHash: y.hash.slice(0, 6), paused: true });
  assert.deepEqual([added.id, added.name], [2, "y.bin"]);
  assert.equal(await code(() => api.addFromIndex({ infoHash: "ffff0000" })), "not_found");
  assert.equal(await code(() => api.addFromIndex({ infoHash: "not hex" })), "invalid_input");
  assert.equal(await code(() => api.publish({})), "invalid_input");
  const { api: noToken } = await startApi([], {}, { tracker: announce });
  await noToken.add({ torrent: y.bytes.toString("base64"), paused: true });
  assert.equal(await code(() => noToken.publish({ ref: 1 })), "unauthorized");
  const { api: nowhere } = await startApi([], {}, { tracker: "http://127.0.0.1:1/announce" });
  assert.equal(await code(() => nowhere.index()), "tracker_error");
});

/** Bits of a base64 BEP 3 bitfield that are set, among the first `count`. */
function bitsSet(base64: string, count: number): number {
  const bytes = Buffer.from(base64, "base64");
  let n = 0;
  for (let i = 0; i < count; i++) n += (bytes[i >> 3]! >> (7 - (i & 7))) & 1;
  return n;
}

test("the live piece map: availability from the peers, pieces in flight and from whom, then all had", async () => {
  const t = makeTorrent(64 * PIECE, "map.bin");
  const seeder = await startApi([t.content]);
  const leecher = await startApi();
  await seeder.api.add({ torrent: t.bytes.toString("base64") });
  const api = leecher.api;
  const waiting = await api.add({ infoHash: t.hash, paused: true });
  assert.deepEqual(plain(api.pieceActivity(waiting.id)), {
    pieceCount: 0,
    piecesHave: 0,
    have: "",
    availability: "",
    inFlight: [],
  });
  await api.remove(waiting.id);

  // A slow download (64 KiB/s of a 1 MiB torrent) leaves time to see pieces in flight.
  const seederAt = `${seeder.address}:${seeder.client.port}`;
  const added = await api.add({
    torrent: t.bytes.toString("base64"),
    peers: [seederAt],
    downloadLimit: 64 * 1024,
  });
  const deadline = Date.now() + 15_000;
  let seen: ReturnType<ShoalApi["pieceActivity"]> | undefined;
  while (Date.now() < deadline) {
    const a = api.pieceActivity(added.id);
    if (a.inFlight.length > 0 && a.piecesHave > 0) {
      seen = a;
      break;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.ok(seen, "pieces were seen in flight after some had arrived");
  plain(seen);
  assert.equal(seen.pieceCount, 64);
  assert.equal(bitsSet(seen.have, 64), seen.piecesHave);
  // The one peer is a seeder: every piece is held by exactly one peer.
  assert.deepEqual([...Buffer.from(seen.availability, "base64")], new Array(64).fill(1));
  for (const f of seen.inFlight) {
    assert.deepEqual(f.peers, [seederAt]);
    assert.ok(f.piece >= 0 && f.piece < 64);
    assert.equal(bitsSet(seen.have, f.piece + 1) - bitsSet(seen.have, f.piece), 0, "not had yet");
  }
  const pieces = seen.inFlight.map((f) => f.piece);
  assert.deepEqual(
    pieces,
    [...pieces].sort((a, b) => a - b),
  );
  await api.setTorrentLimits(added.id, { download: 0 });
  await api.whenComplete(added.id, { timeoutMs: 60_000 });
  const done = api.pieceActivity(added.id);
  assert.equal(done.piecesHave, 64);
  assert.deepEqual(done.inFlight, []);
  assert.equal(Buffer.from(done.have, "base64").toString("hex"), "ff".repeat(8));
});

test("rate history: the session's last ten minutes always, an idle torrent's zeros lined up with it, bounded", async () => {
  const t = makeTorrent(2 * PIECE, "rates.bin");
  const { api } = await startApi();
  const added = await api.add({ torrent: t.bytes.toString("base64"), paused: true });
  const history = new RateHistory(api);
  history.sample();
  assert.deepEqual(history.session(), { periodMs: 1000, download: [0], upload: [0] });
  assert.deepEqual(
    plain(history.torrent(added.id)).download,
    [0],
    "idle before it was asked for: zeros, as many as the session's",
  );
  // The page asks once a second while the details are open: sampled all along.
  for (let i = 0; i < RATE_SAMPLES + 5; i++) {
    history.sample();
    if (i % 100 === 0) history.torrent(added.id);
  }
  assert.equal(history.session().download.length, RATE_SAMPLES, "ten minutes, no more");
  const series = history.torrent(t.hash.slice(0, 8));
  assert.equal(series.download.length, RATE_SAMPLES);
  assert.ok(series.upload.every((r) => r === 0));
  // Idle for ten minutes, it is not tracked: its series is zeros all the same.
  for (let i = 0; i < RATE_SAMPLES + 1; i++) history.sample();
  assert.equal(history.trackedTorrents, 0);
  assert.deepEqual(history.torrent(added.id).download, new Array(RATE_SAMPLES).fill(0));
  assert.equal(await code(() => history.torrent("ffff")), "not_found");
  await api.remove(added.id);
  history.sample(); // a removed torrent is dropped, not an error
  assert.equal(await code(() => history.torrent(t.hash)), "not_found");
});
