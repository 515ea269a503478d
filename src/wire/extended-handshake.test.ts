import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { test } from "node:test";
import { WireError } from "./errors.ts";
import { decodeExtendedHandshake, encodeExtendedHandshake } from "./extended-handshake.ts";
import { WireFramer } from "./framer.ts";

const FIXTURE = resolve(
  import.meta.dirname,
  "../../../shared/corpus/wire/rqbit/librqbit/extended-handshake.bin",
);

test("extended handshake: our fields round-trip", () => {
  const payload = encodeExtendedHandshake({
    m: { ut_metadata: 1 },
    v: "shoal/0.1.0",
    reqq: 500,
    p: 6881,
    yourip: Buffer.from([127, 0, 0, 1]),
  });
  assert.equal(
    payload.toString("latin1"),
    "d1:md11:ut_metadatai1ee1:pi6881e4:reqqi500e1:v11:shoal/0.1.06:yourip4:\x7f\x00\x00\x01e",
  );
  const h = decodeExtendedHandshake(payload);
  assert.deepEqual([...h.m], [["ut_metadata", 1]]);
  assert.equal(h.v, "shoal/0.1.0");
  assert.equal(h.reqq, 500);
  assert.equal(h.p, 6881);
  assert.deepEqual(h.yourip, Buffer.from([127, 0, 0, 1]));
});

test("extended handshake: qBittorrent's, captured by rqbit (corpus)", (t) => {
  if (!existsSync(FIXTURE)) {
    t.skip(`corpus absent: ${FIXTURE}`);
    return;
  }
  const framer = new WireFramer({ handshake: false });
  framer.push(readFileSync(FIXTURE));
  const frame = framer.next();
  assert.ok(frame?.kind === "message" && frame.message.type === "extended");
  assert.equal(frame.message.id, 0);
  const h = decodeExtendedHandshake(frame.message.payload);
  assert.equal(h.v, "qBittorrent/4.4.0alpha1");
  assert.equal(h.reqq, 500);
  assert.equal(h.metadataSize, 138876);
  assert.equal(h.m.get("ut_metadata"), 2);
  assert.equal(h.m.get("ut_pex"), 1);
  assert.equal(h.m.get("lt_donthave"), 7);
  assert.equal(h.yourip?.length, 4);
});

test("extended handshake: wrong types are ignored, a non-dictionary is an error", () => {
  const h = decodeExtendedHandshake(
    Buffer.from("d1:md1:ai300e1:bi-1e1:ci3ee1:pi0e4:reqq3:abc1:vi5e6:yourip3:abce"),
  );
  assert.equal(h.m.get("c"), 3);
  assert.equal(h.m.size, 1);
  assert.equal(h.p, undefined);
  assert.equal(h.reqq, undefined);
  assert.equal(h.v, undefined);
  assert.equal(h.yourip, undefined);
  assert.throws(() => decodeExtendedHandshake(Buffer.from("li1ee")), WireError);
  assert.throws(() => decodeExtendedHandshake(Buffer.from("d1:m")), {
    code: "bad_extended_message",
  });
});
