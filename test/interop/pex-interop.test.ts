/**
 * Interop (issue 14, "Prove it"): peer exchange with libtorrent on loopback.
 * shoal learns a peer from libtorrent's ut_pex, and libtorrent learns one
 * from shoal's. Nobody has the data, so every connection stays up (seeds
 * would part once both are complete) and only PEX can bring the third peer.
 * SHOAL_SKIP_INTEROP=1 skips (instead of failing) when libtorrent is missing.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { createTorrent, type Metainfo } from "../../src/metainfo/index.ts";
import { Client } from "../../src/session/index.ts";
import {
  assertTools,
  Children,
  checkLibtorrent,
  freePorts,
  SYSTEM_PYTHON,
  skipReason,
  TempDirs,
  type ToolRequirement,
  waitFor,
} from "./helpers.ts";
import { LIBTORRENT_SOURCE_PEX, startLibtorrentPex } from "./libtorrent-pex.ts";

const TOOLS: ToolRequirement[] = [
  { bin: SYSTEM_PYTHON, pkg: "python3-libtorrent", check: checkLibtorrent },
];
const CASE_MS = 40_000;
const CLIENT_MS = 35_000;

describe("interop: peer exchange with libtorrent", { skip: skipReason(TOOLS) }, () => {
  const children = new Children();
  const temps = new TempDirs();
  const clients: Client[] = [];

  after(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await children.stopAll();
    await temps.removeAll();
  });

  /** A public torrent (PEX is never for a private one) whose data nobody has. */
  async function publicTorrent(dir: string): Promise<{ path: string; meta: Metainfo }> {
    const dataFile = join(dir, "pex-data.bin");
    await writeFile(dataFile, randomBytes(512 * 1024));
    const { torrent, metainfo } = await createTorrent(dataFile, { pieceLength: 64 * 1024 });
    const path = join(dir, "pex.torrent");
    await writeFile(path, torrent);
    return { path, meta: metainfo };
  }

  async function shoal(dir: string, port: number): Promise<Client> {
    const client = await Client.start({
      dataDir: join(dir, "shoal"),
      downloadDir: join(dir, "shoal-download"),
      host: "127.0.0.1",
      port,
      torrentDefaults: { trackers: false },
    });
    clients.push(client);
    return client;
  }

  it("shoal learns a peer from libtorrent's PEX", { timeout: CASE_MS }, async () => {
    assertTools(TOOLS);
    const dir = await temps.make("pex-from-lt");
    const { path, meta } = await publicTorrent(dir);
    const [portLt, portOther, portShoal] = await freePorts(3);
    const lt = startLibtorrentPex(
      children,
      "libtorrent (pex)",
      { torrent: path, savePath: await temps.make("lt"), port: portLt!, pex: true, connect: [] },
      CLIENT_MS,
    );
    await lt.waitForLine(/^ADDED/, 15_000);
    // The peer shoal is to hear of: it knows libtorrent only, and speaks no PEX itself.
    const other = startLibtorrentPex(
      children,
      "libtorrent (other)",
      {
        torrent: path,
        savePath: await temps.make("other"),
        port: portOther!,
        pex: false,
        connect: [portLt!],
      },
      CLIENT_MS,
    );
    await other.waitForLine(new RegExp(`^PEER 127\\.0\\.0\\.1:${portLt} `), 15_000);
    const client = await shoal(dir, portShoal!);
    const t = await client.add(meta);
    t.addPeers([{ ip: "127.0.0.1", port: portLt! }], "manual");
    const heard = await waitFor(
      "shoal connected to the peer libtorrent told of",
      async () => t.peers().find((p) => p.address === `127.0.0.1:${portOther}`),
      20_000,
    );
    assert.equal(heard.source, "pex", `source of ${heard.address}`);
    assert.equal(heard.outgoing, true, "shoal dialled it");
    const viaLt = t.peers().find((p) => p.address === `127.0.0.1:${portLt}`);
    assert.equal(viaLt?.source, "manual");
  });

  it("libtorrent learns a peer from shoal's PEX", { timeout: CASE_MS }, async () => {
    assertTools(TOOLS);
    const dir = await temps.make("pex-to-lt");
    const { path, meta } = await publicTorrent(dir);
    const [portLt, portOther, portShoal] = await freePorts(3);
    // The peer libtorrent is to hear of: shoal dials it; it dials nobody.
    const other = startLibtorrentPex(
      children,
      "libtorrent (other)",
      {
        torrent: path,
        savePath: await temps.make("other"),
        port: portOther!,
        pex: false,
        connect: [],
      },
      CLIENT_MS,
    );
    await other.waitForLine(/^ADDED/, 15_000);
    const client = await shoal(dir, portShoal!);
    const t = await client.add(meta);
    t.addPeers([{ ip: "127.0.0.1", port: portOther! }], "manual");
    await waitFor(
      "shoal connected to the other peer",
      async () => t.peers().find((p) => p.address === `127.0.0.1:${portOther}`),
      15_000,
    );
    const lt = startLibtorrentPex(
      children,
      "libtorrent (pex)",
      {
        torrent: path,
        savePath: await temps.make("lt"),
        port: portLt!,
        pex: true,
        connect: [portShoal!],
      },
      CLIENT_MS,
    );
    const line = await lt.waitForLine(
      new RegExp(`^PEER 127\\.0\\.0\\.1:${portOther} source=(\\d+)`),
      20_000,
    );
    const source = Number(line[1]);
    assert.ok(
      (source & LIBTORRENT_SOURCE_PEX) !== 0,
      `libtorrent heard of 127.0.0.1:${portOther} from source bits ${source}, not PEX\n${lt.tail()}`,
    );
  });
});
