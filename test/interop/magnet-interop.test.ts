/**
 * Magnet links with real clients (issue 14), on loopback: `shoal get
 * 'magnet:?…'` fetches the metadata (BEP 9) from a libtorrent seeder and
 * from a Transmission seeder, then the data, byte for byte; libtorrent and
 * aria2 download a magnet link from a shoal seeder, the metadata served by
 * shoal. Peers come from the link's `x.pe` or from shoal's tracker.
 *
 * Transmission refuses to dial 127.0.0.0/8, so where it seeds, shoal dials it
 * (its address in `x.pe`). The torrents are public: a private torrent's
 * metadata is served by nobody (BEP 27). SHOAL_SKIP_INTEROP=1 skips (instead
 * of failing) when a tool is missing.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import {
  createTorrent,
  formatMagnet,
  type Metainfo,
  magnetFromMetainfo,
} from "../../src/metainfo/index.ts";
import { Client } from "../../src/session/index.ts";
import {
  assertTools,
  type Child,
  Children,
  freePort,
  NODE,
  REAL_PEER_TOOLS,
  SHOAL_CLI,
  skipReason,
  startAria2,
  startLibtorrent,
  startTransmission,
  TempDirs,
  type ToolRequirement,
} from "./helpers.ts";
import { startLibtorrentMagnet } from "./libtorrent-magnet.ts";
import { startShoalTracker } from "./swarm-case.ts";

const TOOLS: ToolRequirement[] = REAL_PEER_TOOLS;
const CASE_MS = 180_000;
const CLIENT_MS = 170_000;
// 897 pieces of 16 KiB: the info dictionary (17.9 KB of hashes) spans two metadata pieces.
const SIZE = 14 * 1024 * 1024 + 777;

interface Case {
  dir: string;
  data: Buffer;
  torrentPath: string;
  meta: Metainfo;
}

describe("interop: magnet links with libtorrent, Transmission and aria2", {
  skip: skipReason(TOOLS),
}, () => {
  const children = new Children();
  const temps = new TempDirs();
  const clients: Client[] = [];
  let announce = "";

  before(async () => {
    assertTools(TOOLS);
    announce = await startShoalTracker(children, temps);
  });

  after(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await children.stopAll();
    await temps.removeAll();
  });

  /** A public torrent (made by shoal) over random data, announcing to shoal's tracker. */
  async function makeCase(name: string): Promise<Case> {
    const dir = await temps.make(name);
    const seedDir = join(dir, "seed");
    await mkdir(seedDir, { recursive: true });
    const data = randomBytes(SIZE);
    await writeFile(join(seedDir, `${name}.bin`), data);
    const { torrent, metainfo } = await createTorrent(join(seedDir, `${name}.bin`), {
      trackers: [[announce]],
      pieceLength: 16 * 1024,
    });
    assert.ok(metainfo.infoBytes.length > 16 * 1024, "a multi-piece info dictionary");
    const torrentPath = join(dir, `${name}.torrent`);
    await writeFile(torrentPath, torrent);
    return { dir, data, torrentPath, meta: metainfo };
  }

  /**
   * The torrent's magnet link with these trackers and `x.pe` peers. The
   * peers are written as `ip:port`, unescaped: libtorrent 2.0 reads x.pe
   * without percent-decoding it (`127.0.0.1%3A6881` is no peer to it).
   */
  function magnet(c: Case, extra: { trackers?: string[]; peers?: [string, number][] }): string {
    const link = formatMagnet({ ...magnetFromMetainfo(c.meta), trackers: extra.trackers ?? [] });
    return link + (extra.peers ?? []).map(([host, port]) => `&x.pe=${host}:${port}`).join("");
  }

  /** `shoal get <magnet>` as a user runs it; resolves once it exited 0. */
  async function shoalGet(
    c: Case,
    link: string,
    other: Child,
    timeoutMs = CLIENT_MS,
  ): Promise<string> {
    const out = join(c.dir, "shoal");
    const get = children.start(
      NODE,
      [
        SHOAL_CLI,
        "get",
        link,
        "-o",
        out,
        "--data-dir",
        join(c.dir, "shoal-data"),
        "--host",
        "127.0.0.1",
        "--port",
        "0",
        "--no-trackers",
      ],
      { name: "shoal get", timeoutMs },
    );
    const exit = await get.exited;
    assert.equal(
      exit.code,
      0,
      `shoal get failed:\n${get.tail(30)}\n${other.name}:\n${other.tail()}`,
    );
    assert.ok(
      get.lines.some((l) => /fetching metadata \(magnet link\)/.test(l)),
      get.tail(),
    );
    return join(out, c.meta.name);
  }

  async function shoalSeeder(c: Case): Promise<Client> {
    const client = await Client.start({
      dataDir: join(c.dir, "shoal-seed"),
      downloadDir: join(c.dir, "seed"),
      host: "127.0.0.1",
      torrentDefaults: { announcer: { minIntervalMs: 1000 } },
    });
    clients.push(client);
    assert.equal((await client.add(c.meta)).complete, true);
    return client;
  }

  // ---- shoal fetches the metadata -------------------------------------------------

  it("shoal gets a magnet link from a libtorrent seeder (x.pe)", { timeout: CASE_MS }, async () => {
    const c = await makeCase("from-libtorrent");
    const port = await freePort();
    const seeder = startLibtorrent(
      children,
      { torrent: c.torrentPath, savePath: join(c.dir, "seed"), port, mode: "seed" },
      CLIENT_MS,
    );
    await seeder.waitForLine(/STATE seeding/, CLIENT_MS);
    const path = await shoalGet(c, magnet(c, { peers: [["127.0.0.1", port]] }), seeder);
    assert.ok((await readFile(path)).equals(c.data));
  });

  // Transmission 3.00 starts slowly on loopback (~30 s for these 14 MiB here): more time.
  it("shoal gets a magnet link from a Transmission seeder (x.pe: shoal dials it)", {
    timeout: 2 * CASE_MS,
  }, async () => {
    const c = await makeCase("from-transmission");
    const port = await freePort();
    const seeder = await startTransmission(
      children,
      {
        torrent: c.torrentPath,
        dir: join(c.dir, "seed"),
        configDir: await temps.make("tr-config"),
        port,
      },
      3 * CLIENT_MS,
    );
    await seeder.waitForLine(/Seeding/, CLIENT_MS);
    const path = await shoalGet(
      c,
      magnet(c, { peers: [["127.0.0.1", port]] }),
      seeder,
      2 * CLIENT_MS,
    );
    assert.ok((await readFile(path)).equals(c.data));
  });

  // ---- shoal serves the metadata --------------------------------------------------

  it("libtorrent downloads a magnet link from a shoal seeder", { timeout: CASE_MS }, async () => {
    const c = await makeCase("to-libtorrent");
    const seed = await shoalSeeder(c);
    const dir = join(c.dir, "libtorrent");
    await mkdir(dir, { recursive: true });
    const leecher = startLibtorrentMagnet(
      children,
      {
        magnet: magnet(c, { peers: [["127.0.0.1", seed.port]] }),
        savePath: dir,
        port: await freePort(),
      },
      CLIENT_MS,
    );
    await leecher.waitForLine(/^METADATA /, CLIENT_MS);
    await leecher.waitForLine(/^DONE /, CLIENT_MS);
    assert.ok((await readFile(join(dir, c.meta.name))).equals(c.data));
  });

  // aria2 announces left=0 while it fetches the metadata, so a tracker takes it
  // for a seed and gives it no seeders (and it reads no x.pe): the shoal
  // seeder dials it, as a user's `--peer` would.
  it("aria2 downloads a magnet link from a shoal seeder (the seeder dials it)", {
    timeout: CASE_MS,
  }, async () => {
    const c = await makeCase("to-aria2");
    const seed = await shoalSeeder(c);
    const dir = join(c.dir, "aria2");
    await mkdir(dir, { recursive: true });
    const port = await freePort();
    const leecher = startAria2(
      children,
      { torrent: magnet(c, {}), dir, port, udpTracker: false },
      CLIENT_MS,
    );
    await leecher.waitForLine(/listening on TCP port/, CLIENT_MS);
    seed.get(c.meta.infoHashHex)!.addPeers([{ ip: "127.0.0.1", port }]);
    const exit = await leecher.exited;
    assert.equal(exit.code, 0, `aria2c failed:\n${leecher.tail(30)}`);
    assert.ok((await readFile(join(dir, c.meta.name))).equals(c.data));
  });
});
