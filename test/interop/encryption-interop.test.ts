/**
 * Interop (issue 18, MSE/PE): shoal and libtorrent with encryption forced on
 * libtorrent's side, both directions; shoal and Transmission with
 * "encryption required"; aria2 with --bt-require-crypto downloads from
 * shoal; and a shoal that requires encryption refuses a plaintext peer.
 * Every file is compared byte for byte, on loopback, peers found through
 * shoal's tracker (Transmission refuses to dial 127.0.0.0/8: shoal dials it).
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdir, readFile } from "node:fs/promises";
import { connect } from "node:net";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { EncryptionPolicy } from "../../src/peer/index.ts";
import { Client } from "../../src/session/index.ts";
import type { Torrent } from "../../src/torrent/index.ts";
import { encodeHandshake } from "../../src/wire/index.ts";
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
} from "./helpers.ts";
import {
  completeWithin,
  makeSwarmCase,
  type SwarmCase,
  sameFileWithin,
  startCaseClient,
  startShoalTracker,
} from "./swarm-case.ts";

const CASE_MS = 180_000;
const CLIENT_MS = 170_000;
const SIZE = 2 * 1024 * 1024 + 777;
/** libtorrent's settings_pack: pe_forced in both directions, RC4 only. */
const LIBTORRENT_FORCED = { out_enc_policy: 0, in_enc_policy: 0, allowed_enc_level: 2 };

type Case = SwarmCase;

describe("interop: encrypted connections (MSE) with libtorrent, Transmission and aria2", {
  skip: skipReason(REAL_PEER_TOOLS),
}, () => {
  const children = new Children();
  const temps = new TempDirs();
  const clients: Client[] = [];
  let announce = "";

  before(async () => {
    assertTools(REAL_PEER_TOOLS);
    announce = await startShoalTracker(children, temps);
  });

  after(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await children.stopAll();
    await temps.removeAll();
  });

  const makeCase = (name: string) => makeSwarmCase(temps, name, announce, SIZE);

  async function shoalClient(
    c: Case,
    role: string,
    downloadDir: string,
    encryption: EncryptionPolicy,
  ): Promise<Client> {
    const client = await startCaseClient(c, role, downloadDir, { encryption });
    clients.push(client);
    return client;
  }

  const complete = (t: Torrent, other: Child) => completeWithin(t, CLIENT_MS, other);
  const sameFile = (path: string, expected: Buffer, who: Child) =>
    sameFileWithin(path, expected, CLIENT_MS, who);

  it("shoal (required) downloads from a libtorrent seeder that forces RC4", {
    timeout: CASE_MS,
  }, async () => {
    const c = await makeCase("from-libtorrent");
    const seeder = startLibtorrent(
      children,
      {
        torrent: c.torrentPath,
        savePath: join(c.dir, "seed"),
        port: await freePort(),
        mode: "seed",
        settings: LIBTORRENT_FORCED,
      },
      CLIENT_MS,
    );
    const client = await shoalClient(c, "leech", join(c.dir, "shoal"), "required");
    const t = await client.add(c.meta);
    let sawEncrypted = false;
    t.on("peer-connected", (p) => {
      sawEncrypted ||= p.encrypted;
    });
    await complete(t, seeder);
    assert.ok(sawEncrypted, "the connection to libtorrent was encrypted");
    assert.ok((await readFile(join(c.dir, "shoal", c.meta.name))).equals(c.data));
  });

  it("a libtorrent leecher that forces RC4 downloads from shoal (required)", {
    timeout: CASE_MS,
  }, async () => {
    const c = await makeCase("to-libtorrent");
    const client = await shoalClient(c, "seed", join(c.dir, "seed"), "required");
    assert.equal((await client.add(c.meta)).complete, true);
    const dir = join(c.dir, "libtorrent");
    await mkdir(dir, { recursive: true });
    const leecher = startLibtorrent(
      children,
      {
        torrent: c.torrentPath,
        savePath: dir,
        port: await freePort(),
        mode: "leech",
        settings: LIBTORRENT_FORCED,
      },
      CLIENT_MS,
    );
    await leecher.waitForLine(/^DONE$/, CLIENT_MS);
    assert.ok((await readFile(join(dir, c.meta.name))).equals(c.data));
  });

  it("shoal (prefer) downloads from a Transmission seeder that requires encryption", {
    timeout: CASE_MS,
  }, async () => {
    const c = await makeCase("from-transmission");
    const seeder = await startTransmission(
      children,
      {
        torrent: c.torrentPath,
        dir: join(c.dir, "seed"),
        configDir: await temps.make("tr-config"),
        port: await freePort(),
        settings: { encryption: 2 },
      },
      CLIENT_MS,
    );
    const client = await shoalClient(c, "leech", join(c.dir, "shoal"), "prefer");
    const t = await client.add(c.meta);
    await complete(t, seeder);
    assert.ok((await readFile(join(c.dir, "shoal", c.meta.name))).equals(c.data));
  });

  it("aria2 with --bt-require-crypto downloads from shoal (enabled)", {
    timeout: CASE_MS,
  }, async () => {
    const c = await makeCase("to-aria2");
    const client = await shoalClient(c, "seed", join(c.dir, "seed"), "enabled");
    assert.equal((await client.add(c.meta)).complete, true);
    const dir = join(c.dir, "aria2");
    await mkdir(dir, { recursive: true });
    const leecher = startAria2(
      children,
      {
        torrent: c.torrentPath,
        dir,
        port: await freePort(),
        udpTracker: false,
        extraArgs: ["--bt-require-crypto=true", "--bt-min-crypto-level=arc4"],
      },
      CLIENT_MS,
    );
    await sameFile(join(dir, c.meta.name), c.data, leecher);
  });

  it("shoal (required) refuses a plaintext peer: no handshake back, the connection closed", async () => {
    const c = await makeCase("refuse-plain");
    const port = await freePort();
    const client = await Client.start({
      dataDir: join(c.dir, "shoal-seed"),
      downloadDir: join(c.dir, "seed"),
      host: "127.0.0.1",
      port,
      encryption: "required",
      torrentDefaults: { trackers: false },
    });
    clients.push(client);
    await client.add(c.meta);
    const reply = await new Promise<Buffer>((resolve, reject) => {
      const got: Buffer[] = [];
      const socket = connect(port, "127.0.0.1", () =>
        socket.write(encodeHandshake(c.meta.infoHash, randomBytes(20), {})),
      );
      socket.on("data", (d) => got.push(d));
      socket.on("close", () => resolve(Buffer.concat(got)));
      socket.on("error", reject);
      socket.setTimeout(10_000, () =>
        reject(new Error("shoal kept the plaintext connection open")),
      );
    });
    assert.equal(reply.length, 0, "no handshake in reply");
  });
});
