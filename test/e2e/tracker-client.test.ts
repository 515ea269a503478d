/**
 * The tracker client against shoal's own tracker, run as the CLI runs it
 * (`shoal tracker`), over HTTP and UDP on loopback.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createSocket } from "node:dgram";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import {
  Announcer,
  type AnnouncerOptions,
  announceHttp,
  announceUdp,
  TrackerClientError,
} from "../../src/tracker-client/index.ts";
import type { PeerAddress } from "../../src/tracker-proto/index.ts";

const MAIN = fileURLToPath(new URL("../../src/cli/main.ts", import.meta.url));

let child: ChildProcess | undefined;
let dataDir = "";
let httpUrl = "";
let udpUrl = "";

before(async () => {
  dataDir = await mkdtemp(join(tmpdir(), "shoal-tracker-client-"));
  const proc = spawn(
    process.execPath,
    [
      MAIN,
      "tracker",
      "--port",
      "0",
      "--host",
      "127.0.0.1",
      "--data-dir",
      dataDir,
      "--interval",
      "60",
      "--min-interval",
      "1",
      "--log-level",
      "warn",
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  child = proc;
  let stderr = "";
  proc.stderr!.on("data", (d) => {
    stderr += d;
  });
  const line = await new Promise<string>((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => reject(new Error(`tracker did not start: ${stderr}`)), 60_000);
    proc.stdout!.on("data", (d) => {
      out += d;
      if (out.includes("listening") && out.includes("\n")) {
        clearTimeout(timer);
        resolve(out);
      }
    });
    proc.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`tracker exited with ${code}: ${stderr}`));
    });
  });
  httpUrl = /(http:\/\/127\.0\.0\.1:\d+\/announce)/.exec(line)![1]!;
  udpUrl = /(udp:\/\/127\.0\.0\.1:\d+)/.exec(line)![1]!;
});

after(async () => {
  if (child && child.exitCode === null) {
    const exited = new Promise((resolve) => child!.once("exit", resolve));
    child.kill("SIGTERM");
    await exited;
  }
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

const announcers: Announcer[] = [];
after(async () => {
  await Promise.all(announcers.map((a) => a.stop()));
});

function makeAnnouncer(
  url: string | string[][],
  infoHash: Buffer,
  port: number,
  left: number,
  over: Partial<AnnouncerOptions> = {},
) {
  const peerId = Buffer.concat([Buffer.from("-SH0100-"), randomBytes(12)]);
  let lastPeers: PeerAddress[] = [];
  const a = new Announcer({
    infoHash,
    peerId,
    port,
    announceList: typeof url === "string" ? [[url]] : url,
    stats: () => ({ uploaded: 0, downloaded: 0, left }),
    minIntervalMs: 0,
    timeoutMs: 15_000,
    udpBaseTimeoutMs: 1_000,
    udpRetries: 1,
    ...over,
  });
  a.on("peers", (peers) => {
    lastPeers = peers;
  });
  announcers.push(a);
  return {
    a,
    /** Announces now and returns the peers of that reply. */
    async reannounce(): Promise<PeerAddress[]> {
      lastPeers = [];
      a.announceNow(true);
      await a.idle();
      return lastPeers;
    },
    get peers() {
      return lastPeers;
    },
  };
}

