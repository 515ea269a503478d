import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import {
  decodeUdpRequest,
  decodeUdpResponse,
  encodeAnnounceRequest,
  encodeAnnounceResponse,
  encodeConnectRequest,
  encodeConnectResponse,
  encodeErrorResponse,
  encodeScrapeRequest,
  encodeScrapeResponse,
  parseUdpOptions,
  UDP_PROTOCOL_ID,
  type UdpAnnounceRequest,
} from "./udp.ts";

const CID = Buffer.from("0102030405060708", "hex");

test("BEP 15 connect request: magic, action 0, transaction id", () => {
  const p = encodeConnectRequest(0xdeadbeef);
  assert.equal(p.length, 16);
  assert.equal(p.readBigUInt64BE(0), UDP_PROTOCOL_ID);
  assert.deepEqual(decodeUdpRequest(p), { action: "connect", transactionId: 0xdeadbeef });
  const wrongMagic = Buffer.from(p);
  wrongMagic[0] = 1;
  assert.equal(decodeUdpRequest(wrongMagic), undefined);
});

const announce: UdpAnnounceRequest = {
  connectionId: CID,
  transactionId: 7,
  infoHash: Buffer.alloc(20, 0xaa),
  peerId: Buffer.alloc(20, 0xbb),
  downloaded: 2 ** 40,
  left: 12345,
  uploaded: 0,
  event: "started",
  ip: 0,
  key: 0x1234,
  numwant: -1,
  port: 6881,
};

test("BEP 15 announce request: 98 bytes at the documented offsets, round-trips", () => {
  const p = encodeAnnounceRequest(announce);
  assert.equal(p.length, 98);
  assert.equal(p.readUInt32BE(8), 1);
  assert.equal(p.readUInt32BE(80), 2); // started
  assert.equal(p.readInt32BE(92), -1);
  assert.equal(p.readUInt16BE(96), 6881);
  assert.deepEqual(decodeUdpRequest(p), { action: "announce", ...announce });
  assert.equal(decodeUdpRequest(p.subarray(0, 97)), undefined, "short announce is dropped");
  const badEvent = Buffer.from(p);
  badEvent.writeUInt32BE(9, 80);
  assert.equal(decodeUdpRequest(badEvent), undefined);
});

test("BEP 41: URLData options are concatenated; NOP skipped; unknown types skipped by length", () => {
  const p = encodeAnnounceRequest({ ...announce, urlData: `/announce?${"x".repeat(300)}` });
  assert.equal(decodeUdpRequest(p)?.action, "announce");
  assert.equal((decodeUdpRequest(p) as UdpAnnounceRequest).urlData, `/announce?${"x".repeat(300)}`);
  const base = encodeAnnounceRequest(announce);
  const opts = Buffer.from([
    1, 1, 0x2, 2, 0x2f, 0x61, 0x77, 3, 1, 2, 3, 0x2, 1, 0x62, 0, 0x2, 1, 0x63,
  ]);
  assert.deepEqual(parseUdpOptions(Buffer.concat([base, opts])), { urlData: "/ab" });
  // A truncated option ends parsing without failing the packet.
  assert.deepEqual(parseUdpOptions(Buffer.concat([base, Buffer.from([2, 10, 0x61])])), {});
  assert.deepEqual(parseUdpOptions(Buffer.concat([base, Buffer.from([2])])), {});
});

test("BEP 15 scrape request/response", () => {
  const hashes = [Buffer.alloc(20, 1), Buffer.alloc(20, 2)];
  const p = encodeScrapeRequest({ connectionId: CID, transactionId: 9, infoHashes: hashes });
  assert.deepEqual(decodeUdpRequest(p), {
    action: "scrape",
    connectionId: CID,
    transactionId: 9,
    infoHashes: hashes,
  });
  assert.equal(decodeUdpRequest(p.subarray(0, 35)), undefined);
  const r = encodeScrapeResponse(9, [{ seeders: 1, completed: 2, leechers: 3 }]);
  assert.deepEqual(decodeUdpResponse(r, 4), {
    action: "scrape",
    transactionId: 9,
    files: [{ seeders: 1, completed: 2, leechers: 3 }],
  });
});

