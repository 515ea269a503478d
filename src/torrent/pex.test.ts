import assert from "node:assert/strict";
import { test } from "node:test";
import { encode } from "../bencode/index.ts";
import { Bitfield } from "../bitfield/index.ts";
import type { ExtensionPeer } from "../peer/index.ts";
import type { PeerAddress } from "../tracker-proto/index.ts";
import { FakeClock, formatEndpoint, silentLogger } from "../util/index.ts";
import { decodePex, encodePex, PexFlags, type PexMessage } from "../wire/index.ts";
import {
  FLOOD_MESSAGES,
  MAX_ADDED,
  MAX_ADDED_FIRST,
  MAX_DROPPED,
  MAX_LEARNT_PER_CONNECTION,
  PEX_FIRST_DELAY_MS,
  PEX_INTERVAL_MS,
  PeerExchange,
} from "./pex.ts";
import { isLocalAddress } from "./pex-contacts.ts";
import type { SwarmPeer } from "./swarm-peer.ts";

/** A connection as an extension sees it, recording what is sent on it. */
class FakeConn implements ExtensionPeer {
  readonly sent: PexMessage[] = [];
  readonly peerId = Buffer.alloc(20);
  readonly peerExtendedHandshake;
  ready = true;
  closed = false;
  encrypted = false;
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly #names: Set<string>;
  pieceCount: number | undefined = 4;

  constructor(ip: string, port: number, names = ["ut_pex"], raw: Record<string, number> = {}) {
    this.remoteAddress = ip;
    this.remotePort = port;
    this.#names = new Set(names);
    this.peerExtendedHandshake = { m: new Map(), raw: new Map(Object.entries(raw)) };
  }

  supportsExtension(name: string): boolean {
    return this.#names.has(name);
  }

