import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { decode } from "../bencode/index.ts";
import {
  buildAnnounceReply,
  buildFailureReply,
  buildScrapeReply,
  COMPACT_REPLY_OVERHEAD,
  parseAnnounceReply,
  parseScrapeReply,
  writeCompactAnnounceReply,
} from "./http-reply.ts";

test("compact reply: canonical bencoding (the strict decoder accepts it), peers and peers6", () => {
  const body = buildAnnounceReply({
    interval: 1800,
    minInterval: 900,
    complete: 1,
    incomplete: 2,
    downloaded: 3,
    peers: Buffer.from([10, 0, 0, 1, 0x1a, 0xe1]),
    peers6: Buffer.concat([Buffer.alloc(15), Buffer.from([1, 0x1a, 0xe2])]),
    warning: "ünïcode",
  });
  decode(body); // strict: sorted keys, no trailing data
  assert.deepEqual(parseAnnounceReply(body), {
    interval: 1800,
    minInterval: 900,
    complete: 1,
    incomplete: 2,
    downloaded: 3,
    warning: "ünïcode",
    peers: [
      { ip: "10.0.0.1", port: 6881 },
      { ip: "::1", port: 6882 },
    ],
  });
});

test("dictionary form (compact=0), with and without peer ids", () => {
  const id = Buffer.from("-TR3000-abcdefghijkl");
  const body = buildAnnounceReply({
    interval: 60,
    peerList: [
      { ip: "10.0.0.1", port: 1, peerId: id },
      { ip: "::1", port: 2 },
    ],
  });
  decode(body);
  assert.deepEqual(parseAnnounceReply(body).peers, [
    { ip: "10.0.0.1", port: 1, peerId: id },
    { ip: "::1", port: 2 },
  ]);
});

test("failure reason", () => {
  assert.equal(buildFailureReply("no").toString(), "d14:failure reason2:noe");
  assert.equal(parseAnnounceReply(buildFailureReply("bad ✗")).failureReason, "bad ✗");
});

test("BEP 48 scrape reply: files keyed by raw info hash, sorted, de-duplicated", () => {
  const a = Buffer.alloc(20, 0xff);
  const b = Buffer.alloc(20, 0x01);
  const body = buildScrapeReply([
    { infoHash: a, complete: 1, downloaded: 2, incomplete: 3 },
    { infoHash: b, complete: 4, downloaded: 5, incomplete: 6 },
    { infoHash: a, complete: 1, downloaded: 2, incomplete: 3 },
  ]);
  decode(body); // strict decoding proves the keys are sorted
  assert.deepEqual(parseScrapeReply(body).files, [
    { infoHash: b, complete: 4, downloaded: 5, incomplete: 6 },
    { infoHash: a, complete: 1, downloaded: 2, incomplete: 3 },
  ]);
});

test("garbage replies are refused with a TrackerProtoError", () => {
  assert.throws(() => parseAnnounceReply(Buffer.from("<html>")), { code: "invalid_reply" });
  assert.throws(() => parseAnnounceReply(Buffer.from("le")), { code: "invalid_reply" });
  assert.throws(() => parseScrapeReply(Buffer.from("de")), { code: "invalid_reply" });
});

test("property: the in-place compact reply is byte for byte buildAnnounceReply's", () => {
  const counts = fc.integer({ min: 0, max: 2 ** 40 });
  const fields = fc.record({
    interval: fc.integer({ min: 0, max: 100_000 }),
    minInterval: fc.integer({ min: 0, max: 100_000 }),
    complete: counts,
    incomplete: counts,
    downloaded: counts,
    peers: fc.uint8Array({ maxLength: 6 * 60 }),
    peers6: fc.option(fc.uint8Array({ maxLength: 18 * 10 }), { nil: undefined }),
  });
  fc.assert(
    fc.property(fields, (r) => {
      const out = Buffer.alloc(COMPACT_REPLY_OVERHEAD + r.peers.length + (r.peers6?.length ?? 0));
      const peers = Buffer.from(r.peers);
      const peers6 = r.peers6 ? Buffer.from(r.peers6) : undefined;
      const end = writeCompactAnnounceReply(out, 0, {
        ...r,
        peers,
        peersLength: peers.length,
        peers6: peers6 ?? null,
        peers6Length: peers6?.length ?? 0,
      });
      assert.deepEqual(out.subarray(0, end), buildAnnounceReply({ ...r, peers, peers6 }));
    }),
  );
});
