/**
 * Interop (issue 14, "Prove it"): peer exchange with libtorrent on loopback,
 * over IPv4 (127.0.0.1) and IPv6 (::1). shoal learns a peer from
 * libtorrent's ut_pex, and libtorrent learns one from shoal's. Nobody has the data, so every connection stays up (seeds
 * would part once both are complete) and only PEX can bring the third peer.
 * SHOAL_SKIP_INTEROP=1 skips (instead of failing) when libtorrent is missing.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { writeFile } from "node:fs/promises";
import { createServer } from "node:net";
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
/** A case's bound (liveness: each wait inside ends when its condition holds). */
const CASE_MS = 180_000;
/** Both families: BEP 11's added/dropped (IPv4) and added6/dropped6 (IPv6). */
const HOSTS = ["127.0.0.1", "::1"] as const;

/** Whether this host has an IPv6 loopback to listen on. */
function hasIPv6Loopback(): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen({ port: 0, host: "::1" }, () => server.close(() => resolve(true)));
  });
}
const CLIENT_MS = 170_000;

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

  async function shoal(dir: string, host: string, port: number): Promise<Client> {
    const client = await Client.start({
      dataDir: join(dir, "shoal"),
      downloadDir: join(dir, "shoal-download"),
      host,
      port,
      torrentDefaults: { trackers: false },
    });
    clients.push(client);
    return client;
  }

  for (const host of HOSTS) {
    const family = host === "::1" ? "IPv6, added6" : "IPv4, added";
    /** How shoal shows an address of this family, and how libtorrent prints it. */
    const shown = (port: number) => (host === "::1" ? `[::1]:${port}` : `${host}:${port}`);
    const printed = (port: number) => new RegExp(`^PEER ${host.replace(/\./g, "\\.")}:${port} `);

    it(`shoal learns a peer from libtorrent's PEX (${family})`, { timeout: CASE_MS }, async (t) => {
      assertTools(TOOLS);
      if (host === "::1" && !(await hasIPv6Loopback())) return t.skip("no ::1 on this host");
      const dir = await temps.make("pex-from-lt");
      const { path, meta } = await publicTorrent(dir);
      const [portLt, portOther, portShoal] = await freePorts(3);
      // The peer shoal is to hear of: libtorrent dials it (so it passes on the
      // port it dialled; over ::1 libtorrent sends no BEP 10 `p` of its own).
      const other = startLibtorrentPex(
        children,
        "libtorrent (other)",
        {
          host,
          torrent: path,
          savePath: await temps.make("other"),
          port: portOther!,
          pex: false,
          connect: [],
        },
        CLIENT_MS,
      );
      await other.waitForLine(/^ADDED/, 60_000);
      const lt = startLibtorrentPex(
        children,
        "libtorrent (pex)",
        {
          host,
          torrent: path,
          savePath: await temps.make("lt"),
          port: portLt!,
          pex: true,
          connect: [portOther!],
        },
        CLIENT_MS,
      );
      await lt.waitForLine(printed(portOther!), 60_000);
      const client = await shoal(dir, host, portShoal!);
      const torrent = await client.add(meta);
      torrent.addPeers([{ ip: host, port: portLt! }], "manual");
      const heard = await waitFor(
        "shoal connected to the peer libtorrent told of",
        async () => torrent.peers().find((p) => p.address === shown(portOther!)),
        60_000,
      );
      assert.equal(heard.source, "pex", `source of ${heard.address}`);
      assert.equal(heard.outgoing, true, "shoal dialled it");
      const viaLt = torrent.peers().find((p) => p.address === shown(portLt!));
      assert.equal(viaLt?.source, "manual");
    });

    it(`libtorrent learns a peer from shoal's PEX (${family})`, { timeout: CASE_MS }, async (t) => {
      assertTools(TOOLS);
      if (host === "::1" && !(await hasIPv6Loopback())) return t.skip("no ::1 on this host");
      const dir = await temps.make("pex-to-lt");
      const { path, meta } = await publicTorrent(dir);
      const [portLt, portOther, portShoal] = await freePorts(3);
      // The peer libtorrent is to hear of: shoal dials it; it dials nobody.
      const other = startLibtorrentPex(
        children,
        "libtorrent (other)",
        {
          host,
          torrent: path,
          savePath: await temps.make("other"),
          port: portOther!,
          pex: false,
          connect: [],
        },
        CLIENT_MS,
      );
      await other.waitForLine(/^ADDED/, 60_000);
      const client = await shoal(dir, host, portShoal!);
      const torrent = await client.add(meta);
      torrent.addPeers([{ ip: host, port: portOther! }], "manual");
      await waitFor(
        "shoal connected to the other peer",
        async () => torrent.peers().find((p) => p.address === shown(portOther!)),
        60_000,
      );
      const lt = startLibtorrentPex(
        children,
        "libtorrent (pex)",
        {
          host,
          torrent: path,
          savePath: await temps.make("lt"),
          port: portLt!,
          pex: true,
          connect: [portShoal!],
        },
        CLIENT_MS,
      );
      const line = await lt.waitForLine(
        new RegExp(`${printed(portOther!).source}source=(\\d+)`),
        60_000,
      );
      const source = Number(line[1]);
      assert.ok(
        (source & LIBTORRENT_SOURCE_PEX) !== 0,
        `libtorrent heard of ${shown(portOther!)} from source bits ${source}, not PEX\n${lt.tail()}`,
      );
    });
  }
});
