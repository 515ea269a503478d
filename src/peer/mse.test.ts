import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { test } from "node:test";
import { loadMemoryNetwork, type Transport } from "../net/index.ts";
import type { InfoHash } from "../util/index.ts";
import { type EncryptionPolicy, negotiateIncoming, negotiateOutgoing } from "./negotiate.ts";
import { opensslHasRc4, Rc4, rc4 } from "./rc4.ts";
import { ID_A, ID_B, INFO_HASH } from "./test-helpers.ts";

const { createMemoryPipe } = await loadMemoryNetwork();

const OTHER = Buffer.alloc(20, 7);

function negotiate(dial: EncryptionPolicy, accept: EncryptionPolicy, maxChunk?: number) {
  const [ta, tb] = createMemoryPipe(maxChunk ? { maxChunk } : {});
  const outgoing = negotiateOutgoing(ta, {
    peerId: ID_A,
    infoHash: INFO_HASH,
    encryption: dial,
    timeoutMs: 2000,
  });
  const incoming = negotiateIncoming(tb, {
    lookup: (h: InfoHash) =>
      h.equals(INFO_HASH) ? { peerId: ID_B, encryption: accept } : undefined,
    infoHashes: () => [OTHER, INFO_HASH],
    encryption: accept,
    timeoutMs: 2000,
  });
  return Promise.allSettled([outgoing, incoming]);
}

/** Bytes written on one side arrive as they were on the other. */
async function roundTrip(a: Transport, b: Transport, bytes: Buffer): Promise<void> {
  const got: Buffer[] = [];
  b.on("data", (c) => got.push(Buffer.from(c)));
  b.resume();
  a.writev([bytes.subarray(0, 100), bytes.subarray(100)]);
  for (let i = 0; i < 100 && Buffer.concat(got).length < bytes.length; i++) {
    await new Promise((r) => setImmediate(r));
  }
  assert.deepEqual(Buffer.concat(got), bytes);
}

test("RC4: the published test vectors (no drop), and OpenSSL's where Node has it", () => {
  const vectors: [string, string, string][] = [
    ["Key", "Plaintext", "bbf316e8d940af0ad3"],
    ["Wiki", "pedia", "1021bf0420"],
    ["Secret", "Attack at dawn", "45a01f645fc35b383552544b9bf5"],
  ];
  for (const [key, plain, cipher] of vectors) {
    assert.equal(new Rc4(Buffer.from(key)).update(Buffer.from(plain)).toString("hex"), cipher);
  }
  const key = randomBytes(20);
  const data = randomBytes(5000);
  const js = rc4(key, "js").update(data);
  assert.notDeepEqual(js, data);
  assert.deepEqual(rc4(key, "js").update(js), data, "its own inverse");
  if (opensslHasRc4()) assert.deepEqual(rc4(key, "auto").update(data), js);
});

test("MSE: prefer dials encrypted, enabled accepts: RC4 both ways, handshakes inside", async () => {
  const [a, b] = await negotiate("prefer", "enabled");
  assert.equal(a.status, "fulfilled");
  assert.equal(b.status, "fulfilled");
  const out = a.value;
  const inc = b.value;
  assert.ok(out.encrypted && inc.encrypted);
  assert.deepEqual(out.handshake.peerId, ID_B);
  assert.deepEqual(inc.handshake.peerId, ID_A);
  assert.deepEqual(inc.handshake.infoHash, INFO_HASH);
  const payload = randomBytes(40_000);
  await roundTrip(out.stream, inc.stream, payload);
  await roundTrip(inc.stream, out.stream, payload);
});

test("MSE: delivered a byte at a time, the handshake still finds its sync points", async () => {
  const [a, b] = await negotiate("required", "required", 1);
  assert.equal(a.status, "fulfilled", String((a as PromiseRejectedResult).reason));
  assert.equal(b.status, "fulfilled");
  assert.ok(a.value.encrypted && b.value.encrypted);
});

test("MSE: enabled dials plaintext, and a plaintext peer is accepted unless encryption is required", async () => {
  const [a, b] = await negotiate("enabled", "prefer");
  assert.equal(a.status, "fulfilled");
  assert.equal(b.status, "fulfilled");
  assert.ok(!a.value.encrypted && !b.value.encrypted);
  const [c, d] = await negotiate("enabled", "required");
  assert.equal(c.status, "rejected");
  assert.equal(d.status, "rejected");
  assert.equal((d.reason as { code: string }).code, "encryption_refused");
});

test("MSE: required meets disabled: refused both ways", async () => {
  const [a, b] = await negotiate("required", "disabled");
  assert.equal(a.status, "rejected");
  assert.equal(b.status, "rejected");
  assert.equal((b.reason as { code: string }).code, "bad_protocol");
  assert.match((a.reason as { code: string }).code, /mse_failed|closed/);
});

test("MSE: an encrypted handshake for a torrent we do not serve is refused", async () => {
  const [ta, tb] = createMemoryPipe();
  const results = await Promise.allSettled([
    negotiateOutgoing(ta, {
      peerId: ID_A,
      infoHash: OTHER,
      encryption: "required",
      timeoutMs: 2000,
    }),
    negotiateIncoming(tb, {
      lookup: () => undefined,
      infoHashes: () => [INFO_HASH],
      timeoutMs: 2000,
    }),
  ]);
  assert.equal(results[1].status, "rejected");
  assert.equal((results[1].reason as { code: string }).code, "info_hash_mismatch");
  assert.equal(results[0].status, "rejected");
});

test("MSE: random bytes instead of a handshake fail within the pad bound, not at the timeout", async () => {
  const [ta, tb] = createMemoryPipe();
  const started = Date.now();
  const incoming = negotiateIncoming(tb, {
    lookup: () => ({ peerId: ID_B }),
    infoHashes: () => [INFO_HASH],
    // A minute's timeout against a 20 s bound: "not at the timeout" with room for a loaded machine.
    timeoutMs: 60_000,
  });
  ta.on("data", () => {});
  ta.write(randomBytes(96 + 512 + 20 + 1));
  await assert.rejects(incoming, (err: { code: string }) => err.code === "mse_failed");
  assert.ok(Date.now() - started < 20_000);
});
