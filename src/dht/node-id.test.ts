import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  commonPrefixBits,
  compareDistance,
  crc32c,
  idInBucket,
  isLocalAddress,
  nodeIdForAddress,
  nodeIdMatchesAddress,
} from "./index.ts";

const hex = (s: string) => Buffer.from(s, "hex");

describe("node ids", () => {
  it("orders by XOR distance", () => {
    const target = hex("00".repeat(20));
    const a = hex(`01${"00".repeat(19)}`);
    const b = hex(`02${"00".repeat(19)}`);
    assert.ok(compareDistance(target, a, b) < 0);
    assert.ok(compareDistance(target, b, a) > 0);
    assert.equal(compareDistance(target, a, a), 0);
    // Far on the first byte beats near on every later one.
    const c = hex(`00${"ff".repeat(19)}`);
    assert.ok(compareDistance(target, c, a) < 0);
  });

  it("counts common prefix bits", () => {
    const a = hex(`80${"00".repeat(19)}`);
    assert.equal(commonPrefixBits(a, a), 160);
    assert.equal(commonPrefixBits(a, hex("00".repeat(20))), 0);
    assert.equal(commonPrefixBits(hex(`0000010${"0".repeat(33)}`), hex("00".repeat(20))), 23);
  });

  it("makes an id in a given bucket", () => {
    const base = Buffer.alloc(20, 0x5a);
    for (const bits of [0, 1, 7, 8, 9, 77, 159]) {
      const id = idInBucket(base, bits, Buffer.alloc(20, 0xc3));
      assert.equal(commonPrefixBits(base, id), bits, `prefix ${bits}`);
    }
  });

  it("computes CRC-32C (RFC 3720 check value)", () => {
    assert.equal(crc32c(Buffer.from("123456789")), 0xe3069283);
  });

  // BEP 42's own table of example ids (first 21 bits and the last byte fixed).
  const examples: [string, number, string][] = [
    ["124.31.75.21", 1, "5fbfbff10c5d6a4ec8a88e4c6ab4c28b95eee401"],
    ["21.75.31.124", 86, "5a3ce9c14e7a08645677bbd1cfe7d8f956d53256"],
    ["65.23.51.170", 22, "a5d43220bc8f112a3d426c84764f8c2a1150e616"],
    ["84.124.73.14", 65, "1b0321dd1bb1fe518101ceef99462b947a01ff41"],
    ["43.213.53.83", 90, "e56f6cbf5b7c4be0237986d5243b87aa6d51305a"],
  ];
  it("matches BEP 42's example ids", () => {
    for (const [ip, r, id] of examples) {
      const want = hex(id);
      assert.ok(nodeIdMatchesAddress(want, ip), ip);
      const random = Buffer.from(want);
      random[19] = r;
      const made = nodeIdForAddress(ip, random);
      assert.deepEqual(made.subarray(0, 2), want.subarray(0, 2), ip);
      assert.equal(made[2]! & 0xf8, want[2]! & 0xf8, ip);
      assert.equal(made[19], r);
      // Another address does not fit the id.
      assert.ok(!nodeIdMatchesAddress(want, "1.2.3.4"));
    }
  });

  it("exempts local addresses from BEP 42", () => {
    for (const ip of [
      "10.1.2.3",
      "127.0.0.1",
      "172.20.0.1",
      "192.168.1.1",
      "169.254.0.9",
      "::1",
      "fd00::1",
      "fe80::1",
    ]) {
      assert.ok(isLocalAddress(ip), ip);
      assert.ok(nodeIdMatchesAddress(Buffer.alloc(20), ip), ip);
    }
    for (const ip of ["8.8.8.8", "172.32.0.1", "2001:db8::1"]) assert.ok(!isLocalAddress(ip), ip);
  });

  it("makes BEP 42 ids for IPv6 that check", () => {
    const id = nodeIdForAddress("2001:db8::7", Buffer.alloc(20, 0x3c));
    assert.ok(nodeIdMatchesAddress(id, "2001:db8::7"));
  });
});
