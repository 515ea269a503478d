/**
 * Interop (issue 19): real clients on two shoal tracker instances sharing one
 * Redis. libtorrent seeds a private torrent (BEP 27: the tracker is the only
 * way to find a peer) announcing over UDP to instance A; aria2 leeches the
 * same torrent announcing over HTTP to instance B. The two .torrent files
 * differ only in their announce URL, so the info hash is one; aria2 can only
 * learn of libtorrent from B's peer list, which is A's swarm in Redis. The
 * transfer finishing byte for byte proves it.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { basename, join } from "node:path";
import { after, before, describe, it } from "node:test";
import { decodeDocument, isDict } from "../../src/bencode/index.ts";
import { sha1 } from "../../src/util/index.ts";
import { RedisServer } from "../e2e/redis-helpers.ts";
import {
  assertTools,
  type Child,
  Children,
  checkLibtorrent,
  freePort,
  freePorts,
  httpGet,
  makeTorrent,
  NODE,
  percentEncodeBytes,
  SHOAL_CLI,
  SYSTEM_PYTHON,
  skipReason,
  startAria2,
  startLibtorrent,
  TempDirs,
  type ToolRequirement,
  waitFor,
} from "./helpers.ts";

const TOOLS: ToolRequirement[] = [
  { bin: "aria2c", pkg: "aria2" },
  { bin: SYSTEM_PYTHON, pkg: "python3-libtorrent", check: checkLibtorrent },
  { bin: "mktorrent", pkg: "mktorrent" },
  { bin: "redis-server", pkg: "redis-server" },
];
const CASE_TIMEOUT_MS = 180_000;
const CLIENT_TIMEOUT_MS = 170_000;

function infoHashOf(torrentBytes: Buffer): Buffer {
  const doc = decodeDocument(torrentBytes);
  const info = isDict(doc.value) ? doc.value.get("info") : undefined;
  const raw = isDict(info) ? doc.raw(info) : undefined;
  if (!raw) throw new Error("torrent has no info dictionary");
  return sha1(raw);
}

describe("real clients on two shoal tracker instances sharing one Redis", {
  skip: skipReason(TOOLS),
}, () => {
  const children = new Children();
  const temps = new TempDirs();
  let redis: RedisServer | undefined;
  const ports: number[] = [];

  before(async () => {
    assertTools(TOOLS);
    redis = await RedisServer.start(await temps.make("interop-redis"));
    for (let i = 0; i < 2; i++) {
      const port = await freePort();
      const child = children.start(
        NODE,
        [
          SHOAL_CLI,
          "tracker",
          "--port",
          String(port),
          "--host",
          "127.0.0.1",
          "--store",
          redis.url,
          "--shared-secret",
          "interop-shared-secret-0123",
        ],
        { name: `shoal tracker ${i}`, timeoutMs: 5 * CASE_TIMEOUT_MS },
      );
      await child.waitForLine(/listening/i, 60_000);
      ports.push(port);
    }
  });

  after(async () => {
    await children.stopAll();
    await redis?.stop();
    await temps.removeAll();
  });

  async function seeders(port: number, infoHash: Buffer): Promise<number> {
    const url = `http://127.0.0.1:${port}/scrape?info_hash=${percentEncodeBytes(infoHash)}`;
    const { body } = await httpGet(url);
    return Number(/8:completei(\d+)e/.exec(body.toString("latin1"))?.[1] ?? 0);
  }

  it("libtorrent seeds through instance A (UDP), aria2 downloads through instance B (HTTP)", {
    timeout: CASE_TIMEOUT_MS,
  }, async () => {
    const [a, b] = ports as [number, number];
    const root = await temps.make("interop-redis-data");
    const seedDir = join(root, "seed");
    await mkdir(seedDir);
    const dataFile = join(seedDir, "shared.bin");
    await writeFile(dataFile, randomBytes(2 << 20));
    const viaA = await makeTorrent(dataFile, `udp://127.0.0.1:${a}`, join(root, "a.torrent"));
    const viaB = await makeTorrent(
      dataFile,
      `http://127.0.0.1:${b}/announce`,
      join(root, "b.torrent"),
    );
    const infoHash = infoHashOf(await readFile(viaA));
    assert.deepEqual(infoHashOf(await readFile(viaB)), infoHash, "one info hash, two trackers");
    const [seedPort, leechPort, dhtPort] = await freePorts(3);
    const seed: Child = startLibtorrent(
      children,
      { torrent: viaA, savePath: seedDir, port: seedPort!, mode: "seed" },
      CLIENT_TIMEOUT_MS,
    );
    try {
      // Registered through A, seen through B: the swarm is in Redis.
      await waitFor(
        "libtorrent to register as a seeder through A, seen by B",
        async () => ((await seeders(b, infoHash)) > 0 ? true : undefined),
        30_000,
        250,
      ).catch((err: Error) => {
        throw new Error(`${err.message}\nlibtorrent output:\n${seed.tail()}`);
      });
      const leechDir = await temps.make("interop-redis-leech");
      const leech = startAria2(
        children,
        { torrent: viaB, dir: leechDir, port: leechPort!, udpTracker: false, dhtPort },
        CLIENT_TIMEOUT_MS,
      );
      const { code } = await leech.exited;
      assert.equal(code, 0, `aria2 did not finish (exit ${code}):\n${leech.tail()}`);
      const got = await readFile(join(leechDir, basename(dataFile)));
      assert.ok(got.equals(await readFile(dataFile)), "aria2's file is the seeded one");
    } finally {
      await seed.stop();
    }
  });
});