test("responses: connect, announce (IPv4 and IPv6 strides), error", () => {
  assert.deepEqual(decodeUdpResponse(encodeConnectResponse(5, CID), 4), {
    action: "connect",
    transactionId: 5,
    connectionId: CID,
  });
  const v4 = encodeAnnounceResponse({
    transactionId: 1,
    interval: 1800,
    leechers: 2,
    seeders: 3,
    peers: Buffer.from([127, 0, 0, 1, 0x1a, 0xe1]),
  });
  assert.deepEqual(decodeUdpResponse(v4, 4), {
    action: "announce",
    transactionId: 1,
    interval: 1800,
    leechers: 2,
    seeders: 3,
    peers: [{ ip: "127.0.0.1", port: 6881 }],
  });
  const v6peer = Buffer.concat([Buffer.alloc(15), Buffer.from([1, 0, 80])]);
  const v6 = encodeAnnounceResponse({
    transactionId: 1,
    interval: 1,
    leechers: 0,
    seeders: 1,
    peers: v6peer,
  });
  assert.deepEqual((decodeUdpResponse(v6, 6) as { peers: unknown }).peers, [
    { ip: "::1", port: 80 },
  ]);
  assert.deepEqual(decodeUdpResponse(encodeErrorResponse(3, "nope ✗"), 4), {
    action: "error",
    transactionId: 3,
    message: "nope ✗",
  });
  assert.equal(decodeUdpResponse(Buffer.alloc(7), 4), undefined);
});

test("a captured announce response (rqbit's fixture) decodes as its test expects", (t) => {
  const path = fileURLToPath(
    new URL(
      "../../../shared/corpus/wire/rqbit/tracker_comms/udp-tracker-announce-response.bin",
      import.meta.url,
    ),
  );
  if (!existsSync(path)) return t.skip(`corpus not found at ${path}`);
  const r = decodeUdpResponse(readFileSync(path), 4);
  assert.ok(r && r.action === "announce");
  assert.equal(r.transactionId, 0xe594dd14);
  assert.equal(r.interval, 1652);
  assert.equal(r.leechers, 257);
  assert.equal(r.seeders, 3341);
  assert.equal(r.peers.length, 200);
});

test("property: decodeUdpRequest never throws on arbitrary bytes", () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ maxLength: 200 }),
      fc.integer({ min: 0, max: 4 }),
      (bytes, action) => {
        const b = Buffer.from(bytes);
        if (b.length >= 12) b.writeUInt32BE(action, 8);
        decodeUdpRequest(b);
        decodeUdpResponse(b, 4);
        decodeUdpResponse(b, 6);
      },
    ),
    { numRuns: 2000 },
  );
});

test("property: announce requests round-trip", () => {
  fc.assert(
    fc.property(
      fc.record({
        transactionId: fc.nat({ max: 0xffffffff }),
        infoHash: fc.uint8Array({ minLength: 20, maxLength: 20 }).map((a) => Buffer.from(a)),
        peerId: fc.uint8Array({ minLength: 20, maxLength: 20 }).map((a) => Buffer.from(a)),
        downloaded: fc.maxSafeNat(),
        left: fc.maxSafeNat(),
        uploaded: fc.maxSafeNat(),
        event: fc.constantFrom("none", "completed", "started", "stopped" as const),
        ip: fc.nat({ max: 0xffffffff }),
        key: fc.nat({ max: 0xffffffff }),
        numwant: fc.integer({ min: -1, max: 1000 }),
        port: fc.integer({ min: 0, max: 65535 }),
      }),
      (r) => {
        const req = { ...r, connectionId: CID };
        assert.deepEqual(decodeUdpRequest(encodeAnnounceRequest(req)), {
          action: "announce",
          ...req,
        });
      },
    ),
  );
});
