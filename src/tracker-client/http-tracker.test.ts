import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import {
  buildAnnounceReply,
  buildFailureReply,
  buildScrapeReply,
  encodeCompactPeers,
} from "../tracker-proto/index.ts";
import { TrackerClientError } from "./errors.ts";
import { deadPort, FakeHttpTracker, type HttpHandler } from "./fake-trackers.ts";
import { httpGet } from "./http-get.ts";
import { announceHttp, scrapeHttp, withQuery } from "./http-tracker.ts";
import type { AnnounceParams } from "./types.ts";

// Bytes that must be percent-encoded, including ones ≥ 0x80 that UTF-8 re-encoding would mangle.
const infoHash = Buffer.from("00ff7e2541264e2f3fde80c0ffee11223344aa55", "hex");
const peerId = Buffer.from("-SH0100-abcdefghijk\u00e9", "latin1");

function params(over: Partial<AnnounceParams> = {}): AnnounceParams {
  return {
    infoHash,
    peerId,
    port: 51413,
    uploaded: 10,
    downloaded: 20,
    left: 30,
    event: "started",
    numwant: 50,
    key: "0badcafe",
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

const servers: FakeHttpTracker[] = [];
async function tracker(handler?: HttpHandler) {
  const t = await FakeHttpTracker.start(handler);
  servers.push(t);
  return t;
}
after(async () => {
  await Promise.all(servers.map((s) => s.close()));
});

describe("announceHttp", () => {
  it("sends the ids as raw percent-encoded bytes with compact=1, key and numwant", async () => {
    const t = await tracker();
    t.handler = (_call, res) =>
      res.end(
        buildAnnounceReply({
          interval: 900,
          minInterval: 300,
          complete: 4,
          incomplete: 5,
          peers: encodeCompactPeers([{ ip: "10.0.0.1", port: 6881 }], 4),
          peers6: encodeCompactPeers([{ ip: "::1", port: 6882 }], 6),
        }),
      );
    const r = await announceHttp(t.url, params());
    const sent = t.calls[0]!.announce!;
    assert.ok(sent.infoHash.equals(infoHash));
    assert.ok(sent.peerId.equals(peerId));
    assert.equal(sent.port, 51413);
    assert.deepEqual([sent.uploaded, sent.downloaded, sent.left], [10, 20, 30]);
    assert.equal(sent.event, "started");
    assert.equal(sent.numwant, 50);
    assert.equal(sent.key, "0badcafe");
    assert.match(t.calls[0]!.query, /(^|&)compact=1(&|$)/);
    assert.equal(r.interval, 900);
    assert.equal(r.minInterval, 300);
    assert.equal(r.complete, 4);
    assert.equal(r.incomplete, 5);
    assert.deepEqual(r.peers, [
      { ip: "10.0.0.1", port: 6881 },
      { ip: "::1", port: 6882 },
    ]);
  });

  it("keeps a query already in the announce URL (passkeys)", async () => {
    const t = await tracker();
    await announceHttp(`http://127.0.0.1:${t.port}/announce?passkey=s3cr3t`, params());
    assert.equal(t.calls[0]!.path, "/announce");
    assert.match(t.calls[0]!.query, /^passkey=s3cr3t&info_hash=/);
    assert.equal(withQuery("http://h/a?", "x=1"), "http://h/a?x=1");
    assert.equal(withQuery("http://h/a#frag", "x=1"), "http://h/a?x=1");
  });

  it("sends the tracker id back as trackerid and reports the one it got", async () => {
    const t = await tracker((_c, res) =>
      res.end(buildAnnounceReply({ interval: 60, trackerId: "T-42" })),
    );
    const r = await announceHttp(t.url, params({ trackerId: "T-41" }));
    assert.equal(t.calls[0]!.announce!.trackerId, "T-41");
    assert.equal(r.trackerId, "T-42");
  });

  it("turns `failure reason` into a tracker_failure error carrying the reason", async () => {
    const t = await tracker();
    t.handler = (_c, res) => res.end(buildFailureReply("torrent not registered here"));
    await rejectsWith(
      announceHttp(t.url, params()),
      "tracker_failure",
      /^torrent not registered here$/,
    );
    // Some trackers send the failure with a 4xx status: the reason still wins.
    t.handler = (_c, res) => {
      res.statusCode = 403;
      res.end(buildFailureReply("passkey revoked"));
    };
    await rejectsWith(announceHttp(t.url, params()), "tracker_failure", /passkey revoked/);
  });

  it("reports `warning message` with the peers", async () => {
    const t = await tracker();
    t.handler = (_c, res) =>
      res.end(buildAnnounceReply({ interval: 60, warning: "upgrade your client" }));
    const r = await announceHttp(t.url, params());
    assert.equal(r.warning, "upgrade your client");
  });

  it("reports an HTTP error status and a body that is not bencoding", async () => {
    const t = await tracker();
    t.handler = (_c, res) => {
      res.statusCode = 502;
      res.end("<html>bad gateway</html>");
    };
    await rejectsWith(announceHttp(t.url, params()), "http_status", /HTTP 502/);
    t.handler = (_c, res) => res.end("<html>not a tracker</html>");
    await rejectsWith(announceHttp(t.url, params()), "invalid_reply");
  });

  it("follows up to 3 redirects, refuses a 4th and non-http targets", async () => {
    const target = await tracker();
    const hop = await tracker();
    hop.handler = (call, res) => {
      const n = Number(/^\/r(\d+)$/.exec(call.path)?.[1] ?? 0);
      const next = n > 1 ? `/r${n - 1}` : target.url;
      res.writeHead(n === 2 ? 307 : 302, { Location: `${next}?${call.query}` });
      res.end();
    };
    const r = await announceHttp(`http://127.0.0.1:${hop.port}/r3`, params());
    assert.deepEqual(r.peers, []);
    assert.equal(target.calls.length, 1);
    assert.ok(target.calls[0]!.announce!.infoHash.equals(infoHash));
    await rejectsWith(
      announceHttp(`http://127.0.0.1:${hop.port}/r4`, params()),
      "too_many_redirects",
    );
    assert.equal(target.calls.length, 1);
    hop.handler = (_c, res) => {
      res.writeHead(302, { Location: "ftp://127.0.0.1/announce" });
      res.end();
    };
    await rejectsWith(announceHttp(hop.url, params()), "bad_redirect", /ftp/);
  });

  it("refuses a reply over the size cap, declared or streamed", async () => {
    const t = await tracker();
    t.handler = (_c, res) => {
      res.setHeader("Content-Length", 5000);
      res.end(Buffer.alloc(5000, 0x61));
    };
    await rejectsWith(announceHttp(t.url, params(), { maxBytes: 4096 }), "reply_too_large");
    t.handler = (_c, res) => {
      // Chunked, no Content-Length: the cap must hold while reading.
      res.write(Buffer.alloc(3000, 0x61));
      res.end(Buffer.alloc(3000, 0x61));
    };
    await rejectsWith(announceHttp(t.url, params(), { maxBytes: 4096 }), "reply_too_large");
    // At the cap exactly it is read (and then judged as a reply).
    const body = buildAnnounceReply({ interval: 60 });
    t.handler = (_c, res) => res.end(body);
    await announceHttp(t.url, params(), { maxBytes: body.length });
  });

  it("times out when the tracker never answers", async () => {
    const t = await tracker();
    t.handler = () => {};
    const started = performance.now();
    await rejectsWith(announceHttp(t.url, params(), { timeoutMs: 150 }), "timeout", /150 ms/);
    // It ends (the tracker never would): loose, as timers run late on a loaded machine.
    assert.ok(performance.now() - started < 10_000);
  });

  it("reports a refused connection as a network error, and an abort as aborted", async () => {
    const port = await deadPort();
    await rejectsWith(announceHttp(`http://127.0.0.1:${port}/announce`, params()), "network");
    const t = await tracker();
    t.handler = () => {};
    const ac = new AbortController();
    const p = announceHttp(t.url, params(), { signal: ac.signal });
    setTimeout(() => ac.abort(), 20);
    await rejectsWith(p, "aborted");
  });

  it("refuses schemes other than http and https", async () => {
    await rejectsWith(announceHttp("wss://127.0.0.1:1/announce", params()), "unsupported_scheme");
    await rejectsWith(httpGet("not a url"), "invalid_url");
  });
});

describe("scrapeHttp", () => {
  it("derives the scrape URL (BEP 48) and returns the counts", async () => {
    const t = await tracker();
    t.handler = (call, res) => {
      assert.equal(call.path, "/scrape");
      res.end(buildScrapeReply([{ infoHash, complete: 7, downloaded: 9, incomplete: 8 }]));
    };
    const files = await scrapeHttp(t.url, [infoHash]);
    assert.equal(files.length, 1);
    assert.ok(files[0]!.infoHash.equals(infoHash));
    assert.deepEqual([files[0]!.complete, files[0]!.downloaded, files[0]!.incomplete], [7, 9, 8]);
    assert.match(t.calls[0]!.query, /^info_hash=%00%FF~%25A%26N%2F%3F%DE%80%C0%FF%EE%11%223D%AAU$/);
  });

  it("says so when the announce URL has no scrape form", async () => {
    await rejectsWith(scrapeHttp("http://127.0.0.1:1/tracker", [infoHash]), "unsupported_scheme");
  });
});
