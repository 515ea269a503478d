/** The HTTP tracker protocol from the BEPs (3, 7, 23, 48), bad input, and the torrent index. */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { decode } from "../../src/bencode/index.ts";
import {
  buildAnnounceQuery,
  buildScrapeQuery,
  parseAnnounceReply,
  parseScrapeReply,
  percentEncode,
} from "../../src/tracker-proto/index.ts";
import type { Tracker } from "../../src/tracker-server/index.ts";
import {
  announce,
  hash20,
  ipv6Available,
  makeTorrent,
  peerId,
  rawHttp,
  startTracker,
} from "./tracker-helpers.ts";

describe("HTTP tracker", () => {
  let tracker: Tracker;
  let base: string;
  let port: number;
  before(async () => {
    ({ tracker, base, port } = await startTracker({ interval: 120, minInterval: 60 }));
  });
  after(() => tracker.stop());

  test("BEP 23 compact reply: interval, min interval, counts, 6-byte peers, never the asker", async () => {
    const ih = hash20(1);
    parseAnnounceReply(
      await announce(base, { infoHash: ih, peerId: peerId(1), port: 7001, left: 0 }),
    );
    parseAnnounceReply(
      await announce(base, { infoHash: ih, peerId: peerId(2), port: 7002, left: 5 }),
    );
    const body = await announce(base, { infoHash: ih, peerId: peerId(3), port: 7003, left: 5 });
    decode(body); // canonical bencoding
    const r = parseAnnounceReply(body);
    assert.equal(r.interval, 120);
    assert.equal(r.minInterval, 60);
    assert.equal(r.complete, 1);
    assert.equal(r.incomplete, 2);
    assert.deepEqual(r.peers.map((p) => `${p.ip}:${p.port}`).sort(), [
      "127.0.0.1:7001",
      "127.0.0.1:7002",
    ]);
  });

  test("seeders get leechers only", async () => {
    const ih = hash20(2);
    await announce(base, { infoHash: ih, peerId: peerId(1), port: 7001, left: 0 });
    await announce(base, { infoHash: ih, peerId: peerId(2), port: 7002, left: 9 });
    const r = parseAnnounceReply(
      await announce(base, { infoHash: ih, peerId: peerId(3), port: 7003, left: 0 }),
    );
    assert.deepEqual(
      r.peers.map((p) => p.port),
      [7002],
    );
  });

  test("BEP 3 dictionary form for compact=0, with peer ids unless no_peer_id", async () => {
    const ih = hash20(3);
    await announce(base, { infoHash: ih, peerId: peerId(1), port: 7001, left: 1 });
    let r = parseAnnounceReply(
      await announce(base, {
        infoHash: ih,
        peerId: peerId(2),
        port: 7002,
        left: 1,
        compact: false,
      }),
    );
    assert.deepEqual(r.peers, [{ ip: "127.0.0.1", port: 7001, peerId: peerId(1) }]);
    r = parseAnnounceReply(
      await announce(base, {
        infoHash: ih,
        peerId: peerId(2),
        port: 7002,
        left: 1,
        compact: false,
        noPeerId: true,
      }),
    );
    assert.deepEqual(r.peers, [{ ip: "127.0.0.1", port: 7001 }]);
  });

  test("numwant limits the list", async () => {
    const ih = hash20(4);
    for (let i = 0; i < 12; i++)
      await announce(base, { infoHash: ih, peerId: peerId(i), port: 7000 + i, left: 1 });
    const r = parseAnnounceReply(
      await announce(base, { infoHash: ih, peerId: peerId(99), port: 1, left: 1, numwant: 5 }),
    );
    assert.equal(r.peers.length, 5);
  });

  test("stopped removes the peer at once; completed is counted and scraped", async () => {
    const ih = hash20(5);
    await announce(base, {
      infoHash: ih,
      peerId: peerId(1),
      port: 7001,
      left: 3,
      event: "started",
    });
    await announce(base, {
      infoHash: ih,
      peerId: peerId(1),
      port: 7001,
      left: 0,
      event: "completed",
    });
    let s = parseScrapeReply(
      Buffer.from(await (await fetch(`${base}/scrape?${buildScrapeQuery([ih])}`)).arrayBuffer()),
    );
    assert.deepEqual(s.files, [{ infoHash: ih, complete: 1, downloaded: 1, incomplete: 0 }]);
    await announce(base, {
      infoHash: ih,
      peerId: peerId(1),
      port: 7001,
      left: 0,
      event: "stopped",
    });
    const r = parseAnnounceReply(
      await announce(base, { infoHash: ih, peerId: peerId(2), port: 7002, left: 1 }),
    );
    assert.deepEqual(r.peers, []);
    s = parseScrapeReply(
      Buffer.from(await (await fetch(`${base}/scrape?${buildScrapeQuery([ih])}`)).arrayBuffer()),
    );
    assert.deepEqual(s.files, [{ infoHash: ih, complete: 0, downloaded: 1, incomplete: 1 }]);
  });

  test("BEP 48: many info hashes in one scrape, unknown ones as zeros; full scrape is off", async () => {
    const body = await (
      await fetch(`${base}/scrape?${buildScrapeQuery([hash20(1), hash20(200)])}`)
    ).arrayBuffer();
    const s = parseScrapeReply(Buffer.from(body));
    assert.equal(s.files.length, 2);
    assert.deepEqual(
      s.files.find((f) => f.infoHash.equals(hash20(200))),
      {
        infoHash: hash20(200),
        complete: 0,
        downloaded: 0,
        incomplete: 0,
      },
    );
    const full = parseScrapeReply(Buffer.from(await (await fetch(`${base}/scrape`)).arrayBuffer()));
    assert.match(full.failureReason ?? "", /full scrape is disabled/);
  });

  test("a failure reason for every bad announce", async () => {
    const good = { infoHash: hash20(6), peerId: peerId(1), port: 7001 };
    const cases: [string, RegExp][] = [
      [`peer_id=${percentEncode(peerId(1))}&port=1`, /missing info_hash/],
      [`info_hash=abc&peer_id=${percentEncode(peerId(1))}&port=1`, /info_hash.*20 bytes/],
      [buildAnnounceQuery(good).replace("port=7001", "port=0"), /invalid port/],
      [buildAnnounceQuery(good).replace("port=7001", "port=x"), /invalid port/],
      [buildAnnounceQuery(good).replace("port=7001&", ""), /missing port/],
      [`info_hash=${percentEncode(hash20(6))}&port=1`, /missing peer_id/],
      [`info_hash=%GG${"a".repeat(19)}&peer_id=${percentEncode(peerId(1))}&port=1`, /malformed/],
    ];
    for (const [q, want] of cases) {
      const res = await fetch(`${base}/announce?${q}`);
      const r = parseAnnounceReply(Buffer.from(await res.arrayBuffer()));
      assert.match(r.failureReason ?? "(none)", want, q);
    }
  });

  test("keep-alive: several requests on one connection, pipelined", async () => {
    const q = buildAnnounceQuery({ infoHash: hash20(7), peerId: peerId(1), port: 7001, left: 1 });
    const req = `GET /announce?${q} HTTP/1.1\r\nHost: x\r\n\r\n`;
    const text = await rawHttp(port, req + req + req, {
      until: (t) => (t.match(/HTTP\/1\.1 200/g) ?? []).length === 3 && t.endsWith("e"),
    });
    assert.equal((text.match(/HTTP\/1\.1 200 OK/g) ?? []).length, 3);
    assert.ok(!text.includes("Connection: close"));
    // HTTP/1.0 without keep-alive closes after one answer.
    // HTTP/1.0: closed after one reply (15 s at most for it on a loaded machine).
    const one = await rawHttp(port, `GET /announce?${q} HTTP/1.0\r\n\r\n${req}`, {
      timeoutMs: 15_000,
    });
    assert.equal((one.match(/HTTP\/1\.1 200/g) ?? []).length, 1);
  });

  test("garbage and oversized requests are answered and closed, and the server keeps serving", async () => {
    // A reply's head is waited for (15 s at most), not whatever came within 3 s.
    const head = (data: string) =>
      rawHttp(port, data, { until: (t) => t.includes("\r\n\r\n"), timeoutMs: 15_000 });
    assert.match(await head("\x00\x01\x02 garbage\r\n\r\n"), /^HTTP\/1\.1 400/);
    assert.match(await head(`GET /${"a".repeat(20_000)} HTTP/1.1\r\n`), /^HTTP\/1\.1 431/);
    assert.match(await head("GET / HTTP/3.0\r\n\r\n"), /^HTTP\/1\.1 505/);
    assert.match(
      await head("POST /torrents HTTP/1.1\r\nContent-Length: 999999999\r\n\r\n"),
      /^HTTP\/1\.1 413/,
    );
    assert.match(await head("PUT /announce HTTP/1.1\r\n\r\n"), /^HTTP\/1\.1 405/);
    assert.match(await head("GET /nope HTTP/1.1\r\nConnection: close\r\n\r\n"), /^HTTP\/1\.1 404/);
    const burst = Buffer.alloc(64 * 1024);
    for (let i = 0; i < burst.length; i++) burst[i] = (i * 7919) & 255;
    await rawHttp(port, burst, { timeoutMs: 500 });
    const ok = await fetch(`${base}/stats`);
    assert.equal(ok.status, 200);
  });

  test("operator views: stats, metrics, swarms, and an HTML page with everything escaped", async () => {
    const stats = (await (await fetch(`${base}/stats`)).json()) as {
      swarms: number;
      peers: number;
    };
    assert.ok(stats.swarms >= 1 && stats.peers >= 1);
    const metrics = await (await fetch(`${base}/metrics`)).text();
    assert.match(metrics, /shoal_tracker_announces_total\{protocol="http",event="none"\} \d+/);
    assert.match(metrics, /shoal_tracker_errors_total\{kind="bad_request"\} [1-9]/);
    assert.match(metrics, /# TYPE shoal_tracker_peers gauge/);
    const t = makeTorrent("<img src=x onerror=alert(1)>&\"'");
    assert.equal((await fetch(`${base}/torrents`, { method: "POST", body: t.bytes })).status, 201);
    await announce(base, { infoHash: t.infoHash, peerId: peerId(1), port: 7001, left: 0 });
    const html = await (await fetch(`${base}/`)).text();
    assert.ok(!html.includes("<img"));
    assert.ok(html.includes("&lt;img src=x onerror=alert(1)&gt;&amp;&quot;&#39;"));
    const swarms = (await (await fetch(`${base}/swarms`)).json()) as {
      swarms: { infoHash: string; peers: unknown[] }[];
    };
    const mine = swarms.swarms.find((s) => s.infoHash === t.infoHash.toString("hex"));
    assert.equal(mine?.peers.length, 1);
  });
});

describe("HTTP tracker over IPv6 (BEP 7)", () => {
  test("peers6 carries IPv6 peers", async (t) => {
    if (!(await ipv6Available())) return t.skip("no IPv6 loopback here");
    const { tracker, base } = await startTracker({ host: "::1" });
    try {
      const ih = hash20(1);
      await announce(base, { infoHash: ih, peerId: peerId(1), port: 7001, left: 1 });
      const body = await announce(base, { infoHash: ih, peerId: peerId(2), port: 7002, left: 1 });
      const d = decode(body) as Map<string, unknown>;
      assert.equal((d.get("peers6") as Buffer).length, 18);
      assert.deepEqual(parseAnnounceReply(body).peers, [{ ip: "::1", port: 7001 }]);
    } finally {
      await tracker.stop();
    }
  });
});