  sendExtension(name: string, payload: Uint8Array): boolean {
    if (!this.#names.has(name)) return false;
    this.sent.push(decodePex(payload));
    return true;
  }

  close(): void {
    this.closed = true;
  }
}

interface FakePeerOptions {
  ip: string;
  port: number;
  outgoing?: boolean;
  seed?: boolean;
  listening?: boolean;
  names?: string[];
  raw?: Record<string, number>;
  encrypted?: boolean;
}

/** A torrent's connected peer, the parts PEX reads. */
function fakePeer(o: FakePeerOptions): SwarmPeer & { conn: FakeConn } {
  const conn = new FakeConn(o.ip, o.port + 1000, o.names, o.raw);
  conn.encrypted = o.encrypted ?? false;
  const listenPort = o.listening === false ? undefined : o.port;
  return {
    conn,
    host: o.ip,
    listenPort,
    outgoing: o.outgoing ?? true,
    have: o.seed ? Bitfield.full(4) : new Bitfield(4),
    get address() {
      return listenPort === undefined ? undefined : formatEndpoint(o.ip, listenPort);
    },
  } as unknown as SwarmPeer & { conn: FakeConn };
}

function setup(o: { allowed?: () => boolean; listenPort?: number } = {}) {
  const clock = new FakeClock(1_000_000);
  const peers: (SwarmPeer & { conn: FakeConn })[] = [];
  const learnt: PeerAddress[] = [];
  const seeds: string[] = [];
  const pex = new PeerExchange({
    clock,
    logger: silentLogger,
    peers: () => peers.values(),
    learn: (a) => {
      for (const { ip, port, seed } of a) {
        learnt.push({ ip, port });
        if (seed) seeds.push(`${ip}:${port}`);
      }
    },
    allowed: o.allowed ?? (() => true),
    ...(o.listenPort !== undefined ? { listenPort: o.listenPort } : {}),
  });
  const connect = (p: FakePeerOptions) => {
    const peer = fakePeer(p);
    peers.push(peer);
    pex.onHandshake(peer.conn);
    return peer;
  };
  const disconnect = (peer: SwarmPeer & { conn: FakeConn }) => {
    peers.splice(peers.indexOf(peer), 1);
    pex.onClose(peer.conn);
  };
  return { clock, peers, learnt, seeds, pex, connect, disconnect };
}

const v4 = (ip: string, port: number) => {
  const [a, b, c, d] = ip.split(".").map(Number) as [number, number, number, number];
  return Buffer.from([a, b, c, d, port >> 8, port & 0xff]);
};

test("pex: the first message lists current peers with their flags, later ones the changes", () => {
  const { clock, connect, disconnect } = setup();
  const a = connect({ ip: "1.1.1.1", port: 6881 });
  const b = connect({ ip: "2.2.2.2", port: 6882, outgoing: false, seed: true, raw: { e: 1 } });
  const c = connect({ ip: "2001:db8::3", port: 6883, names: ["ut_pex", "ut_holepunch"] });
  // One that reached us and never said where it listens cannot be passed on.
  connect({ ip: "4.4.4.4", port: 6884, listening: false });
  // An encrypted connection (MSE) counts as preferring encryption.
  connect({ ip: "7.7.7.7", port: 6887, encrypted: true });
  clock.advance(PEX_FIRST_DELAY_MS - 1);
  assert.equal(a.conn.sent.length, 0, "the first message waits for start-up connections");
  clock.advance(1);
  assert.deepEqual(a.conn.sent, [
    {
      added: [
        { ip: "2.2.2.2", port: 6882, flags: PexFlags.seed | PexFlags.encryption },
        { ip: "7.7.7.7", port: 6887, flags: PexFlags.encryption | PexFlags.reachable },
        { ip: "2001:db8::3", port: 6883, flags: PexFlags.holepunch | PexFlags.reachable },
      ],
      dropped: [],
    },
  ]);
  // A connection is never told of itself.
  assert.deepEqual(
    b.conn.sent[0]?.added.map((x) => x.ip),
    ["1.1.1.1", "7.7.7.7", "2001:db8::3"],
  );
  // Nothing changed: nothing is sent at the next minute.
  clock.advance(PEX_INTERVAL_MS);
  assert.equal(a.conn.sent.length, 1);
  // A peer lost and one gained: both in the next message, no sooner than a minute after the last.
  disconnect(c);
  connect({ ip: "5.5.5.5", port: 6885 });
  clock.advance(PEX_INTERVAL_MS - 1);
  assert.equal(a.conn.sent.length, 1);
  clock.advance(1);
  assert.deepEqual(a.conn.sent[1], {
    added: [{ ip: "5.5.5.5", port: 6885, flags: PexFlags.reachable }],
    dropped: [{ ip: "2001:db8::3", port: 6883 }],
  });
  // A connection closed is told nothing more.
  disconnect(a);
  connect({ ip: "6.6.6.6", port: 6886 });
  clock.advance(PEX_INTERVAL_MS * 2);
  assert.equal(a.conn.sent.length, 2);
});

test("pex: never more than one message a minute per connection, and the counts stay in BEP 11's limits", () => {
  const { clock, connect, disconnect, peers } = setup();
  const a = connect({ ip: "1.1.1.1", port: 1 });
  for (let i = 0; i < MAX_ADDED_FIRST + 30; i++) {
    connect({ ip: `10.1.${i >> 8}.${i & 0xff}`, port: 7000 + i });
  }
  clock.advance(PEX_FIRST_DELAY_MS);
  assert.equal(a.conn.sent[0]?.added.length, MAX_ADDED_FIRST);
  // The first 120 go: the 100 told are dropped, 50 a message; of the 30 that did
  // not fit, the 10 still connected are added (the 20 gone were never told).
  for (const p of peers.slice(1, 121)) disconnect(p);
  clock.advance(PEX_INTERVAL_MS);
  assert.equal(a.conn.sent[1]?.added.length, 10);
  assert.equal(a.conn.sent[1]?.dropped.length, MAX_DROPPED);
  clock.advance(PEX_INTERVAL_MS);
  assert.equal(a.conn.sent[2]?.added.length, 0);
  assert.equal(a.conn.sent[2]?.dropped.length, MAX_DROPPED);
  clock.advance(PEX_INTERVAL_MS);
  assert.equal(a.conn.sent.length, 3, "every drop was told; nothing left");
  for (let i = 0; i < MAX_ADDED + 10; i++) connect({ ip: `11.0.0.${i}`, port: 9000 + i });
  clock.advance(PEX_INTERVAL_MS);
  assert.equal(a.conn.sent[3]?.added.length, MAX_ADDED);
  const seen = new Set(a.conn.sent.map((m) => JSON.stringify(m)));
  assert.equal(seen.size, a.conn.sent.length, "no message repeats");
});

test("pex: addresses heard join the candidates, filtered, deduplicated and bounded per connection", () => {
  const { learnt, pex, connect } = setup();
  const from = connect({ ip: "8.8.4.4", port: 6881 });
  pex.onMessage(
    from.conn,
    encodePex({
      added: [
        { ip: "9.9.9.9", port: 1000, flags: 0 },
        // Local addresses from a stranger: not dialled (libtorrent does the same).
        { ip: "192.168.1.5", port: 1000, flags: 0 },
        { ip: "127.0.0.1", port: 1000, flags: 0 },
        { ip: "fd00::1", port: 1000, flags: 0 },
        // Port 0 cannot be dialled; another port of one address is the same peer.
        { ip: "9.9.9.8", port: 0, flags: 0 },
        { ip: "9.9.9.9", port: 1001, flags: 0 },
        // IPv4-mapped IPv6 is the IPv4 address.
        { ip: "::ffff:9.9.9.7", port: 1000, flags: 0 },
        { ip: "2001:db8::9", port: 1000, flags: PexFlags.utp },
      ],
      dropped: [],
    }),
  );
  assert.deepEqual(learnt, [
    { ip: "9.9.9.9", port: 1000 },
    { ip: "9.9.9.7", port: 1000 },
    { ip: "2001:db8::9", port: 1000 },
  ]);
  // A local peer may tell of local addresses; on loopback the port tells peers apart.
  learnt.length = 0;
  const local = connect({ ip: "127.0.0.1", port: 7000 });
  pex.onMessage(
    local.conn,
    encodePex({
      added: [
        { ip: "127.0.0.1", port: 7001, flags: 0 },
        { ip: "127.0.0.1", port: 7002, flags: 0 },
        { ip: "127.0.0.1", port: 7002, flags: 0 },
      ],
      dropped: [],
    }),
  );
  assert.deepEqual(learnt, [
    { ip: "127.0.0.1", port: 7001 },
    { ip: "127.0.0.1", port: 7002 },
  ]);
  // One connection gives at most MAX_LEARNT_PER_CONNECTION addresses, however many messages.
  learnt.length = 0;
  const chatty = connect({ ip: "7.7.7.7", port: 1 });
  for (let m = 0; m < 3; m++) {
    const added = [];
    for (let i = 0; i < 100; i++) added.push({ ip: `20.${m}.0.${i}`, port: 80, flags: 0 });
    pex.onMessage(chatty.conn, encodePex({ added, dropped: [] }));
  }
  assert.equal(learnt.length, MAX_LEARNT_PER_CONNECTION);
});

test("pex: a seed flag heard goes with the address (a seed is not dialled while we seed too)", () => {
  const { seeds, learnt, pex, connect } = setup();
  const a = connect({ ip: "1.1.1.1", port: 1 });
  pex.onMessage(
    a.conn,
    encodePex({
      added: [
        { ip: "3.3.3.3", port: 3, flags: PexFlags.seed | PexFlags.reachable },
        { ip: "4.4.4.4", port: 4, flags: PexFlags.reachable },
      ],
      dropped: [],
    }),
  );
  assert.equal(learnt.length, 2);
  assert.deepEqual(seeds, ["3.3.3.3:3"]);
});

test("pex: a contact that is ourselves (our listen port at the address the peer says we have) is not learnt", () => {
  const { learnt, pex, connect } = setup({ listenPort: 6881 });
  const a = connect({ ip: "1.1.1.1", port: 1 });
  (a.conn.peerExtendedHandshake as { yourip?: Buffer }).yourip = Buffer.from([5, 6, 7, 8]);
  pex.onMessage(
    a.conn,
    encodePex({
      added: [
        { ip: "5.6.7.8", port: 6881, flags: 0 },
        { ip: "9.9.9.9", port: 6881, flags: 0 },
      ],
      dropped: [],
    }),
  );
  assert.deepEqual(learnt, [{ ip: "9.9.9.9", port: 6881 }]);
});

test("pex: a uTP flag heard is passed on for that address", () => {
  const { clock, pex, connect } = setup();
  const a = connect({ ip: "1.1.1.1", port: 1 });
  pex.onMessage(
    a.conn,
    encodePex({ added: [{ ip: "3.3.3.3", port: 3, flags: PexFlags.utp }], dropped: [] }),
  );
  // Connected over a dual-stack socket: the same address, IPv4-mapped.
  connect({ ip: "::ffff:3.3.3.3", port: 3, outgoing: true });
  clock.advance(PEX_FIRST_DELAY_MS);
  assert.deepEqual(a.conn.sent[0]?.added, [
    { ip: "3.3.3.3", port: 3, flags: PexFlags.utp | PexFlags.reachable },
  ]);
});

test("pex: malformed and oversized messages are dropped, the connection stays", () => {
  const { learnt, pex, connect } = setup();
  const a = connect({ ip: "1.1.1.1", port: 1 });
  for (const bad of [
    Buffer.from("garbage"),
    encode({ added: Buffer.alloc(7) }),
    encode({ added: v4("2.2.2.2", 2), "added.f": Buffer.alloc(2) }),
    encode({ added: Buffer.alloc(6 * 1000) }),
    encode({ pad: Buffer.alloc(100_000), added: Buffer.alloc(0) }),
  ]) {
    pex.onMessage(a.conn, bad);
  }
  assert.equal(a.conn.closed, false);
  assert.deepEqual(learnt, []);
  pex.onMessage(a.conn, encode({ added: v4("2.2.2.2", 2) }));
  assert.deepEqual(learnt, [{ ip: "2.2.2.2", port: 2 }]);
});

test("pex: a peer that floods is ignored for the rest of the connection", () => {
  const { clock, learnt, pex, connect } = setup();
  const a = connect({ ip: "1.1.1.1", port: 1 });
  const msg = (i: number) => encode({ added: v4(`30.0.0.${i}`, 80) });
  // A burst of FLOOD_MESSAGES (a rate-limited socket delivers a minute's worth at once) is fine.
  for (let i = 0; i < FLOOD_MESSAGES; i++) pex.onMessage(a.conn, msg(i));
  assert.equal(learnt.length, FLOOD_MESSAGES);
  clock.advance(PEX_INTERVAL_MS / 2);
  pex.onMessage(a.conn, msg(100));
  assert.equal(learnt.length, FLOOD_MESSAGES, "one more within the minute is a flood");
  clock.advance(PEX_INTERVAL_MS * 10);
  pex.onMessage(a.conn, msg(101));
  assert.equal(learnt.length, FLOOD_MESSAGES, "ignored from then on");
  assert.equal(a.conn.closed, false);
  // Another connection sending once a minute is heard every time.
  const b = connect({ ip: "1.1.1.2", port: 1 });
  for (let i = 0; i < 20; i++) {
    pex.onMessage(b.conn, msg(200 + i));
    clock.advance(PEX_INTERVAL_MS);
  }
  assert.equal(learnt.length, FLOOD_MESSAGES + 20);
});

test("pex: nothing sent or learnt while not allowed (a private torrent, BEP 27), nor with a peer that lacks ut_pex", () => {
  let allowed = false;
  const { clock, learnt, pex, connect } = setup({ allowed: () => allowed });
  const a = connect({ ip: "1.1.1.1", port: 1 });
  connect({ ip: "2.2.2.2", port: 2 });
  const mute = connect({ ip: "3.3.3.3", port: 3, names: [] });
  pex.onMessage(a.conn, encode({ added: v4("4.4.4.4", 4) }));
  clock.advance(PEX_INTERVAL_MS * 3);
  assert.equal(a.conn.sent.length, 0);
  assert.deepEqual(learnt, []);
  // Allowed again (a magnet link's torrent done checking): the next minute's message goes out.
  allowed = true;
  clock.advance(PEX_INTERVAL_MS);
  assert.deepEqual(
    a.conn.sent.map((m) => m.added.map((c) => c.ip)),
    [["2.2.2.2", "3.3.3.3"]],
  );
  // A peer whose handshake did not name ut_pex is neither told nor heard.
  pex.onMessage(mute.conn, encode({ added: v4("4.4.4.4", 4) }));
  assert.deepEqual(learnt, []);
  assert.equal(pex.links, 2);
});

test("pex: which addresses are local", () => {
  for (const ip of ["10.1.2.3", "127.0.0.1", "172.16.0.1", "172.31.255.1", "192.168.0.1"]) {
    assert.ok(isLocalAddress(ip), ip);
  }
  for (const ip of ["169.254.1.1", "100.64.0.1", "::1", "fe80::1", "fd12::1", "::ffff:10.0.0.1"]) {
    assert.ok(isLocalAddress(ip), ip);
  }
  for (const ip of ["8.8.8.8", "172.32.0.1", "100.128.0.1", "2001:db8::1", "::ffff:8.8.8.8"]) {
    assert.ok(!isLocalAddress(ip), ip);
  }
});
