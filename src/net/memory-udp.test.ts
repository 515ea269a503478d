import assert from "node:assert/strict";
import { once } from "node:events";
import { describe, it } from "node:test";
import { setImmediate as tick } from "node:timers/promises";
import { FakeClock, seededRandom } from "../util/index.ts";
import { NetError } from "./errors.ts";
import { MemoryUdpNetwork } from "./memory-udp.ts";
import type { UdpSocket, UdpSource } from "./udp.ts";

/** Collects what a socket receives, as "text from address:port". */
function inbox(socket: UdpSocket): string[] {
  const got: string[] = [];
  socket.on("message", (msg, from) => got.push(`${msg} from ${from.address}:${from.port}`));
  return got;
}

describe("MemoryUdpNetwork", () => {
  it("delivers asynchronously a copy, with the sender's address and port", async () => {
    const net = new MemoryUdpNetwork();
    const a = net.createSocket(4);
    const b = net.createSocket(4);
    const bound = await b.bind({ host: "127.0.0.1", port: 6881 });
    assert.deepEqual(bound, { address: "127.0.0.1", port: 6881, family: "IPv4" });
    const got = inbox(b);
    const msg = Buffer.from("ping");
    let sent: Error | null | undefined;
    a.send(msg, 6881, "127.0.0.1", (err) => {
      sent = err;
    });
    msg.write("PONG");
    assert.deepEqual(got, [], "nothing arrives synchronously");
    assert.equal(a.address()?.port, 49152, "an unbound sender gets an ephemeral port");
    await tick();
    assert.equal(sent, null);
    assert.deepEqual(got, ["ping from 127.0.0.1:49152"], "the bytes as they were when sent");
  });

  it("binds like a kernel: EADDRINUSE, SO_REUSEADDR, ephemeral ports in turn, typed errors", async () => {
    const net = new MemoryUdpNetwork();
    const first = net.createSocket(4);
    await first.bind({ port: 7000 });
    await assert.rejects(net.createSocket(4).bind({ host: "127.0.0.1", port: 7000 }), (err) => {
      assert.ok(err instanceof NetError);
      assert.equal(err.code, "bind_failed");
      assert.match(err.message, /EADDRINUSE/);
      return true;
    });
    await net.createSocket(6).bind({ port: 7000 }); // another family, another port space
    const shared = [
      net.createSocket(4, { reuseAddr: true }),
      net.createSocket(4, { reuseAddr: true }),
    ];
    for (const s of shared) await s.bind({ port: 7001 });
    const ports = [];
    for (let i = 0; i < 3; i++) ports.push((await net.createSocket(4).bind()).port);
    assert.deepEqual(ports, [49152, 49153, 49154]);
    await assert.rejects(net.createSocket(4).bind({ host: "10.9.9.9" }), /EADDRNOTAVAIL/);
    await assert.rejects(net.createSocket(4).bind({ host: "::1" }), /EAFNOSUPPORT/);
  });

  it("gives each host its addresses and a loopback of its own", async () => {
    const net = new MemoryUdpNetwork();
    const alice = net.host("10.0.0.1", "fd00::1");
    const bob = net.host("10.0.0.2");
    const server = bob.createSocket(4);
    await server.bind({ port: 6969 });
    const got = inbox(server);
    const client = alice.createSocket(4);
    client.send(Buffer.from("to bob"), 6969, "10.0.0.2");
    client.send(Buffer.from("to my own loopback"), 6969, "127.0.0.1");
    client.send(Buffer.from("to nobody"), 6969, "10.0.0.3");
    await tick();
    assert.deepEqual(got, ["to bob from 10.0.0.1:49152"]);
    const six = alice.createSocket(6);
    const own = net.host("fd00::2").createSocket(6);
    await own.bind({ port: 1 });
    const got6 = inbox(own);
    six.send(Buffer.from("v6"), 1, "fd00:0:0:0:0:0:0:2");
    await tick();
    assert.deepEqual(got6, ["v6 from fd00::1:49152"], "addresses in RFC 5952 form");
    assert.throws(() => net.host("10.0.0.1"), /already belongs/);
    assert.throws(() => net.host("not an address"), RangeError);
  });

  it("connect: only the remote's datagrams, send without an address, ECONNREFUSED from a closed port", async () => {
    const net = new MemoryUdpNetwork();
    const tracker = net.createSocket(4);
    await tracker.bind({ host: "127.0.0.1", port: 6969 });
    tracker.on("message", (msg, from) => tracker.send(msg, from.port, from.address));
    const impostor = net.createSocket(4);
    const client = net.createSocket(4);
    await client.connect(6969, "127.0.0.1");
    const got = inbox(client);
    client.send(Buffer.from("echo"));
    impostor.send(Buffer.from("spoofed"), client.address()!.port, "127.0.0.1");
    await tick();
    await tick();
    assert.deepEqual(got, ["echo from 127.0.0.1:6969"]);
    await tracker.close();
    const refused = once(client, "error");
    client.send(Buffer.from("anyone?"));
    const [err] = (await refused) as [NodeJS.ErrnoException];
    assert.equal(err.code, "ECONNREFUSED");
    const sentTo: (Error | null)[] = [];
    client.send(Buffer.from("x"), 1, "127.0.0.1", (e) => sentTo.push(e));
    await tick();
    assert.equal((sentTo[0] as NodeJS.ErrnoException).code, "EISCONN");
  });

  it("latency and loss follow the injected clock and random source", async () => {
    const run = async (seed: number) => {
      const clock = new FakeClock();
      const net = new MemoryUdpNetwork({
        clock,
        latencyMs: 25,
        loss: 0.5,
        random: seededRandom(seed),
      });
      const rx = net.createSocket(4);
      await rx.bind({ port: 9 });
      const got: number[] = [];
      rx.on("message", (msg) => got.push(msg[0]!));
      const tx = net.createSocket(4);
      for (let i = 0; i < 20; i++) tx.send(Buffer.from([i]), 9, "127.0.0.1");
      clock.advance(24);
      assert.deepEqual(got, [], "not before the latency");
      clock.advance(1);
      return got;
    };
    const once1 = await run(1);
    assert.ok(once1.length > 2 && once1.length < 18, `lost about half: kept ${once1}`);
    assert.deepEqual(
      once1,
      [...once1].sort((x, y) => x - y),
      "in order at equal latency",
    );
    assert.deepEqual(await run(1), once1, "the same seed loses the same datagrams");
    assert.notDeepEqual(await run(2), once1);
  });

  it("latency and loss per path", async () => {
    const clock = new FakeClock();
    const latencyMs = (from: UdpSource, to: UdpSource) =>
      from.address === "10.0.0.1" && to.address === "10.0.0.3" ? 100 : 10;
    const loss = (_from: UdpSource, to: UdpSource) => (to.address === "10.0.0.4" ? 1 : 0);
    const net = new MemoryUdpNetwork({ clock, latencyMs, loss });
    const src = net.host("10.0.0.1").createSocket(4);
    const near = net.host("10.0.0.2").createSocket(4);
    const far = net.host("10.0.0.3").createSocket(4);
    const dead = net.host("10.0.0.4").createSocket(4);
    const got: string[] = [];
    for (const [name, s] of [
      ["near", near],
      ["far", far],
      ["dead", dead],
    ] as const) {
      await s.bind({ port: 1 });
      s.on("message", () => got.push(`${name}@${clock.now()}`));
    }
    for (const to of ["10.0.0.2", "10.0.0.3", "10.0.0.4"]) src.send(Buffer.from("x"), 1, to);
    clock.advance(1000);
    assert.deepEqual(got, ["near@10", "far@100"]);
  });

  it("multicast (BEP 14): every member on every host, the sender's host only with loopback on", async () => {
    const net = new MemoryUdpNetwork();
    const group = "239.192.152.143";
    const hosts = [net.host("10.0.0.1"), net.host("10.0.0.2"), net.host("10.0.0.3")];
    const got: string[] = [];
    const members: UdpSocket[] = [];
    for (const [i, host] of hosts.entries()) {
      for (const n of [1, 2]) {
        const s = host.createSocket(4, { reuseAddr: true });
        await s.bind({ port: 6771 });
        if (i < 2) s.addMembership(group);
        s.on("message", (msg, from) => got.push(`h${i + 1}s${n} ${msg} ${from.address}`));
        members.push(s);
      }
    }
    const sender = hosts[0]!.createSocket(4);
    sender.setMulticastTTL(1);
    sender.send(Buffer.from("announce"), 6771, group);
    await tick();
    assert.deepEqual(got.sort(), [
      "h1s1 announce 10.0.0.1",
      "h1s2 announce 10.0.0.1",
      "h2s1 announce 10.0.0.1",
      "h2s2 announce 10.0.0.1",
    ]);
    got.length = 0;
    sender.setMulticastLoopback(false);
    members[2]!.dropMembership(group);
    sender.send(Buffer.from("again"), 6771, group);
    await tick();
    assert.deepEqual(got, ["h2s2 again 10.0.0.1"]);
    assert.throws(() => members[2]!.dropMembership(group), /EADDRNOTAVAIL/);
    assert.throws(() => members[0]!.addMembership("10.0.0.9"), /EINVAL/);
  });

  it("close: a datagram in flight is dropped, 'close' is emitted, the port is free again", async () => {
    const clock = new FakeClock();
    const net = new MemoryUdpNetwork({ clock, latencyMs: 5 });
    const rx = net.createSocket(6);
    await rx.bind({ host: "::1", port: 5 });
    const got = inbox(rx);
    net.createSocket(6).send(Buffer.from("late"), 5, "::1");
    const closed = once(rx, "close");
    await rx.close();
    await closed;
    await rx.close();
    clock.advance(5);
    assert.deepEqual(got, []);
    assert.equal(rx.address(), undefined);
    assert.throws(() => rx.send(Buffer.from("x"), 5, "::1"), /closed/);
    await net.createSocket(6).bind({ host: "::1", port: 5 });
  });

  it("refuses what a real socket would: oversized datagrams, unknown names", async () => {
    const net = new MemoryUdpNetwork();
    const s = net.createSocket(4);
    const errors: string[] = [];
    s.send(Buffer.alloc(65_508), 1, "127.0.0.1", (e) => errors.push(String(e)));
    s.send(Buffer.from("x"), 1, "tracker.example", (e) => errors.push(String(e)));
    s.on("error", (e) => errors.push(`event: ${e}`));
    s.send(Buffer.from("x"), 1, "::1");
    await tick();
    assert.equal(errors.length, 3, errors.join("\n"));
    assert.match(errors[0]!, /EMSGSIZE/);
    assert.match(errors[1]!, /ENOTFOUND/);
    assert.match(errors[2]!, /^event: .*EAFNOSUPPORT/);
  });
});
