import assert from "node:assert/strict";
import { test } from "node:test";
import { sipHash24, sipKey } from "./siphash.ts";

// Reference vectors from the SipHash paper's appendix / reference code (key 00..0f,
// message 00..n-1), as little-endian 64-bit values.
const VECTORS: [number, string][] = [
  [0, "726fdb47dd0e0e31"],
  [1, "74f839c593dc67fd"],
  [2, "0d6c8009d9a94f5a"],
  [3, "85676696d7fb7e2d"],
  [15, "a129ca6149be45e5"],
  [63, "958a324ceb064572"],
];

test("SipHash-2-4 matches the reference vectors", () => {
  const key = sipKey(Buffer.from([...Array(16).keys()]));
  for (const [len, want] of VECTORS) {
    const msg = Buffer.from([...Array(len).keys()]);
    const [hi, lo] = sipHash24(key, msg);
    const got = hi!.toString(16).padStart(8, "0") + lo!.toString(16).padStart(8, "0");
    assert.equal(got, want, `length ${len}`);
  }
});

test("a different key gives a different MAC", () => {
  const msg = Buffer.from("127.0.0.1:6881");
  const a = sipHash24(sipKey(Buffer.alloc(16, 1)), msg);
  const b = sipHash24(sipKey(Buffer.alloc(16, 2)), msg);
  assert.notDeepEqual([...a], [...b]);
});
