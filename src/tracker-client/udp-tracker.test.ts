import assert from "node:assert/strict";
import { createSocket } from "node:dgram";
import { after, describe, it } from "node:test";
import { setImmediate as tick } from "node:timers/promises";
import { loadMemoryNetwork } from "../net/index.ts";
import {
  decodeUdpRequest,
  encodeAnnounceResponse,
  encodeCompactPeers,
  encodeConnectResponse,
  encodeErrorResponse,
  encodeScrapeResponse,
} from "../tracker-proto/index.ts";
import { FakeClock } from "../util/index.ts";
import { TrackerClientError } from "./errors.ts";
import { deadPort, FakeUdpTracker } from "./fake-trackers.ts";
import type { AnnounceParams } from "./types.ts";
import { announceUdp, parseUdpUrl, scrapeUdp, UdpTrackerClient, udpKey } from "./udp-tracker.ts";

const { MemoryUdpNetwork } = await loadMemoryNetwork();

const infoHash = Buffer.alloc(20, 0xab);
const peerId = Buffer.from("-SH0100-000000000001");

function params(over: Partial<AnnounceParams> = {}): AnnounceParams {
  return {
    infoHash,
    peerId,
    port: 6881,
    uploaded: 1,
    downloaded: 2,
    left: 3,
    event: "started",
    numwant: 25,
    key: "00c0ffee",
    ...over,
  };
}

async function rejectsWith(p: Promise<unknown>, code: string, text?: RegExp): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof TrackerClientError, `expected TrackerClientError, got ${err}`);
    assert.equal(err.code, code, err.message);
    if (text) assert.match(err.message, text);
    return true;
  });
}

const trackers: FakeUdpTracker[] = [];
const clients: UdpTrackerClient[] = [];
async function tracker(family: 4 | 6 = 4): Promise<FakeUdpTracker> {
  const t = await FakeUdpTracker.start(family);
  trackers.push(t);
  return t;
}
function client(url: string, opts: ConstructorParameters<typeof UdpTrackerClient>[1] = {}) {
  const c = new UdpTrackerClient(url, opts);
  clients.push(c);
  return c;
}
after(async () => {
  for (const c of clients) c.close();
  await Promise.all(trackers.map((t) => t.close()));
});