async function unusedUdpPort(): Promise<number> {
  const s = createSocket("udp4");
  await new Promise<void>((resolve) => s.bind(0, "127.0.0.1", resolve));
  const { port } = s.address();
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

const ports = (peers: PeerAddress[]) => peers.map((p) => `${p.ip}:${p.port}`).sort();

for (const transport of ["http", "udp"] as const) {
  describe(`Announcer against shoal's tracker over ${transport}`, () => {
    it("two announcers see each other; stopped removes a peer; scrape counts them", async () => {
      const url = transport === "http" ? httpUrl : udpUrl;
      const infoHash = randomBytes(20);
      const seed = makeAnnouncer(url, infoHash, 40001, 0);
      const leech = makeAnnouncer(url, infoHash, 40002, 5000);
      seed.a.start();
      await seed.a.idle();
      const s0 = seed.a.status()[0]!;
      assert.equal(s0.state, "working", s0.lastError);
      assert.equal(s0.interval, 60);
      assert.deepEqual(seed.peers, []);

      leech.a.start();
      await leech.a.idle();
      assert.deepEqual(ports(leech.peers), ["127.0.0.1:40001"]);
      const l0 = leech.a.status()[0]!;
      assert.equal(l0.seeders, 1);
      assert.equal(l0.leechers, 1);

      assert.deepEqual(ports(await seed.reannounce()), ["127.0.0.1:40002"]);

      const counts = await seed.a.scrape();
      assert.ok(counts);
      assert.ok(counts.infoHash.equals(infoHash));
      assert.equal(counts.complete, 1);
      assert.equal(counts.incomplete, 1);

      await leech.a.stop();
      assert.deepEqual(await seed.reannounce(), []);
      assert.equal(seed.a.status()[0]!.peersReceived, 0);
      assert.equal(seed.a.status()[0]!.leechers, 0);
      const after = await seed.a.scrape();
      assert.equal(after?.incomplete, 0);
      await seed.a.stop();
    });

    it("completed moves a leecher to the seeders and counts a download", async () => {
      const url = transport === "http" ? httpUrl : udpUrl;
      const infoHash = randomBytes(20);
      let left = 100;
      const peer = makeAnnouncer(url, infoHash, 40003, 0, {
        stats: () => ({ uploaded: 0, downloaded: 100 - left, left }),
      });
      peer.a.start();
      await peer.a.idle();
      assert.equal((await peer.a.scrape())?.incomplete, 1);
      left = 0;
      peer.a.completed();
      await peer.a.idle();
      const counts = await peer.a.scrape();
      assert.deepEqual([counts?.complete, counts?.incomplete, counts?.downloaded], [1, 0, 1]);
      await peer.a.stop();
    });
  });
}

describe("tier fallback against shoal's tracker", () => {
  it("skips a dead UDP tracker and an unsupported one, and uses the next tier", async () => {
    // A port nobody listens on: the connected UDP socket gets ECONNREFUSED at once.
    const deadUdp = `udp://127.0.0.1:${await unusedUdpPort()}`;
    const infoHash = randomBytes(20);
    const p = makeAnnouncer([[deadUdp, "wss://127.0.0.1:1/"], [httpUrl]], infoHash, 40004, 1);
    const errors: string[] = [];
    p.a.on("trackerError", (url) => errors.push(url));
    p.a.start();
    await p.a.idle();
    const byUrl = new Map(p.a.status().map((s) => [s.url, s]));
    assert.equal(byUrl.get(deadUdp)?.state, "failed");
    assert.equal(byUrl.get("wss://127.0.0.1:1/")?.state, "unsupported");
    assert.equal(byUrl.get(httpUrl)?.state, "working");
    assert.deepEqual(errors.sort(), [deadUdp, "wss://127.0.0.1:1/"].sort());
    await p.a.stop();
  });
});

describe("one-shot announces against shoal's tracker", () => {
  it("announceHttp and announceUdp return each other's peer", async () => {
    const infoHash = randomBytes(20);
    const base = { infoHash, uploaded: 0, downloaded: 0, numwant: 50 };
    const a = await announceHttp(httpUrl, {
      ...base,
      peerId: Buffer.from("-SH0100-oneshot00001"),
      port: 41001,
      left: 0,
      event: "started",
    });
    assert.deepEqual(a.peers, []);
    const b = await announceUdp(udpUrl, {
      ...base,
      peerId: Buffer.from("-SH0100-oneshot00002"),
      port: 41002,
      left: 10,
      event: "started",
    });
    assert.deepEqual(ports(b.peers), ["127.0.0.1:41001"]);
    assert.equal(b.complete, 1);
    // The tracker's own rules come back as tracker_failure: a bad port here.
    await assert.rejects(
      announceHttp(httpUrl, { ...base, peerId: randomBytes(20), port: 0, left: 1, event: "none" }),
      (err: unknown) => err instanceof TrackerClientError && err.code === "tracker_failure",
    );
  });
});
