import assert from "node:assert/strict";
import { test } from "node:test";
import { clampCounter, counterFromWords, MAX_COUNTER } from "./counters.ts";
import { newAnnounceFields, readAnnounceQuery } from "./http-query.ts";
import { encodeAnnounceRequest, readU64 } from "./udp.ts";

test("64-bit counters are clamped to 2^53 − 1 wherever they are decoded", () => {
  const f = newAnnounceFields();
  const q = Buffer.from(
    `info_hash=${"a".repeat(20)}&peer_id=${"b".repeat(20)}&port=1` +
      "&left=9007199254740993&uploaded=18446744073709551615&downloaded=99999999999999999999",
  );
  assert.equal(readAnnounceQuery(q, 0, q.length, f), null);
  assert.deepEqual([f.left, f.uploaded, f.downloaded], [MAX_COUNTER, MAX_COUNTER, MAX_COUNTER]);
  const exact = Buffer.from(
    `info_hash=${"a".repeat(20)}&peer_id=${"b".repeat(20)}&port=1&left=9007199254740991`,
  );
  readAnnounceQuery(exact, 0, exact.length, f);
  assert.equal(f.left, 9007199254740991);

  assert.equal(readU64(Buffer.alloc(8, 0xff), 0), MAX_COUNTER);
  assert.equal(counterFromWords(0x1f_ffff, 0xffff_ffff), MAX_COUNTER);
  assert.equal(counterFromWords(0x20_0000, 0), MAX_COUNTER);
  assert.equal(counterFromWords(1, 2), 2 ** 32 + 2);
});

test("the UDP encoder saturates instead of wrapping", () => {
  const packet = encodeAnnounceRequest({
    connectionId: Buffer.alloc(8),
    transactionId: 1,
    infoHash: Buffer.alloc(20),
    peerId: Buffer.alloc(20),
    downloaded: 2 ** 64,
    left: 2 ** 70,
    uploaded: -5,
    event: "none",
    port: 1,
  });
  assert.deepEqual(packet.subarray(56, 72), Buffer.alloc(16, 0xff));
  assert.deepEqual(packet.subarray(72, 80), Buffer.alloc(8));
});

test("stored values: bigints and numbers clamped, anything else refused", () => {
  assert.equal(clampCounter(2n ** 62n), MAX_COUNTER);
  assert.equal(clampCounter(5n), 5);
  assert.equal(clampCounter(1e300), MAX_COUNTER);
  assert.equal(clampCounter(-7, -1), -1);
  assert.equal(clampCounter(-7n, -1), -1);
  assert.equal(clampCounter(3), 3);
  for (const bad of [
    "5",
    1.5,
    Number.NaN,
    Number.POSITIVE_INFINITY,
    null,
    undefined,
    Buffer.alloc(1),
  ]) {
    assert.equal(clampCounter(bad), undefined, String(bad));
  }
});
