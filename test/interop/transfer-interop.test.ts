/**
 * Interop (issue 4, "Prove it"): shoal downloads from Transmission, aria2 and
 * libtorrent seeders, and they download from a shoal seeder, through shoal's
 * tracker on loopback; every file is compared byte for byte.
 *
 * Transmission refuses to dial 127.0.0.0/8, so where it is the leecher, the
 * shoal seeder dials it (seeders connect to the leechers the tracker lists).
 * SHOAL_SKIP_INTEROP=1 skips (instead of failing) when a tool is missing.
 */
import assert from "node:assert/strict";
import { mkdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { Client } from "../../src/session/index.ts";
import {
  assertTools,
  type Child,
  Children,
  freePort,
  REAL_PEER_TOOLS,
  skipReason,
  startAria2,
  startLibtorrent,
  startTransmission,
  TempDirs,
  type ToolRequirement,
} from "./helpers.ts";
import {
  completeWithin,
  makeSwarmCase,
  type SwarmCase,
  sameFileWithin,
  startCaseClient,
  startShoalTracker,
} from "./swarm-case.ts";

const TOOLS: ToolRequirement[] = REAL_PEER_TOOLS;
const CASE_MS = 180_000;
const CLIENT_MS = 170_000;
const SIZE = 3 * 1024 * 1024 + 4321;

type Case = SwarmCase;

describe("interop: transfers with Transmission, aria2 and libtorrent", {
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

  const makeCase = (name: string) => makeSwarmCase(temps, name, announce, SIZE);

  async function shoalClient(c: Case, role: string, downloadDir: string): Promise<Client> {
    const client = await startCaseClient(c, role, downloadDir);
    clients.push(client);
    return client;
  }

  const sameFile = (path: string, expected: Buffer, who: Child) =>
    sameFileWithin(path, expected, CLIENT_MS, who);

  // ---- shoal leeches ------------------------------------------------------------

  it("shoal downloads from a Transmission seeder", { timeout: CASE_MS }, async () => {
    const c = await makeCase("from-transmission");
    const seeder = await startTransmission(
      children,
      {
        torrent: c.torrentPath,
        dir: join(c.dir, "seed"),
        configDir: await temps.make("tr-config"),
        port: await freePort(),
      },
      CLIENT_MS,
    );
    const client = await shoalClient(c, "leech", join(c.dir, "shoal"));
    const t = await client.add(c.meta);
    await completeWithin(t, CLIENT_MS, seeder);
    assert.ok((await readFile(join(c.dir, "shoal", c.meta.name))).equals(c.data));
  });

  it("shoal downloads from an aria2 seeder", { timeout: CASE_MS }, async () => {
    const c = await makeCase("from-aria2");
    const seeder = startAria2(
      children,
      {
        torrent: c.torrentPath,
        dir: join(c.dir, "seed"),
        port: await freePort(),
        udpTracker: false,
        seedMinutes: 5,
      },
      CLIENT_MS,
    );
    const client = await shoalClient(c, "leech", join(c.dir, "shoal"));
    const t = await client.add(c.meta);
    await completeWithin(t, CLIENT_MS, seeder);
    assert.ok((await readFile(join(c.dir, "shoal", c.meta.name))).equals(c.data));
  });

  it("shoal downloads from a libtorrent seeder", { timeout: CASE_MS }, async () => {
    const c = await makeCase("from-libtorrent");
    const seeder = startLibtorrent(
      children,
      {
        torrent: c.torrentPath,
        savePath: join(c.dir, "seed"),
        port: await freePort(),
        mode: "seed",
      },
      CLIENT_MS,
    );
    const client = await shoalClient(c, "leech", join(c.dir, "shoal"));
    const t = await client.add(c.meta);
    await completeWithin(t, CLIENT_MS, seeder);
    assert.ok((await readFile(join(c.dir, "shoal", c.meta.name))).equals(c.data));
  });

  // ---- shoal seeds --------------------------------------------------------------

  it("Transmission downloads from a shoal seeder", { timeout: CASE_MS }, async () => {
    const c = await makeCase("to-transmission");
    const client = await shoalClient(c, "seed", join(c.dir, "seed"));
    assert.equal((await client.add(c.meta)).complete, true);
    const dir = join(c.dir, "transmission");
    await mkdir(dir, { recursive: true });
    const leecher = await startTransmission(
      children,
      {
        torrent: c.torrentPath,
        dir,
        configDir: await temps.make("tr-config"),
        port: await freePort(),
      },
      CLIENT_MS,
    );
    await sameFile(join(dir, c.meta.name), c.data, leecher);
  });

  it("aria2 downloads from a shoal seeder", { timeout: CASE_MS }, async () => {
    const c = await makeCase("to-aria2");
    const client = await shoalClient(c, "seed", join(c.dir, "seed"));
    assert.equal((await client.add(c.meta)).complete, true);
    const dir = join(c.dir, "aria2");
    await mkdir(dir, { recursive: true });
    const leecher = startAria2(
      children,
      { torrent: c.torrentPath, dir, port: await freePort(), udpTracker: false },
      CLIENT_MS,
    );
    const exit = await leecher.exited;
    assert.equal(exit.code, 0, `aria2c failed:\n${leecher.tail()}`);
    assert.ok((await readFile(join(dir, c.meta.name))).equals(c.data));
  });

  it("libtorrent downloads from a shoal seeder", { timeout: CASE_MS }, async () => {
    const c = await makeCase("to-libtorrent");
    const client = await shoalClient(c, "seed", join(c.dir, "seed"));
    assert.equal((await client.add(c.meta)).complete, true);
    const dir = join(c.dir, "libtorrent");
    await mkdir(dir, { recursive: true });
    const leecher = startLibtorrent(
      children,
      { torrent: c.torrentPath, savePath: dir, port: await freePort(), mode: "leech" },
      CLIENT_MS,
    );
    await leecher.waitForLine(/^DONE$/, CLIENT_MS);
    assert.ok((await readFile(join(dir, c.meta.name))).equals(c.data));
  });
});
