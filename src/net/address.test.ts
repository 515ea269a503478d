import assert from "node:assert/strict";
import { test } from "node:test";
import { addressFromCompact, compactAddress } from "./address.ts";

test("compactAddress: IPv4, IPv4-mapped, IPv6 forms; back again", () => {
  assert.deepEqual(compactAddress("127.0.0.1"), Buffer.from([127, 0, 0, 1]));
  assert.deepEqual(compactAddress("::ffff:10.1.2.3"), Buffer.from([10, 1, 2, 3]));
  assert.equal(compactAddress("::1")?.toString("hex"), `${"00".repeat(15)}01`);
  assert.equal(
    compactAddress("2001:db8::8a2e:370:7334")?.toString("hex"),
    "20010db80000000000008a2e03707334",
  );
  assert.equal(
    compactAddress("fe80::1:2:3:4:5:6")?.toString("hex"),
    "fe800000000100020003000400050006",
  );
  assert.equal(compactAddress("not an ip"), undefined);
  assert.equal(compactAddress(undefined), undefined);
  assert.equal(addressFromCompact(Buffer.from([1, 2, 3, 4])), "1.2.3.4");
  assert.equal(addressFromCompact(compactAddress("2001:db8::1")!), "2001:db8:0:0:0:0:0:1");
  assert.equal(addressFromCompact(Buffer.alloc(5)), undefined);
});
