import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { encode } from "../bencode/index.ts";
import { LSD_IPV4_GROUP, LSD_PORT } from "../discovery/index.ts";
import { type Metainfo, parseMetainfo } from "../metainfo/index.ts";
import { loadMemoryNetwork, type UdpNetwork } from "../net/index.ts";
import { MemoryStorage } from "../storage/index.ts";
import { realClock, sha1 } from "../util/index.ts";
import { Client, type ClientOptions } from "./index.ts";
import { lsdFamilies } from "./local-discovery.ts";

const { MemoryNetwork, MemoryUdpNetwork } = await loadMemoryNetwork();
type MemoryUdpNetwork = InstanceType<typeof MemoryUdpNetwork>;

const PIECE_LENGTH = 16 * 1024;

function makeTorrent(size: number, extra: Record<string, unknown> = {}) {
  const content = randomBytes(size);
  const hashes: Buffer[] = [];
  for (let at = 0; at < size; at += PIECE_LENGTH) {
    hashes.push(sha1(content.subarray(at, Math.min(size, at + PIECE_LENGTH))));
  }
  const info = {
    length: size,
    name: "lan.bin",
    "piece length": PIECE_LENGTH,
    pieces: Buffer.concat(hashes),
    ...extra,
  };
  return { meta: parseMetainfo(encode({ info })), content };
}

