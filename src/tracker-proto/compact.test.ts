import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import {
  decodeCompactPeers,
  encodeCompactPeer,
  encodeCompactPeers,
  formatIPv6,
  normalizeIp,
  parseIPv4,
  parseIPv6,
} from "./compact.ts";

test("BEP 23: an IPv4 peer is 4 address bytes then the port, big endian", () => {
  assert.deepEqual(encodeCompactPeer("10.1.2.3", 0x1ae1), Buffer.from([10, 1, 2, 3, 0x1a, 0xe1]));
  assert.deepEqual(decodeCompactPeers(Buffer.from([10, 1, 2, 3, 0x1a, 0xe1, 9]), 4), [
    { ip: "10.1.2.3", port: 6881 },
  ]);
});

test("BEP 7: an IPv6 peer is 16 address bytes then the port", () => {
  const e = encodeCompactPeer("2001:db8::1", 443)!;
  assert.equal(e.length, 18);
  assert.deepEqual(decodeCompactPeers(e, 6), [{ ip: "2001:db8::1", port: 443 }]);
});

test("addresses: strict IPv4, all IPv6 text forms, IPv4-mapped becomes IPv4", () => {
  for (const bad of ["1.2.3", "1.2.3.4.5", "256.1.1.1", "01.1.1.1", "a.b.c.d", "", "1..2.3"]) {
    assert.equal(parseIPv4(bad), undefined, bad);
  }
  assert.equal(parseIPv6("::1")?.toString("hex"), `${"00".repeat(15)}01`);
  assert.equal(parseIPv6("::ffff:1.2.3.4")?.toString("hex"), `${"00".repeat(10)}ffff01020304`);
  assert.equal(parseIPv6("fe80::1%eth0"), undefined);
  assert.equal(parseIPv6("1:2:3:4:5:6:7:8:9"), undefined);
  assert.deepEqual(normalizeIp("::ffff:127.0.0.1"), {
    family: 4,
    bytes: Buffer.from([127, 0, 0, 1]),
  });
  assert.equal(formatIPv6(parseIPv6("2001:0db8:0:0:1:0:0:1")!), "2001:db8::1:0:0:1");
  assert.equal(formatIPv6(Buffer.alloc(16)), "::");
});

test("property: compact encode → decode round-trips, per family", () => {
  const v4 = fc.ipV4().map((ip) => ip);
  fc.assert(
    fc.property(
      fc.array(fc.record({ ip: v4, port: fc.integer({ min: 0, max: 65535 }) })),
      (peers) => {
        const norm = peers
          .map((p) => ({ ip: parseIPv4(p.ip) ? p.ip : "", port: p.port }))
          .filter((p) => p.ip);
        assert.deepEqual(decodeCompactPeers(encodeCompactPeers(norm, 4), 4), norm);
      },
    ),
  );
  fc.assert(
    fc.property(
      fc.uint8Array({ minLength: 16, maxLength: 16 }),
      fc.integer({ min: 0, max: 65535 }),
      (addr, port) => {
        const text = formatIPv6(addr);
        const back = normalizeIp(text);
        assert.ok(back);
        if (back.family === 6) {
          assert.deepEqual(back.bytes, Buffer.from(addr));
          assert.deepEqual(decodeCompactPeers(encodeCompactPeer(text, port)!, 6), [
            { ip: text, port },
          ]);
        }
      },
    ),
  );
});
