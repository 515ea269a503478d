import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { loadMemoryNetwork, type UdpNetwork, type UdpSocket } from "../net/index.ts";
import { asInfoHash, FakeClock, type InfoHash, infoHashHex, seededRandom } from "../util/index.ts";
import {
  DiscoveryError,
  decodeLsdAnnounce,
  LocalPeerDiscovery,
  LSD_IPV4_GROUP,
  LSD_IPV6_GROUP,
  LSD_MAX_PORTS_PER_HOST,
  LSD_MAX_SEND_BYTES,
  LSD_PORT,
  LSD_REANNOUNCE_MS,
} from "./index.ts";

const { MemoryUdpNetwork } = await loadMemoryNetwork();

const X = asInfoHash(Buffer.alloc(20, 0x11));
const Y = asInfoHash(Buffer.alloc(20, 0x22));

interface Heard {
  what: string;
  bytes: Buffer;
}

function setup() {
  const clock = new FakeClock();
  const net = new MemoryUdpNetwork({ clock });
  let seed = 1;
  const make = (host: UdpNetwork, listenPort: number) =>
    new LocalPeerDiscovery({ network: host, listenPort, clock, random: seededRandom(seed++) });
  /** Lets bind()'s promise settle and deliveries due now arrive. */
  const settle = async (ms = 0) => {
    await new Promise((r) => setImmediate(r));
    clock.advance(ms);
    await new Promise((r) => setImmediate(r));
  };
  return { clock, net, make, settle };
}

/** A bystander on the LAN listening on both groups. */
async function listener(host: UdpNetwork): Promise<{ heard: Heard[]; close: () => void }> {
  const heard: Heard[] = [];
  const sockets: UdpSocket[] = [];
  for (const [family, group] of [
    [4, LSD_IPV4_GROUP],
    [6, LSD_IPV6_GROUP],
  ] as const) {
    const s = host.createSocket(family, { reuseAddr: true });
    await s.bind({ port: LSD_PORT });
    s.addMembership(group);
    s.on("message", (bytes, from) => heard.push({ what: `${family} ${from.address}`, bytes }));
    sockets.push(s);
  }
  return { heard, close: () => sockets.forEach((s) => void s.close()) };
}

function peers(d: LocalPeerDiscovery): string[] {
  const out: string[] = [];
  d.on("peer", (h, p) => out.push(`${infoHashHex(h).slice(0, 4)} ${p.ip} ${p.port}`));
  return out;
}