const tcp = new MemoryNetwork({ clock: realClock });
const dirs: string[] = [];
const clients: Client[] = [];
after(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

let hosts = 0;
/** A client on a LAN host of its own: TCP and UDP at one address. */
async function lanClient(
  udp: MemoryUdpNetwork,
  content: Buffer | undefined,
  extra: Partial<ClientOptions> = {},
) {
  const dir = await mkdtemp(join(tmpdir(), "shoal-lsd-"));
  dirs.push(dir);
  const address = `10.14.0.${++hosts}`;
  const host = tcp.addHost(address);
  const udpHost = udp.host(address);
  const client = await Client.start({
    dataDir: join(dir, "data"),
    downloadDir: join(dir, "download"),
    port: 6881,
    dialer: host,
    listen: async (port) => host.listen(port),
    udp: udpHost,
    torrentDefaults: {
      trackers: false,
      openStore: (meta: Metainfo) =>
        MemoryStorage.open(meta, content?.length === meta.totalLength ? { content } : {}),
    },
    ...extra,
  });
  clients.push(client);
  return { client, address, udpHost, dataDir: join(dir, "data") };
}

/** What a bystander on the IPv4 group hears. */
async function ear(udp: UdpNetwork): Promise<string[]> {
  const heard: string[] = [];
  const s = udp.createSocket(4, { reuseAddr: true });
  await s.bind({ port: LSD_PORT });
  s.addMembership(LSD_IPV4_GROUP);
  s.on("message", (msg, from) => heard.push(`${from.address} ${msg.toString("latin1")}`));
  after(() => s.close());
  return heard;
}

const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Waits (10 s at most) for what a test then asserts, rather than a fixed time before it. */
const until = async (done: () => boolean) => {
  for (let i = 0; i < 500 && !done(); i++) await tick(20);
};

describe("the session's local service discovery (BEP 14)", () => {
  it("with lsd on, a leecher with no tracker finds the seeder on the LAN and completes", async () => {
    const udp = new MemoryUdpNetwork();
    const { meta, content } = makeTorrent(300_000);
    const seeder = await lanClient(udp, content, { lsd: true });
    const leecher = await lanClient(udp, undefined, { lsd: true });
    assert.equal(seeder.client.localDiscovery, true);
    const connected: string[] = [];
    for (const c of [seeder.client, leecher.client]) {
      c.on("event", (e) => {
        if (e.type === "peer-connected" && e.peer.outgoing) connected.push(e.peer.source);
      });
    }
    await seeder.client.add(meta);
    const t = await leecher.client.add(meta);
    await leecher.client.whenComplete(meta.infoHashHex, { timeoutMs: 20_000 });
    assert.equal(t.complete, true);
    // Whichever side dialled (or both, at once), it had the address from the LAN.
    assert.ok(connected.length > 0);
    for (const source of connected) assert.equal(source, "lsd");
  });

  it("a magnet link's torrent (no metadata, no tracker) gets its metadata and data from a LAN peer", async () => {
    const udp = new MemoryUdpNetwork();
    const { meta, content } = makeTorrent(200_000);
    const seeder = await lanClient(udp, content, { lsd: true });
    const leecher = await lanClient(udp, undefined, { lsd: true });
    await seeder.client.add(meta);
    const t = await leecher.client.add({ infoHash: meta.infoHashHex });
    assert.equal(t.state, "metadata");
    await leecher.client.whenComplete(meta.infoHashHex, { timeoutMs: 20_000 });
    assert.equal(t.metadata?.name, "lan.bin");
  });

  it("announces on the families peers can reach us by", () => {
    assert.deepEqual(lsdFamilies(undefined), [4], "0.0.0.0 by default: IPv4 only");
    assert.deepEqual(lsdFamilies("10.0.0.1"), [4]);
    assert.deepEqual(lsdFamilies("::"), [4, 6], "dual stack");
    assert.deepEqual(lsdFamilies("fd00::1"), [6]);
  });

  it("off by default: no socket opened and nothing sent", async () => {
    const udp = new MemoryUdpNetwork();
    const lan = udp.host("10.14.1.9");
    const heard = await ear(lan);
    const { meta, content } = makeTorrent(50_000);
    const a = await lanClient(udp, content);
    assert.equal(a.client.localDiscovery, false);
    await a.client.add(meta);
    await tick(200);
    assert.deepEqual(heard, []);
    // Nothing holds the group's port on its host: a socket without SO_REUSEADDR binds it.
    const s = a.udpHost.createSocket(4);
    await s.bind({ port: LSD_PORT });
    await s.close();
  });

  it("never announces a private torrent (BEP 27), nor dials LAN peers for it", async () => {
    const udp = new MemoryUdpNetwork();
    const heard = await ear(udp.host("10.14.2.9"));
    const secret = makeTorrent(50_000, { private: 1 });
    const open = makeTorrent(60_000);
    assert.equal(secret.meta.private, true);
    const a = await lanClient(udp, secret.content, { lsd: true });
    await a.client.add(secret.meta);
    await tick(200);
    assert.deepEqual(heard, [], "a private torrent alone: nothing sent");
    await a.client.add(open.meta);
    await until(() => heard.length > 0);
    await tick(500);
    assert.equal(heard.length, 1);
    assert.match(heard[0]!, new RegExp(`Infohash: ${open.meta.infoHashHex}`, "i"));
    assert.doesNotMatch(heard[0]!, new RegExp(secret.meta.infoHashHex, "i"));
    // A LAN peer announcing both: dialled for the public torrent only.
    const address = "10.14.2.10";
    const dials: number[] = [];
    const peer = tcp.addHost(address);
    for (const port of [7001, 7002]) {
      const l = peer.listen(port);
      l.on("connection", (t) => {
        dials.push(port);
        t.destroy();
      });
      after(() => l.close());
    }
    const socket = udp.host(address).createSocket(4);
    after(() => socket.close());
    const announce = (hash: string, port: number) =>
      `BT-SEARCH * HTTP/1.1\r\nHost: 239.192.152.143:6771\r\nPort: ${port}\r\nInfohash: ${hash}\r\n\r\n\r\n`;
    socket.send(Buffer.from(announce(secret.meta.infoHashHex, 7001)), LSD_PORT, LSD_IPV4_GROUP);
    socket.send(Buffer.from(announce(open.meta.infoHashHex, 7002)), LSD_PORT, LSD_IPV4_GROUP);
    await until(() => dials.length > 0);
    await tick(200);
    assert.deepEqual(dials, [7002]);
  });

  it("a paused torrent is not announced; the setting is kept with the session", async () => {
    const udp = new MemoryUdpNetwork();
    const heard = await ear(udp.host("10.14.3.9"));
    const { meta, content } = makeTorrent(50_000);
    const a = await lanClient(udp, content, { lsd: true, persist: true });
    await a.client.add(meta, { paused: true });
    await tick(200);
    assert.deepEqual(heard, []);
    await a.client.resume(meta.infoHashHex);
    await until(() => heard.length > 0);
    assert.equal(heard.length, 1);
    await a.client.close();
    const saved = JSON.parse(readFileSync(join(a.dataDir, "session.json"), "utf8"));
    assert.equal(saved.settings.lsd, true);
  });
});
