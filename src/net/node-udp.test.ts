import assert from "node:assert/strict";
import { once } from "node:events";
import { after, describe, it } from "node:test";
import { NetError } from "./errors.ts";
import { type NodeUdpSocket, nodeUdp } from "./node-udp.ts";
import type { UdpFamily, UdpSocket, UdpSource } from "./udp.ts";

const sockets: UdpSocket[] = [];
function socket(family: UdpFamily = 4, reuseAddr = false): NodeUdpSocket {
  const s = nodeUdp.createSocket(family, { reuseAddr });
  sockets.push(s);
  return s;
}
after(async () => {
  await Promise.all(sockets.map((s) => s.close()));
});

function nextMessage(s: NodeUdpSocket): Promise<[Buffer, UdpSource]> {
  return once(s, "message") as Promise<[Buffer, UdpSource]>;
}

/** A loopback port nothing listens on (bound, then released). */
async function deadPort(): Promise<number> {
  const s = nodeUdp.createSocket(4);
  const { port } = await s.bind({ host: "127.0.0.1" });
  await s.close();
  return port;
}

describe("NodeUdpSocket (node:dgram, loopback only)", () => {
  it("binds, sends and receives with the sender's address and port", async () => {
    const a = socket();
    const b = socket();
    const bound = await b.bind({ host: "127.0.0.1" });
    assert.equal(bound.address, "127.0.0.1");
    assert.equal(bound.family, "IPv4");
    assert.ok(bound.port > 0);
    assert.deepEqual(b.address(), bound);
    assert.equal(a.address(), undefined, "not bound yet");
    await a.bind({ host: "127.0.0.1" });
    const got = nextMessage(b);
    const sent = new Promise<Error | null>((resolve) =>
      a.send(Buffer.from("ping"), bound.port, "127.0.0.1", resolve),
    );
    assert.equal(await sent, null);
    const [msg, from] = await got;
    assert.equal(msg.toString(), "ping");
    assert.deepEqual(from.port, a.address()!.port);
    assert.equal(from.address, "127.0.0.1");
  });

  it("a taken port is a NetError bind_failed naming the endpoint", async () => {
    const a = socket();
    const { port } = await a.bind({ host: "127.0.0.1" });
    await assert.rejects(socket().bind({ host: "127.0.0.1", port }), (err) => {
      assert.ok(err instanceof NetError);
      assert.equal(err.code, "bind_failed");
      assert.match(err.message, new RegExp(`127\\.0\\.0\\.1:${port}: EADDRINUSE`));
      return true;
    });
  });

  it("connected: send takes no address; a dead port comes back as ECONNREFUSED", async () => {
    const server = socket();
    const { port } = await server.bind({ host: "127.0.0.1" });
    server.on("message", (msg, from) => server.send(msg, from.port, from.address));
    const client = socket();
    await client.connect(port, "127.0.0.1");
    const echoed = nextMessage(client);
    client.send(Buffer.from("echo"));
    assert.equal((await echoed)[0].toString(), "echo");

    const lonely = socket();
    await lonely.connect(await deadPort(), "127.0.0.1");
    const refused = once(lonely, "error");
    lonely.send(Buffer.from("anyone?"));
    const [err] = (await refused) as [NodeJS.ErrnoException];
    assert.equal(err.code, "ECONNREFUSED");
  });

  it("speaks IPv6 on ::1 where the host has it", async (t) => {
    const b = socket(6);
    try {
      await b.bind({ host: "::1" });
    } catch {
      t.skip("no IPv6 loopback here");
      return;
    }
    const a = socket(6);
    const got = nextMessage(b);
    a.send(Buffer.from("v6"), b.address()!.port, "::1");
    const [msg, from] = await got;
    assert.equal(msg.toString(), "v6");
    assert.equal(from.family, "IPv6");
    assert.equal(from.address, "::1");
  });

  it("multicast hooks (BEP 14) over the loopback interface, TTL 0: nothing leaves the host", async (t) => {
    const group = "239.192.152.143";
    const listener = socket(4, true);
    // Bound to the group itself, not to every address: only this group's datagrams arrive.
    const { port } = await listener.bind({ host: group });
    try {
      listener.addMembership(group, "127.0.0.1");
    } catch (err) {
      t.skip(`no multicast on the loopback interface here (${(err as Error).message})`);
      return;
    }
    const sender = socket();
    await sender.bind({ host: "127.0.0.1" });
    sender.setMulticastInterface("127.0.0.1");
    sender.setMulticastTTL(0);
    sender.setMulticastLoopback(true);
    const got = nextMessage(listener);
    const sent = new Promise<Error | null>((resolve) =>
      sender.send(Buffer.from("BT-SEARCH"), port, group, resolve),
    );
    const err = await sent;
    if (err) {
      t.skip(`multicast over loopback refused here (${err.message})`);
      return;
    }
    const timeout = new Promise<undefined>((resolve) =>
      setTimeout(() => resolve(undefined), 2000).unref(),
    );
    const arrived = await Promise.race([got, timeout]);
    if (!arrived) {
      t.skip("multicast over loopback is not delivered on this host");
      return;
    }
    assert.equal(arrived[0].toString(), "BT-SEARCH");
    listener.dropMembership(group, "127.0.0.1");
  });
});
