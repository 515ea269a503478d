/** The UDP tracker protocol from BEP 15 (and BEP 41 options), IPv4 and IPv6, including hostile input. */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import {
  decodeUdpResponse,
  encodeAnnounceRequest,
  encodeConnectRequest,
  encodeScrapeRequest,
  type UdpAnnounceRequest,
} from "../../src/tracker-proto/index.ts";
import {
  CONNECTION_ID_WINDOW_MS,
  libuvUdpAvailable,
  type Tracker,
} from "../../src/tracker-server/index.ts";
import { FakeClock } from "../../src/util/index.ts";
import {
  hash20,
  ipv6Available,
  makeTorrent,
  peerId,
  startTracker,
  UdpClient,
} from "./tracker-helpers.ts";

function announceReq(connectionId: Buffer, over: Partial<UdpAnnounceRequest> = {}): Buffer {
  return encodeAnnounceRequest({
    connectionId,
    transactionId: 42,
    infoHash: hash20(1),
    peerId: peerId(1),
    downloaded: 0,
    left: 100,
    uploaded: 0,
    event: "started",
    port: 7001,
    ...over,
  });
}

// Both datagram transports (net/udp-link.ts) speak the same protocol.
const transports = libuvUdpAvailable() ? (["dgram", "auto"] as const) : (["dgram"] as const);

for (const udpTransport of transports)
  describe(`UDP tracker (${udpTransport === "auto" ? "libuv" : udpTransport})`, () => {
    const clock = new FakeClock(10 * CONNECTION_ID_WINDOW_MS);
    let tracker: Tracker;
    let port: number;
    let client: UdpClient;
    before(async () => {
      ({ tracker, port } = await startTracker({ interval: 300 }, { clock, udpTransport }));
      client = await UdpClient.open(4);
    });
    after(async () => {
      client.close();
      await tracker.stop();
    });

    test("connect → announce → peers; the transaction id is echoed", async () => {
      client.send(encodeConnectRequest(0x01020304), port);
      const c = decodeUdpResponse((await client.next())!, 4);
      assert.ok(c?.action === "connect");
      assert.equal(c.transactionId, 0x01020304);
      const id = c.connectionId;
      client.send(announceReq(id, { peerId: peerId(1), port: 7001, left: 0 }), port);
      const first = decodeUdpResponse((await client.next())!, 4);
      assert.ok(first?.action === "announce");
      assert.deepEqual(
        [first.transactionId, first.interval, first.seeders, first.leechers],
        [42, 300, 1, 0],
      );
      assert.deepEqual(first.peers, []);
      client.send(announceReq(id, { peerId: peerId(2), port: 7002, transactionId: 43 }), port);
      const second = decodeUdpResponse((await client.next())!, 4);
      assert.ok(second?.action === "announce");
      assert.equal(second.transactionId, 43);
      assert.deepEqual(second.peers, [{ ip: "127.0.0.1", port: 7001 }]);
    });

    test("scrape: counts in the order asked, zeros for unknown", async () => {
      const id = await client.connectionId(port);
      client.send(
        encodeScrapeRequest({
          connectionId: id,
          transactionId: 5,
          infoHashes: [hash20(1), hash20(99)],
        }),
        port,
      );
      const s = decodeUdpResponse((await client.next())!, 4);
      assert.deepEqual(s, {
        action: "scrape",
        transactionId: 5,
        files: [
          { seeders: 1, completed: 0, leechers: 1 },
          { seeders: 0, completed: 0, leechers: 0 },
        ],
      });
    });

    test("completed and stopped over UDP", async () => {
      const id = await client.connectionId(port);
      client.send(
        announceReq(id, { infoHash: hash20(2), peerId: peerId(1), event: "completed", left: 0 }),
        port,
      );
      const r = decodeUdpResponse((await client.next())!, 4);
      assert.ok(r?.action === "announce" && r.seeders === 1);
      client.send(
        announceReq(id, { infoHash: hash20(2), peerId: peerId(1), event: "stopped", left: 0 }),
        port,
      );
      const s = decodeUdpResponse((await client.next())!, 4);
      assert.ok(s?.action === "announce");
      assert.deepEqual([s.seeders, s.leechers], [0, 0]);
      assert.equal(tracker.completedOf(hash20(2).toString("latin1")), 1);
    });

    test("BEP 41: an announce with URLData and unknown options is answered", async () => {
      const id = await client.connectionId(port);
      const withOpts = Buffer.concat([
        announceReq(id, { urlData: "/announce?passkey=abc" }),
        Buffer.from([1, 0x77, 2, 0xaa, 0xbb]),
      ]);
      client.send(withOpts, port);
      assert.equal(decodeUdpResponse((await client.next())!, 4)?.action, "announce");
    });

    test("nothing is sent for a forged, foreign or expired connection id", async () => {
      const real = await client.connectionId(port);
      const forged = Buffer.from(real);
      forged[0]! ^= 0xff;
      client.send(announceReq(forged), port);
      assert.equal(await client.next(300), undefined, "forged id");
      client.send(
        encodeScrapeRequest({ connectionId: forged, transactionId: 1, infoHashes: [hash20(1)] }),
        port,
      );
      assert.equal(await client.next(300), undefined, "forged id on scrape");
      // An id issued to another address/port (as a spoofer would have to guess) is refused.
      const other = await UdpClient.open(4);
      try {
        other.send(announceReq(real), port);
        assert.equal(await other.next(300), undefined, "id of another client");
      } finally {
        other.close();
      }
      // BEP 15: valid for at least two minutes...
      clock.advance(CONNECTION_ID_WINDOW_MS);
      client.send(announceReq(real), port);
      assert.equal(
        decodeUdpResponse((await client.next())!, 4)?.action,
        "announce",
        "still valid after 2 minutes",
      );
      // ...and not forever.
      clock.advance(CONNECTION_ID_WINDOW_MS);
      client.send(announceReq(real), port);
      assert.equal(await client.next(300), undefined, "expired id");
      assert.ok(tracker.metrics.errors.bad_connection_id >= 4);
    });

    test("malformed packets get no answer and do not hurt the server", async () => {
      const id = await client.connectionId(port);
      const bad = [
        Buffer.alloc(0),
        Buffer.alloc(15),
        encodeConnectRequest(1).subarray(0, 15),
        Buffer.concat([Buffer.alloc(8, 1), encodeConnectRequest(1).subarray(8)]), // wrong magic
        announceReq(id).subarray(0, 97), // short announce
        Buffer.concat([id, Buffer.from([0, 0, 0, 2, 0, 0, 0, 1])]), // scrape with no hash
        Buffer.concat([id, Buffer.from([0, 0, 0, 3, 0, 0, 0, 1])]), // "error" from a client
        Buffer.concat([id, Buffer.from([0, 0, 0, 9, 0, 0, 0, 1])]), // unknown action
        Buffer.alloc(4000, 0x41), // larger than the packet cap
      ];
      const badEvent = announceReq(id);
      badEvent.writeUInt32BE(7, 80);
      bad.push(badEvent);
      // Cut before the event field: a malformed packet, not a failure of the server.
      const malformedBefore = tracker.metrics.errors.malformed_packet;
      client.send(announceReq(id).subarray(0, 60), port);
      assert.equal(await client.next(200), undefined);
      assert.equal(tracker.metrics.errors.malformed_packet, malformedBefore + 1);
      for (let i = 0; i < 200; i++) {
        const junk = Buffer.alloc(16 + ((i * 37) % 200));
        for (let j = 0; j < junk.length; j++) junk[j] = (i * 31 + j * 17) & 255;
        bad.push(junk);
      }
      for (const p of bad) client.send(p, port);
      assert.equal(await client.next(400), undefined);
      client.send(announceReq(id), port);
      assert.equal(
        decodeUdpResponse((await client.next())!, 4)?.action,
        "announce",
        "still serving",
      );
    });

    test("a burst of connects: each reply carries its own transaction id (replies share one buffer)", async () => {
      const burst = await UdpClient.open(4);
      try {
        const sent = new Set<number>();
        for (let i = 0; i < 2000; i++) {
          const tid = 0x5a000000 + i;
          sent.add(tid);
          burst.send(encodeConnectRequest(tid), port);
        }
        const seen = new Set<number>();
        for (let reply = await burst.next(); reply; reply = await burst.next(2000)) {
          const c = decodeUdpResponse(reply, 4);
          assert.ok(c?.action === "connect");
          assert.ok(sent.has(c.transactionId), `unknown transaction id ${c.transactionId}`);
          assert.ok(!seen.has(c.transactionId), `transaction id ${c.transactionId} answered twice`);
          seen.add(c.transactionId);
        }
        // Loopback may drop a few datagrams of a burst; most must arrive.
        assert.ok(seen.size > 1000, `only ${seen.size} of 2000 replies`);
      } finally {
        burst.close();
      }
    });

    test("port 0 gets an error reply (the id is valid, so answering is safe)", async () => {
      const id = await client.connectionId(port);
      client.send(announceReq(id, { port: 0 }), port);
      const r = decodeUdpResponse((await client.next())!, 4);
      assert.ok(r?.action === "error");
      assert.match(r.message, /port/);
    });
  });

