/**
 * Interop (issue 15, "Prove it"): a small DHT of libtorrent and shoal nodes,
 * each in a network namespace of its own on a bridged LAN the test makes
 * (10.231.15.0/24) and deletes. No tracker runs and no peer is named:
 *  - shoal (`shoal get`) downloads a torrent whose only seeder is libtorrent;
 *  - libtorrent downloads one whose only seeder is shoal (`shoal seed`);
 * both byte-exact, the peers found through the DHT alone. The lab's first
 * node is a `shoal dht`; a second libtorrent session is a plain DHT node.
 *
 * Needs root (ip netns) and python3-libtorrent; skipped without root, and
 * without libtorrent when SHOAL_SKIP_INTEROP=1.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { createTorrent } from "../../src/metainfo/index.ts";
import { lanSkipReason } from "../e2e/lan-namespaces.ts";
import { BridgedLan } from "./dht-lan.ts";
import {
  assertTools,
  Children,
  checkLibtorrent,
  NODE,
  SHOAL_CLI,
  SYSTEM_PYTHON,
  skipReason,
  TempDirs,
  type ToolRequirement,
} from "./helpers.ts";
import { startLibtorrentDht } from "./libtorrent-dht.ts";

const TOOLS: ToolRequirement[] = [
  { bin: SYSTEM_PYTHON, pkg: "python3-libtorrent", check: checkLibtorrent },
];
const SUBNET = "10.231.15";
const CASE_MS = 150_000;

describe("interop: the DHT with libtorrent on a LAN of namespaces", {
  skip: lanSkipReason() || skipReason(TOOLS),
}, () => {
  const children = new Children();
  const temps = new TempDirs();
  let lan: BridgedLan | undefined;
  after(async () => {
    await children.stopAll();
    lan?.destroy();
    await temps.removeAll();
  });

  it("shoal and libtorrent each download the other's torrent, found through the DHT alone", {
    timeout: CASE_MS,
  }, async () => {
    assertTools(TOOLS);
    lan = BridgedLan.create("dht", SUBNET, 5);
    const [ltHost, routerHost, seedHost, getHost, ltNodeHost] = lan.hosts as [
      (typeof lan.hosts)[0],
      (typeof lan.hosts)[0],
      (typeof lan.hosts)[0],
      (typeof lan.hosts)[0],
      (typeof lan.hosts)[0],
    ];
    const work = await temps.make("shoal-dht-interop-");
    const bootstrap = `${routerHost.address}:6881`;

    // Two trackerless torrents: libtorrent seeds the first, shoal the second.
    const made: { name: string; file: string; dir: string; data: Buffer }[] = [];
    for (const name of ["from-libtorrent.bin", "from-shoal.bin"]) {
      const dir = join(work, `content-${name}`);
      await mkdir(dir);
      const data = randomBytes(700 * 1024 + 123);
      await writeFile(join(dir, name), data);
      const { torrent } = await createTorrent(join(dir, name), { pieceLength: 32 * 1024 });
      const file = join(work, `${name}.torrent`);
      await writeFile(file, torrent);
      made.push({ name, file, dir, data });
    }
    const [t1, t2] = made as [(typeof made)[0], (typeof made)[0]];

    const router = lan.exec(
      children,
      routerHost,
      NODE,
      [SHOAL_CLI, "dht", "--host", routerHost.address, "--port", "6881", "--interval", "2"],
      {
        name: "shoal dht",
        timeoutMs: CASE_MS,
      },
    );
    await router.waitForLine(/dht node [0-9a-f]{40} listening/, 60_000);

    const ltOut = join(work, "lt-out");
    await mkdir(ltOut);
    const lt = startLibtorrentDht(lan, children, ltHost, {
      host: ltHost.address,
      port: 6881,
      bootstrap,
      torrents: [
        { name: "t1", file: t1.file, save_path: t1.dir },
        { name: "t2", file: t2.file, save_path: ltOut },
      ],
      seconds: 140,
    });
    startLibtorrentDht(lan, children, ltNodeHost, {
      host: ltNodeHost.address,
      port: 6881,
      bootstrap,
      torrents: [],
      seconds: 140,
    });
    await lt.waitForLine(/^ADDED/, 60_000);

    const shoalArgs = (host: string) => [
      "--host",
      host,
      "--port",
      "6881",
      "--dht-bootstrap",
      bootstrap,
      "-q",
    ];
    lan.exec(
      children,
      seedHost,
      NODE,
      [
        SHOAL_CLI,
        "seed",
        t2.file,
        t2.dir,
        "--data-dir",
        join(work, "seed-data"),
        ...shoalArgs(seedHost.address),
      ],
      {
        name: "shoal seed",
        timeoutMs: CASE_MS,
      },
    );
    const get = lan.exec(
      children,
      getHost,
      NODE,
      [
        SHOAL_CLI,
        "get",
        t1.file,
        "-o",
        join(work, "shoal-out"),
        "--data-dir",
        join(work, "get-data"),
        ...shoalArgs(getHost.address),
      ],
      { name: "shoal get", timeoutMs: CASE_MS },
    );

    let timer: NodeJS.Timeout | undefined;
    const got = await Promise.race([
      get.exited,
      new Promise<undefined>((r) => {
        timer = setTimeout(() => r(undefined), 120_000);
      }),
    ]);
    clearTimeout(timer);
    assert.equal(
      got?.code,
      0,
      `shoal get did not finish:\n${get.tail()}\n--- libtorrent ---\n${lt.tail()}`,
    );
    assert.deepEqual(
      readFileSync(join(work, "shoal-out", t1.name)),
      t1.data,
      "shoal's copy is byte-exact",
    );

    await lt.waitForLine(/^FINISHED t2/, 90_000).catch((err: Error) => {
      throw new Error(
        `${err.message}\n--- libtorrent ---\n${lt.tail(30)}\n--- router ---\n${router.tail(5)}`,
      );
    });
    assert.deepEqual(
      readFileSync(join(ltOut, t2.name)),
      t2.data,
      "libtorrent's copy is byte-exact",
    );
  });
});