describe("LocalPeerDiscovery (BEP 14) over the in-memory network", () => {
  it("two hosts sharing a torrent find each other over IPv4 and IPv6; own announces are ignored", async () => {
    const { net, make, settle } = setup();
    const a = make(net.host("10.0.0.1", "fd00::1"), 6881);
    const b = make(net.host("10.0.0.2", "fd00::2"), 6882);
    const fromA = peers(a);
    const fromB = peers(b);
    await a.start();
    await b.start();
    a.add(X);
    a.add(Y);
    await settle();
    assert.deepEqual(fromB, [], "b announces nothing yet, so it reports nothing");
    b.add(X);
    await settle(1_000);
    assert.deepEqual(fromA.sort(), ["1111 10.0.0.2 6882", "1111 fd00::2 6882"]);
    // a's announces reach b only at a's next round; b learned nothing from the first (X was not b's yet).
    assert.deepEqual(fromB, []);
    await settle(LSD_REANNOUNCE_MS);
    assert.deepEqual(fromB.sort(), ["1111 10.0.0.1 6881", "1111 fd00::1 6881"]);
    assert.notEqual(a.cookie, b.cookie);
    await a.close();
    await b.close();
  });

  it("announces at once, then every 5 minutes: one datagram per family per round", async () => {
    const { net, make, settle } = setup();
    const ear = await listener(net.host("10.0.0.9", "fd00::9"));
    const a = make(net.host("10.0.0.1", "fd00::1"), 7000);
    await a.start();
    a.add(X);
    a.add(Y);
    await settle();
    assert.deepEqual(
      ear.heard.map((h) => h.what),
      ["4 10.0.0.1", "6 fd00::1"],
    );
    const first = decodeLsdAnnounce(ear.heard[0]!.bytes);
    assert.deepEqual(
      { host: first.host, port: first.port, cookie: first.cookie },
      { host: "239.192.152.143:6771", port: 7000, cookie: a.cookie },
    );
    assert.deepEqual(first.infoHashes.map(infoHashHex), [X, Y].map(infoHashHex));
    assert.equal(decodeLsdAnnounce(ear.heard[1]!.bytes).host, "[ff15::efc0:988f]:6771");
    for (let i = 0; i < 10 * 60; i++) await settle(1_000); // ten minutes, second by second
    assert.equal(ear.heard.length, 2 * 3, "t = 0, 5 and 10 minutes");
    assert.equal(a.datagramsSent, 6);
    a.remove(X);
    a.remove(Y);
    for (let i = 0; i < 10 * 60; i++) await settle(1_000);
    assert.equal(ear.heard.length, 6, "nothing once no torrent is left");
    ear.close();
    await a.close();
  });

  it("packs many torrents under 1400 bytes a datagram", async () => {
    const { net, make, settle } = setup();
    const ear = await listener(net.host("10.0.0.9"));
    const a = make(net.host("10.0.0.1"), 65535);
    await a.start();
    const hashes: InfoHash[] = [];
    for (let i = 0; i < 60; i++) hashes.push(asInfoHash(Buffer.alloc(20, i)));
    for (const h of hashes) a.add(h);
    await settle();
    const v4 = ear.heard.filter((h) => h.what.startsWith("4 "));
    assert.equal(v4.length, 3, "24 + 24 + 12");
    const seen: string[] = [];
    for (const h of v4) {
      assert.ok(h.bytes.length <= LSD_MAX_SEND_BYTES, `${h.bytes.length}`);
      seen.push(...decodeLsdAnnounce(h.bytes).infoHashes.map(infoHashHex));
    }
    assert.deepEqual(seen, hashes.map(infoHashHex));
    ear.close();
    await a.close();
  });

  it("ignores garbage and other torrents, reports a peer once a minute, and not after remove()", async () => {
    const { net, make, settle } = setup();
    const a = make(net.host("10.0.0.1"), 6881);
    const got = peers(a);
    await a.start();
    a.add(X);
    const other = net.host("10.0.0.5").createSocket(4);
    const send = (text: string) => other.send(Buffer.from(text), LSD_PORT, LSD_IPV4_GROUP);
    const announce = (hash: InfoHash, port: number) =>
      `BT-SEARCH * HTTP/1.1\r\nHost: 239.192.152.143:6771\r\nPort: ${port}\r\nInfohash: ${infoHashHex(hash)}\r\n\r\n\r\n`;
    send("GET / HTTP/1.1\r\n\r\n");
    send(announce(Y, 5000));
    send(announce(X, 0).replace("Port: 0", "Port: 99999"));
    send(announce(X, 5000));
    send(announce(X, 5000));
    await settle();
    assert.deepEqual(got, ["1111 10.0.0.5 5000"]);
    await settle(60_000);
    send(announce(X, 5000));
    await settle();
    assert.equal(got.length, 2, "heard again after a minute");
    a.remove(X);
    await settle(60_000);
    send(announce(X, 5000));
    await settle();
    assert.equal(got.length, 2);
    await other.close();
    await a.close();
  });

  it("takes at most 4 ports a minute from one address (a flood of ports is not a flood of peers)", async () => {
    const { net, make, settle } = setup();
    const a = make(net.host("10.0.0.1"), 6881);
    const got = peers(a);
    await a.start();
    a.add(X);
    const other = net.host("10.0.0.5").createSocket(4);
    const announce = (port: number) =>
      Buffer.from(
        `BT-SEARCH * HTTP/1.1\r\nHost: 239.192.152.143:6771\r\nPort: ${port}\r\nInfohash: ${infoHashHex(X)}\r\n\r\n`,
      );
    for (let port = 5001; port <= 5010; port++)
      other.send(announce(port), LSD_PORT, LSD_IPV4_GROUP);
    await settle();
    assert.deepEqual(
      got,
      [5001, 5002, 5003, 5004].map((p) => `1111 10.0.0.5 ${p}`),
    );
    assert.equal(LSD_MAX_PORTS_PER_HOST, 4);
    await settle(60_000);
    other.send(announce(5010), LSD_PORT, LSD_IPV4_GROUP);
    await settle();
    assert.equal(got.at(-1), "1111 10.0.0.5 5010", "a minute later a new port is taken");
    await other.close();
    await a.close();
  });

  it("fails with lsd_unavailable when the group port is held without SO_REUSEADDR, and closes cleanly", async () => {
    const { net, make } = setup();
    const host = net.host("10.0.0.1");
    const hog = host.createSocket(4);
    await hog.bind({ port: LSD_PORT });
    const a = new LocalPeerDiscovery({ network: host, listenPort: 6881, families: [4] });
    await assert.rejects(
      a.start(),
      (e: unknown) => e instanceof DiscoveryError && e.code === "lsd_unavailable",
    );
    await hog.close();
    const b = make(host, 6881);
    await b.start();
    b.add(X);
    await b.close();
    // Its sockets are gone: the port binds again without SO_REUSEADDR.
    const again = host.createSocket(4);
    await again.bind({ port: LSD_PORT });
    await again.close();
  });
});
