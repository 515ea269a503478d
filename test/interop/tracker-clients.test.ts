/**
 * Interop (issue 3, "Prove it"): Transmission, aria2 and libtorrent announce to
 * shoal's tracker over HTTP (BEP 3) and over UDP (BEP 15), and two of them find
 * each other through it and complete a transfer.
 *
 * Every client runs on loopback with DHT, LSD, PEX and port mapping off and its
 * own temp dirs; every torrent is private (BEP 27), so the tracker is the only
 * way peers can learn of each other. A finished transfer therefore proves the
 * tracker handed out working peer addresses.
 *
 * SHOAL_INTEROP_TRACKER=opentracker runs the same cases against opentracker,
 * which checks the harness itself against a reference tracker.
 * SHOAL_SKIP_INTEROP=1 skips (instead of failing) when a tool is missing.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { basename, join } from "node:path";
import { after, before, describe, it } from "node:test";
import { decode, decodeDocument, isBytes, isDict, isInteger } from "../../src/bencode/index.ts";
import { sha1, toHex } from "../../src/util/index.ts";
import {
  assertTools,
  type Child,
  Children,
  freePort,
  freePorts,
  httpGet,
  httpGetJson,
  makeTorrent,
  NODE,
  percentEncodeBytes,
  REAL_PEER_TOOLS,
  SHOAL_CLI,
  skipReason,
  startAria2,
  startLibtorrent,
  startTransmission,
  TempDirs,
  type ToolRequirement,
  waitFor,
} from "./helpers.ts";

type Protocol = "http" | "udp";
type ClientName = "transmission" | "aria2" | "libtorrent";

const TRACKER_KIND = process.env.SHOAL_INTEROP_TRACKER === "opentracker" ? "opentracker" : "shoal";

const TOOLS: ToolRequirement[] = [
  ...REAL_PEER_TOOLS,
  { bin: "mktorrent", pkg: "mktorrent" },
  ...(TRACKER_KIND === "opentracker" ? [{ bin: "opentracker", pkg: "opentracker" }] : []),
];

/** Per-case budget: each case must finish well inside node:test's timeout. */
const CASE_TIMEOUT_MS = 180_000;
const CLIENT_TIMEOUT_MS = 170_000;

interface TestTorrent {
  path: string;
  infoHash: Buffer;
  dataFile: string;
  size: number;
}

/** The tracker under test, reached only on 127.0.0.1. */
interface Tracker {
  port: number;
  httpAnnounce: string;
  udpAnnounce: string;
  child: Child;
}

function infoHashOf(torrentBytes: Buffer): Buffer {
  const doc = decodeDocument(torrentBytes);
  const info = isDict(doc.value) ? doc.value.get("info") : undefined;
  const raw = isDict(info) ? doc.raw(info) : undefined;
  if (!raw) throw new Error("torrent has no info dictionary");
  return sha1(raw);
}

/** BEP 48 scrape of one info hash: the counts, or undefined if it is unknown. */
async function scrape(
  tracker: Tracker,
  infoHash: Buffer,
): Promise<{ complete: number; incomplete: number } | undefined> {
  const url = `http://127.0.0.1:${tracker.port}/scrape?info_hash=${percentEncodeBytes(infoHash)}`;
  const { status, body } = await httpGet(url);
  if (status !== 200) throw new Error(`scrape answered HTTP ${status}`);
  const reply = decode(body);
  const files = isDict(reply) ? reply.get("files") : undefined;
  const entry = isDict(files) ? files.get(infoHash.toString("latin1")) : undefined;
  if (!isDict(entry)) return undefined;
  const complete = entry.get("complete");
  const incomplete = entry.get("incomplete");
  return {
    complete: isInteger(complete) ? Number(complete) : 0,
    incomplete: isInteger(incomplete) ? Number(incomplete) : 0,
  };
}

/**
 * Announces as a probe peer over HTTP (compact, BEP 23) and returns the ports
 * of the 127.0.0.1 peers the tracker hands out, then withdraws the probe with
 * event=stopped. The port identifies which client the tracker registered.
 */
