import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { loadMemoryNetwork } from "../net/index.ts";
import { FakeClock, seededRandom } from "../util/index.ts";
import {
  DhtNode,
  type DhtNodeOptions,
  decodeKrpc,
  encodeKrpc,
  isRefusal,
  type KrpcMessage,
  type KrpcQuery,
  nodeIdForAddress,
  TokenSecret,
} from "./index.ts";

const { MemoryUdpNetwork } = await loadMemoryNetwork();
type MemoryUdpNetwork = InstanceType<typeof MemoryUdpNetwork>;

/** Runs the fake clock forward in steps, letting promise callbacks run between them. */
async function run(clock: FakeClock, ms: number, step = 5): Promise<void> {
  for (let t = 0; t < ms; t += step) {
    clock.advance(step);
    await new Promise((r) => setImmediate(r));
  }
}

async function settle<T>(clock: FakeClock, p: Promise<T>, maxMs = 20_000): Promise<T> {
  let done = false;
  let value: T | undefined;
  let error: unknown;
  p.then(
    (v) => {
      done = true;
      value = v;
    },
    (e) => {
      done = true;
      error = e;
    },
  );
  for (let t = 0; t < maxMs && !done; t += 5) await run(clock, 5);
  if (!done) throw new Error("did not settle in simulated time");
  if (error) throw error;
  return value as T;
}

interface Net {
  clock: FakeClock;
  net: MemoryUdpNetwork;
  nodes: DhtNode[];
}

async function swarm(count: number, extra: Partial<DhtNodeOptions> = {}): Promise<Net> {
  const clock = new FakeClock();
  const random = seededRandom(42);
  const net = new MemoryUdpNetwork({ clock, latencyMs: 10, random });
  const nodes: DhtNode[] = [];
  for (let i = 0; i < count; i++) {
    const host = net.host(`10.231.${i >> 8}.${(i & 255) + 1}`);
    const node = new DhtNode({ udp: host, port: 6881, clock, random, ...extra });
    const bound = await node.start();
    where.set(node, { address: host.addresses[0]!, port: bound.port });
    nodes.push(node);
  }
  // Everyone joins through node 0, one after another.
  for (const node of nodes.slice(1)) await settle(clock, node.bootstrap([at(nodes[0]!)]));
  return { clock, net, nodes };
}

/** Where a node of the test network listens (it binds 0.0.0.0 on its host). */
const where = new WeakMap<DhtNode, { address: string; port: number }>();
function at(node: DhtNode) {
  return where.get(node)!;
}

async function closeAll(nodes: DhtNode[]): Promise<void> {
  for (const n of nodes) await n.close();
}

/** A raw socket on its own host, to speak KRPC by hand. */
async function rawSocket(net: MemoryUdpNetwork, address: string) {
  const socket = net.host(address).createSocket(4);
  await socket.bind({ port: 7000 });
  const got: KrpcMessage[] = [];
  socket.on("message", (msg) => {
    const m = decodeKrpc(msg);
    if (!isRefusal(m)) got.push(m);
  });
  return {
    socket,
    got,
    send: (bytes: Buffer, to: { address: string; port: number }) =>
      socket.send(bytes, to.port, to.address),
  };
}

