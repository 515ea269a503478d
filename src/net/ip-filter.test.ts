import assert from "node:assert/strict";
import { test } from "node:test";
import { gzipSync } from "node:zlib";
import fc from "fast-check";
import { IpFilter, ipv4Number, ipv6BigInt } from "./ip-filter.ts";

const DAT = `# eMule ipfilter.dat
001.002.003.000 - 001.002.003.255 , 000 , Some ISP
010.000.000.000 - 010.000.000.010 , 100 , lab
010.000.000.005 - 010.000.000.020 , 050 , overlapping, merged
192.168.000.000 - 192.168.255.255 , 200 , allowed: level above 127
2001:db8:: - 2001:db8::ffff , 000 , an IPv6 range
this line is not a range
`;

const P2P = `// PeerGuardian
Bad Corp: Europe:5.6.7.8-5.6.7.20
Other:8.8.0.0-8.8.255.255

not:a-range
`;

test("eMule DAT: blocked and allowed levels, zero padding, overlaps merged, IPv6", () => {
  const { filter, ranges, invalid } = IpFilter.parse(DAT);
  assert.equal(ranges, 5);
  assert.equal(invalid, 1);
  for (const ip of [
    "1.2.3.0",
    "1.2.3.255",
    "10.0.0.0",
    "10.0.0.15",
    "10.0.0.20",
    "2001:db8::1",
    "::ffff:1.2.3.4",
  ]) {
    assert.ok(filter.blocked(ip), ip);
  }
  for (const ip of ["1.2.4.0", "10.0.0.21", "192.168.1.1", "2001:db8::1:0", "::1", "garbage"]) {
    assert.ok(!filter.blocked(ip), ip);
  }
  assert.equal(filter.size, 3, "two IPv4 ranges after merging, one IPv6");
});

test("PeerGuardian P2P: the range after the last colon; gzipped lists read the same", () => {
  for (const data of [P2P, gzipSync(Buffer.from(P2P))]) {
    const { filter, ranges, invalid } = IpFilter.parse(data);
    assert.equal(ranges, 2);
    assert.equal(invalid, 1);
    assert.ok(filter.blocked("5.6.7.8") && filter.blocked("5.6.7.20") && filter.blocked("8.8.8.8"));
    assert.ok(!filter.blocked("5.6.7.21") && !filter.blocked("5.6.7.7"));
  }
});

test("bad gzip is one clear error", () => {
  assert.throws(
    () => IpFilter.parse(Buffer.from([0x1f, 0x8b, 1, 2, 3])),
    (err: { code: string }) => err.code === "bad_filter",
  );
});

test("address parsers: dotted quads with padding, IPv6 with :: and zones", () => {
  assert.equal(ipv4Number("001.002.003.004"), 0x01020304);
  assert.equal(ipv4Number("255.255.255.255"), 0xffffffff);
  for (const bad of ["256.0.0.0", "1.2.3", "1.2.3.4.5", "1..2.3", "1.2.3.4 ", "0001.2.3.4", ""]) {
    assert.equal(ipv4Number(bad), undefined, bad);
  }
  assert.equal(ipv6BigInt("::1"), 1n);
  assert.equal(ipv6BigInt("fe80::1%eth0"), (0xfe80n << 112n) | 1n);
  assert.equal(ipv6BigInt("1:2:3:4:5:6:7:8"), 0x00010002000300040005000600070008n);
  for (const bad of ["1::2::3", "12345::", "1:2:3:4:5:6:7", "g::1", "1.2.3.4"]) {
    assert.equal(ipv6BigInt(bad), undefined, bad);
  }
});

test("property: an address is blocked exactly when some blocking range holds it", () => {
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.integer({ min: 0, max: 5000 }), fc.integer({ min: 0, max: 300 })), {
        maxLength: 40,
      }),
      fc.array(fc.integer({ min: 0, max: 5400 }), { minLength: 1, maxLength: 50 }),
      (ranges, probes) => {
        const quad = (n: number) => `10.0.${n >> 8}.${n & 255}`;
        const text = ranges
          .map(([s, l]) => `x:${quad(s)}-${quad(Math.min(s + l, 0xffff))}`)
          .join("\n");
        const { filter } = IpFilter.parse(text);
        for (const p of probes) {
          const expected = ranges.some(([s, l]) => p >= s && p <= Math.min(s + l, 0xffff));
          assert.equal(filter.blocked(quad(p)), expected, quad(p));
        }
      },
    ),
  );
});