async function peerPorts(tracker: Tracker, infoHash: Buffer, probePort: number): Promise<number[]> {
  const peerId = Buffer.from("-SH0000-interopprobe", "latin1");
  const base =
    `${tracker.httpAnnounce}?info_hash=${percentEncodeBytes(infoHash)}` +
    `&peer_id=${percentEncodeBytes(peerId)}&port=${probePort}` +
    "&uploaded=0&downloaded=0&left=1&compact=1&numwant=50";
  const { status, body } = await httpGet(`${base}&event=started`);
  if (status !== 200) throw new Error(`announce answered HTTP ${status}`);
  await httpGet(`${base}&event=stopped`);
  const reply = decode(body);
  if (!isDict(reply)) throw new Error("announce reply is not a dictionary");
  const failure = reply.get("failure reason");
  if (isBytes(failure)) throw new Error(`tracker refused the probe: ${failure.toString()}`);
  const peers = reply.get("peers");
  if (!isBytes(peers) || peers.length % 6 !== 0) throw new Error("no compact peer list in reply");
  const ports: number[] = [];
  for (let off = 0; off < peers.length; off += 6) {
    if (peers[off] === 127 && peers[off + 3] === 1) ports.push(peers.readUInt16BE(off + 4));
  }
  return ports;
}

async function startTracker(
  children: Children,
  port: number,
  dir: string,
  hashes: Buffer[],
): Promise<Tracker> {
  const urls = {
    port,
    httpAnnounce: `http://127.0.0.1:${port}/announce`,
    udpAnnounce: `udp://127.0.0.1:${port}`,
  };
  if (TRACKER_KIND === "opentracker") {
    // Debian builds opentracker with a whitelist: list the test's torrents.
    await writeFile(join(dir, "whitelist.txt"), `${hashes.map((h) => toHex(h)).join("\n")}\n`);
    const portText = String(port);
    const args = ["-i", "127.0.0.1", "-p", portText, "-P", portText, "-d", dir];
    const child = children.start("opentracker", [...args, "-w", "whitelist.txt"], {
      name: "opentracker",
      timeoutMs: 10 * CASE_TIMEOUT_MS,
    });
    await waitFor(
      "opentracker to answer",
      () => httpGet(`http://127.0.0.1:${port}/scrape`),
      60_000,
    );
    return { ...urls, child };
  }
  const child = children.start(
    NODE,
    [SHOAL_CLI, "tracker", "--port", String(port), "--host", "127.0.0.1", "--data-dir", dir],
    { name: "shoal tracker", timeoutMs: 10 * CASE_TIMEOUT_MS },
  );
  await child.waitForLine(/listening/i, 60_000);
  return { ...urls, child };
}

/** What each client puts at the front of its peer id (BEP 20 conventions). */
const PEER_ID_PATTERN: Record<ClientName, RegExp> = {
  transmission: /^-TR\d{4}-/,
  aria2: /^A2-\d+-\d+-\d+-/,
  libtorrent: /^-LT[0-9A-Z]{4}-/,
};

interface ShoalStats {
  announces: Record<Protocol, Record<string, number>>;
}

interface ShoalSwarms {
  swarms: Array<{ infoHash: string; peers: Array<{ ip: string; port: number; peerId: string }> }>;
}

/** Announces shoal's tracker has counted over one protocol (GET /stats). */
async function shoalAnnounceCount(tracker: Tracker, protocol: Protocol): Promise<number> {
  const stats = (await httpGetJson(`http://127.0.0.1:${tracker.port}/stats`)) as ShoalStats;
  const counts = stats.announces?.[protocol];
  if (!counts) throw new Error(`GET /stats has no announces.${protocol}`);
  return Object.values(counts).reduce((sum, n) => sum + n, 0);
}