describe("DHT node over the in-memory network", () => {
  it("joins, announces, and finds the announced peer from another node", async () => {
    const { clock, nodes } = await swarm(40);
    for (const n of nodes) assert.ok(n.table.size >= 8, `table of ${n.table.size}`);
    const infoHash = Buffer.alloc(20, 0x77);
    const announced = await settle(clock, nodes[5]!.announce(infoHash, 51413));
    assert.ok(announced.announcedTo >= 6, `announced to ${announced.announcedTo}`);
    let early = 0;
    const found = await settle(
      clock,
      nodes[33]!.getPeers(infoHash, (p) => (early += p.length)),
    );
    assert.deepEqual(found.peers, [{ address: "10.231.0.6", port: 51413 }]);
    assert.equal(early, 1);
    assert.ok(found.firstPeersMs !== undefined && found.firstPeersMs <= found.durationMs);
    // implied_port: the peer is stored at the UDP source port (BEP 5).
    const other = Buffer.alloc(20, 0x78);
    await settle(clock, nodes[7]!.announce(other, 0));
    const implied = await settle(clock, nodes[20]!.getPeers(other));
    assert.deepEqual(implied.peers, [{ address: "10.231.0.8", port: 6881 }]);
    const stats = nodes[5]!.stats();
    assert.ok(stats.queriesSent > 0 && stats.responsesReceived > 0 && stats.lookups >= 2);
    await closeAll(nodes);
  });

  it("restarts from a saved table without any bootstrap node", async () => {
    const { clock, net, nodes } = await swarm(20);
    const state = nodes[3]!.state();
    assert.ok(state.nodes.length >= 8);
    await nodes[3]!.close();
    const again = new DhtNode({ udp: net.host("10.231.9.9"), clock, state });
    await again.start();
    await run(clock, 3_000);
    assert.equal(again.id.toString("hex"), state.id);
    assert.ok(again.table.size >= 8, `table of ${again.table.size}`);
    await again.close();
    await closeAll(nodes);
  });

  it("drops malformed datagrams with a counter and answers a broken query with 203", async () => {
    const { clock, net, nodes } = await swarm(2);
    const raw = await rawSocket(net, "10.231.50.1");
    const target = at(nodes[0]!);
    raw.send(Buffer.from("not bencode at all"), target);
    raw.send(Buffer.from("d1:ad2:id3:abce1:q4:ping1:t2:xy1:y1:qe"), target);
    raw.send(Buffer.from(`d1:ad2:id20:${"a".repeat(20)}e1:q4:vote1:t2:xz1:y1:qe`), target);
    await run(clock, 100);
    assert.equal(nodes[0]!.stats().malformed, 3);
    assert.deepEqual(
      raw.got.map((m) => (m.y === "e" ? [m.t.toString(), m.code] : m.y)),
      [
        ["xy", 203],
        ["xz", 204],
      ],
    );
    raw.socket.close();
    await closeAll(nodes);
  });

  it("refuses an announce with a wrong token, accepts the token it gave", async () => {
    const { clock, net, nodes } = await swarm(2);
    const raw = await rawSocket(net, "10.231.50.2");
    const target = at(nodes[0]!);
    const id = Buffer.alloc(20, 1);
    const infoHash = Buffer.alloc(20, 2);
    const ask = (m: Omit<KrpcQuery, "t">, t: string) =>
      raw.send(encodeKrpc({ ...m, t: Buffer.from(t) } as KrpcMessage), target);
    ask(
      { y: "q", q: "announce_peer", id, infoHash, port: 1234, token: Buffer.from("forged") },
      "a1",
    );
    ask({ y: "q", q: "get_peers", id, infoHash }, "a2");
    await run(clock, 50);
    const token = raw.got.find((m) => m.t.toString() === "a2" && m.y === "r");
    assert.ok(token?.y === "r" && token.token);
    assert.equal(raw.got.find((m) => m.t.toString() === "a1")?.y, "e");
    ask({ y: "q", q: "announce_peer", id, infoHash, port: 1234, token: token.token }, "a3");
    await run(clock, 50);
    assert.equal(raw.got.find((m) => m.t.toString() === "a3")?.y, "r");
    const found = await settle(clock, nodes[1]!.getPeers(infoHash));
    assert.deepEqual(found.peers, [{ address: "10.231.50.2", port: 1234 }]);
    raw.socket.close();
    await closeAll(nodes);
  });

  it("rate-limits queries per address and never answers much more than it was asked", async () => {
    const { clock, net, nodes } = await swarm(2);
    const target = at(nodes[0]!);
    // 300 peers announced from 300 addresses (each with its own token).
    const infoHash = Buffer.alloc(20, 9);
    for (let i = 0; i < 300; i++) {
      const raw = await rawSocket(net, `10.232.${i >> 7}.${(i & 127) + 1}`);
      const id = Buffer.alloc(20, 3);
      raw.send(encodeKrpc({ y: "q", t: Buffer.from("g"), q: "get_peers", id, infoHash }), target);
      await run(clock, 25);
      const r = raw.got.find((m) => m.y === "r");
      assert.ok(r?.y === "r" && r.token);
      raw.send(
        encodeKrpc({
          y: "q",
          t: Buffer.from("a"),
          q: "announce_peer",
          id,
          infoHash,
          port: 1000 + i,
          token: r.token,
        }),
        target,
      );
      await run(clock, 25);
      raw.socket.close();
    }
    assert.equal(nodes[0]!.stats().storedPeers, 300);
    const flood = await rawSocket(net, "10.233.0.1");
    const sizes: number[] = [];
    flood.socket.on("message", (m) => sizes.push(m.length));
    const query = encodeKrpc({
      y: "q",
      t: Buffer.from("zz"),
      q: "get_peers",
      id: Buffer.alloc(20, 4),
      infoHash,
    });
    for (let i = 0; i < 200; i++) flood.send(query, target);
    await run(clock, 50);
    assert.ok(sizes.length >= 40 && sizes.length < 200, `${sizes.length} answers`);
    assert.ok(nodes[0]!.stats().rateLimited > 0);
    for (const s of sizes)
      assert.ok(s <= 4 * query.length, `${s}-byte answer to a ${query.length}-byte query`);
    flood.socket.close();
    await closeAll(nodes);
  });

  it("BEP 43: a read-only node looks up but answers nothing and stays out of tables", async () => {
    const { clock, net, nodes } = await swarm(10);
    const ro = new DhtNode({ udp: net.host("10.231.60.1"), clock, readOnly: true });
    await ro.start();
    await settle(clock, ro.bootstrap([at(nodes[0]!)]));
    assert.ok(ro.table.size >= 8);
    for (const n of nodes) assert.equal(n.table.find(ro.id), undefined);
    assert.equal(ro.stats().responsesSent, 0);
    await ro.close();
    await closeAll(nodes);
  });

  it("BEP 42: with enforcement on, nodes whose id does not fit their address stay out", async () => {
    const clock = new FakeClock();
    const random = seededRandom(7);
    const net = new MemoryUdpNetwork({ clock, latencyMs: 10, random });
    const make = (address: string, goodId: boolean) =>
      new DhtNode({
        udp: net.host(address),
        clock,
        random,
        enforceNodeId: true,
        id: goodId
          ? nodeIdForAddress(address, Buffer.alloc(20, address.length))
          : Buffer.alloc(20, 0xee),
      });
    const a = make("203.0.113.1", true);
    const b = make("203.0.113.2", true);
    const liar = make("203.0.113.3", false);
    for (const n of [a, b, liar]) await n.start();
    const aAt = { address: "203.0.113.1", port: a.address!.port };
    await settle(clock, b.bootstrap([aAt]));
    await settle(clock, liar.bootstrap([aAt]));
    assert.ok(a.table.find(b.id));
    assert.equal(a.table.find(liar.id), undefined);
    for (const n of [a, b, liar]) await n.close();
  });

  it("rotates token secrets: a token is good for 5 to 10 minutes", () => {
    const clock = new FakeClock();
    const tokens = new TokenSecret(clock, (n) =>
      Buffer.alloc(n, Math.floor(clock.now() / 1000) & 255),
    );
    const t = tokens.tokenFor("10.0.0.1");
    assert.ok(tokens.valid(t, "10.0.0.1"));
    assert.ok(!tokens.valid(t, "10.0.0.2"));
    clock.advance(5 * 60_000 + 1);
    assert.ok(tokens.valid(t, "10.0.0.1"), "previous secret still accepted");
    clock.advance(5 * 60_000);
    assert.ok(!tokens.valid(t, "10.0.0.1"), "stale after two rotations");
  });

  it("BEP 32: an IPv6 node of its own, and `want` answered with both families' nodes", async () => {
    const clock = new FakeClock();
    const random = seededRandom(32);
    const net = new MemoryUdpNetwork({ clock, latencyMs: 10, random });
    const hosts = [1, 2, 3].map((i) => net.host(`10.231.32.${i}`, `fd00:231::${i}`));
    const pairs = hosts.map((h) => {
      const v4 = new DhtNode({ udp: h, port: 6881, clock, random, family: 4 });
      const v6 = new DhtNode({ udp: h, port: 6881, clock, random, family: 6, id: v4.id });
      v4.pairWith(v6);
      return { v4, v6 };
    });
    for (const p of pairs) {
      await p.v4.start();
      await p.v6.start();
    }
    for (const i of [1, 2]) {
      await settle(clock, pairs[i]!.v4.bootstrap([{ address: "10.231.32.1", port: 6881 }]));
      await settle(clock, pairs[i]!.v6.bootstrap([{ address: "fd00:231::1", port: 6881 }]));
    }
    assert.ok(pairs[0]!.v6.table.size >= 2, "IPv6 nodes joined over IPv6");
    assert.ok(pairs[0]!.v6.table.nodes().every((n) => n.address.includes(":")));
    const raw = await rawSocket(net, "10.231.32.9");
    const id = Buffer.alloc(20, 5);
    raw.send(
      encodeKrpc({ y: "q", t: Buffer.from("w"), q: "find_node", id, target: id, want: [4, 6] }),
      {
        address: "10.231.32.1",
        port: 6881,
      },
    );
    raw.send(encodeKrpc({ y: "q", t: Buffer.from("x"), q: "find_node", id, target: id }), {
      address: "10.231.32.1",
      port: 6881,
    });
    await run(clock, 50);
    const both = raw.got.find((m) => m.t.toString() === "w");
    const plain = raw.got.find((m) => m.t.toString() === "x");
    assert.ok(both?.y === "r" && plain?.y === "r");
    assert.ok(both.nodes?.length && both.nodes6?.length, "nodes and nodes6");
    assert.ok(both.nodes6!.every((n) => n.address.startsWith("fd00:231::")));
    assert.ok(plain.nodes?.length && plain.nodes6 === undefined, "only our family without want");
    raw.socket.close();
    for (const p of pairs) {
      await p.v4.close();
      await p.v6.close();
    }
  });
});