describe("UDP tracker, registered-only", () => {
  test("an unpublished info hash gets an error packet; a published one is served", async () => {
    const { tracker, port, base } = await startTracker({ registeredOnly: true });
    const client = await UdpClient.open(4);
    try {
      const t = makeTorrent("registered");
      await fetch(`${base}/torrents`, { method: "POST", body: t.bytes });
      const id = await client.connectionId(port);
      client.send(announceReq(id, { infoHash: hash20(9) }), port);
      const r = decodeUdpResponse((await client.next())!, 4);
      assert.ok(r?.action === "error");
      assert.match(r.message, /unregistered torrent/);
      client.send(announceReq(id, { infoHash: t.infoHash }), port);
      assert.equal(decodeUdpResponse((await client.next())!, 4)?.action, "announce");
    } finally {
      client.close();
      await tracker.stop();
    }
  });
});

describe("UDP tracker over IPv6", () => {
  test("BEP 15: IPv6 packets get 18-byte peers", async (t) => {
    if (!(await ipv6Available())) return t.skip("no IPv6 loopback here");
    const { tracker, port } = await startTracker({ host: "::1" });
    const a = await UdpClient.open(6);
    const b = await UdpClient.open(6);
    try {
      const ida = await a.connectionId(port);
      a.send(announceReq(ida, { peerId: peerId(1), port: 7001 }), port);
      await a.next();
      const idb = await b.connectionId(port);
      b.send(announceReq(idb, { peerId: peerId(2), port: 7002 }), port);
      const raw = (await b.next())!;
      assert.equal(raw.length, 20 + 18);
      const r = decodeUdpResponse(raw, 6);
      assert.ok(r?.action === "announce");
      assert.deepEqual(r.peers, [{ ip: "::1", port: 7001 }]);
    } finally {
      a.close();
      b.close();
      await tracker.stop();
    }
  });
});