/** The peer ids shoal's tracker lists at 127.0.0.1:port in one swarm (GET /swarms). */
async function shoalPeerIds(tracker: Tracker, infoHash: Buffer, port: number): Promise<string[]> {
  const view = (await httpGetJson(`http://127.0.0.1:${tracker.port}/swarms`)) as ShoalSwarms;
  const swarm = view.swarms.find((s) => s.infoHash === toHex(infoHash));
  const peers = swarm?.peers.filter((p) => p.ip === "127.0.0.1" && p.port === port) ?? [];
  return peers.map((p) => Buffer.from(p.peerId, "hex").toString("latin1"));
}

const skip = skipReason(TOOLS);

describe(`real clients and ${TRACKER_KIND}'s tracker`, { skip }, () => {
  const children = new Children();
  const temps = new TempDirs();
  let root = "";
  let tracker: Tracker;
  const announceTorrents = new Map<string, TestTorrent>();
  const transferTorrents = new Map<Protocol, TestTorrent>();

  async function makeCaseTorrent(name: string, size: number, announce: string) {
    const dir = join(root, "data", name);
    await mkdir(dir, { recursive: true });
    const dataFile = join(dir, `${name}.bin`);
    await writeFile(dataFile, randomBytes(size));
    const path = await makeTorrent(dataFile, announce, join(root, `${name}.torrent`));
    return { path, infoHash: infoHashOf(await readFile(path)), dataFile, size };
  }

  before(async () => {
    assertTools(TOOLS);
    root = await temps.make("tracker-interop");
    // The tracker's port goes into the torrents, so pick it first; it is
    // started after the torrents exist (opentracker needs their hashes).
    const trackerDir = join(root, "tracker");
    await mkdir(trackerDir);
    const port = await freePort();
    const urlFor = (p: Protocol) =>
      p === "http" ? `http://127.0.0.1:${port}/announce` : `udp://127.0.0.1:${port}`;
    for (const client of ["transmission", "aria2", "libtorrent"] as const) {
      for (const protocol of ["http", "udp"] as const) {
        const name = `${client}-${protocol}`;
        announceTorrents.set(name, await makeCaseTorrent(name, 256 * 1024, urlFor(protocol)));
      }
    }
    // The Transmission-seeded case takes ~15 s on loopback whatever the size
    // (Transmission 3.00 is slow to start serving a new peer), so it moves
    // 1 MiB (16 pieces) to stay well inside its budget; libtorrent's moves 4 MiB.
    const transferSize: Record<Protocol, number> = { http: 4 << 20, udp: 1 << 20 };
    for (const protocol of ["http", "udp"] as const) {
      const name = `transfer-${protocol}`;
      const torrent = await makeCaseTorrent(name, transferSize[protocol], urlFor(protocol));
      transferTorrents.set(protocol, torrent);
    }
    const hashes = [...announceTorrents.values(), ...transferTorrents.values()].map(
      (t) => t.infoHash,
    );
    tracker = await startTracker(children, port, trackerDir, hashes);
  });

  after(async () => {
    await children.stopAll();
    await temps.removeAll();
  });

  async function startClient(client: ClientName, protocol: Protocol, torrent: TestTorrent) {
    const dir = await temps.make(`${client}-${protocol}`);
    const [port, dhtPort] = await freePorts(2);
    const peerPort = port ?? 0;
    let child: Child;
    if (client === "transmission") {
      const configDir = join(dir, "config");
      const downloads = join(dir, "downloads");
      await mkdir(configDir);
      await mkdir(downloads);
      const opts = { torrent: torrent.path, dir: downloads, configDir, port: peerPort };
      child = await startTransmission(children, opts, CLIENT_TIMEOUT_MS);
    } else if (client === "aria2") {
      const opts = {
        torrent: torrent.path,
        dir,
        port: peerPort,
        udpTracker: protocol === "udp",
        dhtPort,
      };
      child = startAria2(children, opts, CLIENT_TIMEOUT_MS);
    } else {
      const opts = { torrent: torrent.path, savePath: dir, port: peerPort, mode: "leech" as const };
      child = startLibtorrent(children, opts, CLIENT_TIMEOUT_MS);
    }
    return { child, port: peerPort, dir };
  }

  for (const client of ["transmission", "aria2", "libtorrent"] as const) {
    for (const protocol of ["http", "udp"] as const) {
      it(`${client} announces over ${protocol.toUpperCase()}`, {
        timeout: CASE_TIMEOUT_MS,
      }, async () => {
        const torrent = announceTorrents.get(`${client}-${protocol}`)!;
        const countBefore =
          TRACKER_KIND === "shoal" ? await shoalAnnounceCount(tracker, protocol) : 0;
        const { child, port } = await startClient(client, protocol, torrent);
        try {
          // The torrent names only this protocol's URL, so a registered peer
          // came in over it.
          const counts = await waitFor(
            `${client} to announce over ${protocol}`,
            async () => {
              const c = await scrape(tracker, torrent.infoHash);
              return c && c.complete + c.incomplete > 0 ? c : undefined;
            },
            40_000,
            250,
          ).catch((err: Error) => {
            throw new Error(`${err.message}\n${client} output:\n${child.tail()}`);
          });
          assert.equal(counts.incomplete, 1, `${client} should be the swarm's one leecher`);
          const ports = await peerPorts(tracker, torrent.infoHash, await freePort());
          assert.ok(
            ports.includes(port),
            `tracker lists ports ${ports.join(",")}, expected ${client}'s port ${port}`,
          );
          if (TRACKER_KIND === "shoal") {
            const counted = await shoalAnnounceCount(tracker, protocol);
            assert.ok(counted > countBefore, `/stats counted no ${protocol} announce`);
            const ids = await shoalPeerIds(tracker, torrent.infoHash, port);
            assert.equal(ids.length, 1, `/swarms should list ${client} at port ${port} once`);
            assert.match(ids[0] ?? "", PEER_ID_PATTERN[client], `${client}'s peer id`);
          }
        } finally {
          await child.stop();
        }
      });
    }
  }

  async function transfer(
    protocol: Protocol,
    seeder: "libtorrent" | "transmission",
    leecher: "aria2",
  ): Promise<void> {
    const torrent = transferTorrents.get(protocol)!;
    const seedDir = join(root, "data", `transfer-${protocol}`);
    const seedPort = await freePort();
    let seed: Child;
    if (seeder === "libtorrent") {
      const opts = {
        torrent: torrent.path,
        savePath: seedDir,
        port: seedPort,
        mode: "seed" as const,
      };
      seed = startLibtorrent(children, opts, CLIENT_TIMEOUT_MS);
    } else {
      const configDir = await temps.make("transmission-seed-config");
      const opts = { torrent: torrent.path, dir: seedDir, configDir, port: seedPort };
      seed = await startTransmission(children, opts, CLIENT_TIMEOUT_MS);
    }
    try {
      await waitFor(
        `${seeder} to register as a seeder over ${protocol}`,
        async () => {
          const c = await scrape(tracker, torrent.infoHash);
          return c && c.complete > 0 ? c : undefined;
        },
        30_000,
        250,
      ).catch((err: Error) => {
        throw new Error(`${err.message}\n${seeder} output:\n${seed.tail()}`);
      });
      const { child: leech, dir } = await startClient(leecher, protocol, torrent);
      const { code } = await leech.exited;
      assert.equal(code, 0, `${leecher} did not finish (exit ${code}):\n${leech.tail()}`);
      assert.ok(
        leech.lines.some((l) => l.includes("Download complete")),
        `${leecher} never reported completion:\n${leech.tail()}`,
      );
      const got = await readFile(join(dir, basename(torrent.dataFile)));
      const want = await readFile(torrent.dataFile);
      assert.equal(got.length, want.length, "downloaded file has the wrong length");
      assert.ok(got.equals(want), "downloaded file differs from the seeded one");
    } finally {
      await seed.stop();
    }
  }

  it("libtorrent seeds to aria2 through the tracker (HTTP)", { timeout: CASE_TIMEOUT_MS }, () =>
    transfer("http", "libtorrent", "aria2"),
  );

  it("Transmission seeds to aria2 through the tracker (UDP)", { timeout: CASE_TIMEOUT_MS }, () =>
    transfer("udp", "transmission", "aria2"),
  );
});
