import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import {
  formatEndpoint,
  formatIPv4,
  formatIPv6,
  ipv4Latin1,
  normalizeIp,
  parseIPv4,
  parseIPv6,
} from "./address.ts";

test("ipv4Latin1: one char per byte; exactly four parts of 0-255 without leading zeros", () => {
  assert.equal(ipv4Latin1("10.1.2.255"), "\x0a\x01\x02\xff");
  assert.equal(ipv4Latin1("0.0.0.0"), "\0\0\0\0");
  for (const bad of [
    "1.2.3",
    "1.2.3.4.5",
    "256.1.1.1",
    "01.1.1.1",
    "1.00.1.1",
    "1234.1.1.1",
    "a.b.c.d",
    "",
    "1..2.3",
    "1.2.3.4.",
    "::1",
    " 1.2.3.4",
  ]) {
    assert.equal(ipv4Latin1(bad), undefined, bad);
    assert.equal(parseIPv4(bad), undefined, bad);
  }
});

test("property: every dotted quad parses to its bytes and formats back", () => {
  fc.assert(
    fc.property(fc.ipV4(), (ip) => {
      const bytes = parseIPv4(ip);
      assert.ok(bytes, ip);
      assert.equal(bytes.toString("latin1"), ipv4Latin1(ip));
      assert.equal(formatIPv4(bytes), ip);
    }),
  );
});

test("property: IPv6 text forms parse to 16 bytes that format back to the same bytes", () => {
  fc.assert(
    fc.property(fc.ipV6(), (ip) => {
      const bytes = parseIPv6(ip);
      assert.ok(bytes, ip);
      assert.deepEqual(parseIPv6(formatIPv6(bytes)), bytes);
    }),
  );
});

test("normalizeIp: IPv4-mapped IPv6 is IPv4; zone ids and junk are not addresses", () => {
  assert.deepEqual(normalizeIp("::ffff:10.1.2.3"), {
    family: 4,
    bytes: Buffer.from([10, 1, 2, 3]),
  });
  assert.equal(normalizeIp("::1")?.family, 6);
  assert.equal(normalizeIp("fe80::1%eth0"), undefined);
  assert.equal(normalizeIp("example.org"), undefined);
});

test("formatEndpoint: IPv6 in brackets, IPv4 and names as they are", () => {
  assert.equal(formatEndpoint("127.0.0.1", 6881), "127.0.0.1:6881");
  assert.equal(formatEndpoint("::1", 6881), "[::1]:6881");
  assert.equal(formatEndpoint("2001:db8::1", 0), "[2001:db8::1]:0");
  assert.equal(formatEndpoint("tracker.example", 80), "tracker.example:80");
});