describe("UDP tracker client (BEP 15)", () => {
  it("connects, then announces with the request fields and BEP 41 URLData", async () => {
    const t = await tracker();
    t.peers = [
      { ip: "10.1.2.3", port: 6881 },
      { ip: "192.168.0.9", port: 51413 },
    ];
    t.interval = 1234;
    const r = await announceUdp(`udp://127.0.0.1:${t.port}/announce?k=v`, params());
    assert.deepEqual(
      t.received.map((x) => x.action),
      ["connect", "announce"],
    );
    const a = t.received[1]!;
    assert.equal(a.action, "announce");
    if (a.action !== "announce") return;
    assert.ok(a.connectionId.equals(t.connectionId));
    assert.ok(a.infoHash.equals(infoHash));
    assert.ok(a.peerId.equals(peerId));
    assert.deepEqual([a.downloaded, a.left, a.uploaded], [2, 3, 1]);
    assert.equal(a.event, "started");
    assert.equal(a.numwant, 25);
    assert.equal(a.key, 0x00c0ffee);
    assert.equal(a.port, 6881);
    assert.equal(a.urlData, "/announce?k=v");
    assert.equal(r.interval, 1234);
    assert.equal(r.complete, 2);
    assert.equal(r.incomplete, 3);
    assert.deepEqual(r.peers, t.peers);
  });

  it("ignores replies with a wrong transaction id", async () => {
    const t = await tracker();
    t.peers = [{ ip: "10.0.0.7", port: 7 }];
    t.handler = (req, rinfo) => {
      if (req.action === "connect") {
        // A connect reply for someone else's transaction first: must not be taken.
        t.send(encodeConnectResponse(req.transactionId ^ 1, Buffer.alloc(8, 0xee)), rinfo);
      } else if (req.action === "announce") {
        t.send(
          encodeAnnounceResponse({
            transactionId: (req.transactionId + 1) >>> 0,
            interval: 1,
            leechers: 99,
            seeders: 99,
            peers: encodeCompactPeers([{ ip: "6.6.6.6", port: 666 }], 4),
          }),
          rinfo,
        );
      }
      t.answer(req, rinfo);
    };
    const r = await announceUdp(t.url, params());
    const a = t.received.find((x) => x.action === "announce");
    assert.ok(a && a.action === "announce" && a.connectionId.equals(t.connectionId));
    assert.deepEqual(r.peers, [{ ip: "10.0.0.7", port: 7 }]);
    assert.equal(r.complete, 2);
  });

  it("ignores replies from another source address or port", async () => {
    const t = await tracker();
    const impostor = createSocket("udp4");
    await new Promise<void>((resolve) => impostor.bind(0, "127.0.0.1", resolve));
    t.handler = (req, rinfo) => {
      if (req.action === "announce") {
        // Same transaction id, right shape, wrong sender.
        impostor.send(
          encodeAnnounceResponse({
            transactionId: req.transactionId,
            interval: 1,
            leechers: 0,
            seeders: 0,
            peers: encodeCompactPeers([{ ip: "6.6.6.6", port: 666 }], 4),
          }),
          rinfo.port,
          rinfo.address,
        );
        setTimeout(() => t.answer(req, rinfo), 30);
        return;
      }
      t.answer(req, rinfo);
    };
    const r = await announceUdp(t.url, params());
    impostor.close();
    assert.deepEqual(r.peers, []);
    assert.equal(r.interval, 1800);
  });

  it("reuses a connection id for 60 s, then connects again (FakeClock)", async () => {
    const t = await tracker();
    const clock = new FakeClock(1_000);
    const c = client(t.url, { clock });
    await c.announce(params());
    assert.equal(t.count("connect"), 1);
    clock.advance(59_000);
    assert.ok(c.hasConnectionId);
    await c.announce(params({ event: "none" }));
    assert.equal(t.count("connect"), 1, "within a minute the id is reused");
    clock.advance(1_000);
    assert.ok(!c.hasConnectionId);
    t.connectionId = Buffer.from("1112131415161718", "hex");
    await c.announce(params({ event: "none" }));
    assert.equal(t.count("connect"), 2, "after a minute a new id is fetched");
    const last = t.received.at(-1)!;
    assert.ok(last.action === "announce" && last.connectionId.equals(t.connectionId));
    // Scrapes share the id.
    await c.scrape([infoHash]);
    assert.equal(t.count("connect"), 2);
  });

  it("retransmits on BEP 15's doubling schedule, then gives up", async () => {
    const t = await tracker();
    const times: number[] = [];
    t.handler = () => times.push(performance.now());
    const started = performance.now();
    // Waits of 200 ms and up: with 40 ms ones, a loaded machine's late timer could make
    // the first wait look longer than the second.
    await rejectsWith(
      announceUdp(t.url, params(), { baseTimeoutMs: 200, retries: 2 }),
      "timeout",
      /3 attempts/,
    );
    const elapsed = performance.now() - started;
    assert.equal(t.count("connect"), 3);
    assert.equal(t.count("announce"), 0);
    // Waits of 200, 400, 800 ms: sends at ~0, 200, 600; failure at ~1400.
    assert.ok(times[2]! - times[1]! > times[1]! - times[0]!, "the wait doubles");
    // At least the schedule's 1400 ms; the upper bound only says it gave up (a loaded machine
    // delays timers, so it is loose: the counts above say how many attempts there were).
    assert.ok(elapsed >= 1390 && elapsed < 20_000, `gave up after ${elapsed} ms`);
    const tids = new Set(t.received.map((r) => r.transactionId));
    assert.equal(tids.size, 1, "a retransmission repeats the same packet");
  });

  it("a lost announce is retransmitted with the same transaction id and then answered", async () => {
    const t = await tracker();
    let dropped = false;
    t.handler = (req, rinfo) => {
      if (req.action === "announce" && !dropped) {
        dropped = true;
        return;
      }
      t.answer(req, rinfo);
    };
    // A first wait of 1 s: with 30 ms, a reply late on a loaded machine was retransmitted
    // too, and the counts below (2 announces, 1 connect) were off.
    await announceUdp(t.url, params(), { baseTimeoutMs: 1000, retries: 3 });
    const announces = t.received.filter((r) => r.action === "announce");
    assert.equal(announces.length, 2);
    assert.equal(announces[0]!.transactionId, announces[1]!.transactionId);
    assert.equal(t.count("connect"), 1);
  });

  it("surfaces an error action and forgets the connection id", async () => {
    const t = await tracker();
    const c = client(t.url);
    await c.announce(params());
    t.handler = (req, rinfo) => {
      if (req.action === "announce")
        t.send(encodeErrorResponse(req.transactionId, "banned client"), rinfo);
      else t.answer(req, rinfo);
    };
    await rejectsWith(c.announce(params()), "tracker_failure", /^banned client$/);
    assert.ok(!c.hasConnectionId);
    t.handler = (req, rinfo) => t.answer(req, rinfo);
    await c.announce(params());
    assert.equal(t.count("connect"), 2);
  });

  it("scrapes", async () => {
    const t = await tracker();
    const other = Buffer.alloc(20, 1);
    t.handler = (req, rinfo) => {
      if (req.action === "scrape") {
        assert.equal(req.infoHashes.length, 2);
        t.send(
          encodeScrapeResponse(req.transactionId, [
            { seeders: 5, completed: 6, leechers: 7 },
            { seeders: 0, completed: 1, leechers: 2 },
          ]),
          rinfo,
        );
      } else t.answer(req, rinfo);
    };
    const files = await scrapeUdp(t.url, [infoHash, other]);
    assert.deepEqual(
      files.map((f) => [f.infoHash.toString("hex"), f.complete, f.downloaded, f.incomplete]),
      [
        [infoHash.toString("hex"), 5, 6, 7],
        [other.toString("hex"), 0, 1, 2],
      ],
    );
  });

  it("fails fast when nothing listens (ICMP port unreachable on a connected socket)", async () => {
    const port = await deadPort();
    const started = performance.now();
    await rejectsWith(
      announceUdp(`udp://127.0.0.1:${port}`, params(), { baseTimeoutMs: 60_000 }),
      "network",
      /ECONNREFUSED/,
    );
    // Far under the first attempt's minute: the ICMP error ended it, not a timeout.
    assert.ok(performance.now() - started < 20_000);
  });

  it("aborts on a signal and after close()", async () => {
    const t = await tracker();
    t.handler = () => {};
    const ac = new AbortController();
    const p = announceUdp(t.url, params(), { signal: ac.signal });
    setTimeout(() => ac.abort(), 20);
    await rejectsWith(p, "aborted");
    const c = client(t.url);
    const q = c.announce(params());
    setTimeout(() => c.close(), 20);
    await rejectsWith(q, "aborted");
    await rejectsWith(c.announce(params()), "aborted");
  });

  it("speaks IPv6 with 18-byte peers when ::1 is available", async (ctx) => {
    let t: FakeUdpTracker;
    try {
      t = await tracker(6);
    } catch {
      ctx.skip("no IPv6 loopback here");
      return;
    }
    t.peers = [{ ip: "2001:db8::1", port: 6881 }];
    const r = await announceUdp(t.url, params());
    assert.deepEqual(r.peers, [{ ip: "2001:db8::1", port: 6881 }]);
  });

  it("runs over an injected UdpNetwork: a lost announce is resent on the FakeClock's schedule", async () => {
    const clock = new FakeClock(0);
    // Datagrams take 10 ms each way; the random source loses the third (the first announce).
    const draws = [0.9, 0.9, 0.1];
    const net = new MemoryUdpNetwork({
      clock,
      latencyMs: 10,
      loss: 0.5,
      random: () => draws.shift() ?? 0.9,
    });
    const tracker = net.host("10.0.0.1").createSocket(4);
    await tracker.bind({ port: 6969 });
    const seen: string[] = [];
    const id = Buffer.from("a1a2a3a4a5a6a7a8", "hex");
    tracker.on("message", (msg, from) => {
      const req = decodeUdpRequest(msg);
      if (!req) return;
      seen.push(`${req.action} from ${from.address} at ${clock.now()}`);
      const reply =
        req.action === "connect"
          ? encodeConnectResponse(req.transactionId, id)
          : encodeAnnounceResponse({
              transactionId: req.transactionId,
              interval: 900,
              leechers: 1,
              seeders: 4,
              peers: encodeCompactPeers([{ ip: "10.0.0.7", port: 51413 }], 4),
            });
      tracker.send(reply, from.port, from.address);
    });
    const c = client("udp://10.0.0.1:6969/announce", {
      clock,
      baseTimeoutMs: 100,
      retries: 2,
      udp: net.host("10.0.0.2"),
    });
    let result: Awaited<ReturnType<UdpTrackerClient["announce"]>> | undefined;
    const done = c.announce(params()).then((r) => {
      result = r;
    });
    // Let each step's promises run, then move time on; bounded.
    for (let ms = 0; ms < 1_000; ms += 5) {
      for (let i = 0; i < 5; i++) await tick();
      if (result) break;
      clock.advance(5);
    }
    await done;
    assert.deepEqual(seen, ["connect from 10.0.0.2 at 10", "announce from 10.0.0.2 at 130"]);
    assert.equal(result?.interval, 900);
    assert.deepEqual(result?.peers, [{ ip: "10.0.0.7", port: 51413 }]);
    assert.equal(clock.now(), 140, "the resent announce's reply, 10 ms after it arrived");
  });

  it("parses URLs and keys", () => {
    assert.deepEqual(parseUdpUrl("udp://tracker.example:80"), {
      host: "tracker.example",
      port: 80,
    });
    assert.deepEqual(parseUdpUrl("udp://[::1]:6969/announce"), {
      host: "::1",
      port: 6969,
      urlData: "/announce",
    });
    assert.throws(() => parseUdpUrl("udp://127.0.0.1/announce"), /host and port/);
    assert.throws(() => parseUdpUrl("http://127.0.0.1:80/"), /not a udp/);
    assert.equal(udpKey("ffffffff"), 0xffffffff);
    assert.equal(udpKey(undefined), 0);
    assert.equal(udpKey("not hex"), udpKey("not hex"));
  });
});
