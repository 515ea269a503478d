import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, it } from "node:test";
import fc from "fast-check";
import {
  decodeKrpc,
  encodeKrpc,
  isRefusal,
  KRPC_ERROR,
  type KrpcMessage,
  type KrpcQuery,
  type KrpcResponse,
} from "./index.ts";

const CAPTURES = resolve(import.meta.dirname, "../../../shared/corpus/wire/rqbit/dht");
const capturesSkip = existsSync(CAPTURES) ? false : `DHT captures not found at ${CAPTURES}`;

function ok(bytes: Buffer | string): KrpcMessage {
  const m = decodeKrpc(Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes, "latin1"));
  if (isRefusal(m)) throw m.error;
  return m;
}

function refused(bytes: Buffer | string) {
  const m = decodeKrpc(Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes, "latin1"));
  assert.ok(isRefusal(m), `accepted: ${Buffer.from(bytes).toString("latin1")}`);
  assert.equal(m.error.code, "malformed");
  return m;
}

const ID = "a".repeat(20);
const T = "1:t2:aa";

describe("KRPC codec: captures of rqbit's DHT (../shared/corpus)", { skip: capturesSkip }, () => {
  it("decodes every capture and re-encodes it byte for byte", () => {
    const files = capturesSkip ? [] : readdirSync(CAPTURES).filter((f) => f.endsWith(".bin"));
    assert.ok(files.length >= 6);
    for (const f of files) {
      const bytes = readFileSync(join(CAPTURES, f));
      const m = ok(bytes);
      assert.deepEqual(encodeKrpc(m), bytes, f);
    }
  });

  it("reads the fields the captures hold", () => {
    const q = ok(readFileSync(join(CAPTURES, "find_node_request.bin"))) as KrpcQuery;
    assert.equal(q.q, "find_node");
    assert.equal(q.target?.length, 20);
    const r1 = ok(readFileSync(join(CAPTURES, "find_node_response_1.bin"))) as KrpcResponse;
    assert.equal(r1.nodes?.length, 8);
    assert.equal(r1.v?.length, 4);
    const r2 = ok(readFileSync(join(CAPTURES, "find_node_response_2.bin"))) as KrpcResponse;
    assert.equal(r2.nodes?.length, 16);
    assert.ok(r2.ip, "BEP 42 ip");
    const g = ok(readFileSync(join(CAPTURES, "get_peers_request_0.bin"))) as KrpcQuery;
    assert.equal(g.q, "get_peers");
    assert.equal(g.infoHash?.length, 20);
  });
});

describe("KRPC codec", () => {
  it("decodes BEP 5's example messages", () => {
    const ping = ok(`d1:ad2:id20:abcdefghij0123456789e1:q4:ping1:t2:aa1:y1:qe`) as KrpcQuery;
    assert.equal(ping.q, "ping");
    assert.equal(ping.t.toString(), "aa");
    const announce = ok(
      `d1:ad2:id20:abcdefghij012345678912:implied_porti1e9:info_hash20:mnopqrstuvwxyz1234564:porti6881e5:token8:aoeusnthe1:q13:announce_peer1:t2:aa1:y1:qe`,
    ) as KrpcQuery;
    assert.equal(announce.q, "announce_peer");
    assert.equal(announce.port, 6881);
    assert.equal(announce.impliedPort, true);
    assert.equal(announce.token?.toString(), "aoeusnth");
    const values = ok(
      `d1:rd2:id20:abcdefghij01234567895:token8:aoeusnth6:valuesl6:axje.u6:idhtnmee1:t2:aa1:y1:re`,
    ) as KrpcResponse;
    assert.equal(values.values?.length, 2);
    assert.equal(values.values?.[0]?.address, "97.120.106.101");
    const err = ok(`d1:eli201e23:A Generic Error Ocurrede1:t2:aa1:y1:ee`);
    assert.equal(err.y, "e");
    assert.equal(err.y === "e" && err.code, 201);
  });

  it("reads BEP 32 want and BEP 43 ro", () => {
    const q = ok(
      `d1:ad2:id20:${ID}2:roi1e6:target20:${ID}4:wantl2:n42:n62:xxee1:q9:find_node${T}1:y1:qe`,
    ) as KrpcQuery;
    assert.deepEqual(q.want, [4, 6]);
    assert.equal(q.readOnly, true);
  });

  // Every class of malformed input: each is refused, none throws.
  const malformedCases: [string, string][] = [
    ["not bencode", "hello"],
    ["not a dictionary", "li1ee"],
    ["trailing bytes", `d1:ad2:id20:${ID}e1:q4:ping${T}1:y1:qeXX`],
    ["unsorted keys", `d1:q4:ping1:ad2:id20:${ID}e${T}1:y1:qe`],
    ["no t", `d1:ad2:id20:${ID}e1:q4:ping1:y1:qe`],
    ["t too long", `d1:ad2:id20:${ID}e1:q4:ping1:t17:${"x".repeat(17)}1:y1:qe`],
    ["t not a string", `d1:ad2:id20:${ID}e1:q4:ping1:ti1e1:y1:qe`],
    ["no y", `d1:ad2:id20:${ID}e1:q4:ping${T}e`],
    ["unknown y", `d1:ad2:id20:${ID}e1:q4:ping${T}1:y1:ze`],
    ["query without a", `d1:q4:ping${T}1:y1:qe`],
    ["id too short", `d1:ad2:id19:${"a".repeat(19)}e1:q4:ping${T}1:y1:qe`],
    ["id not a string", `d1:ad2:idi5ee1:q4:ping${T}1:y1:qe`],
    ["find_node without target", `d1:ad2:id20:${ID}e1:q9:find_node${T}1:y1:qe`],
    [
      "get_peers info_hash too long",
      `d1:ad2:id20:${ID}9:info_hash21:${"b".repeat(21)}e1:q9:get_peers${T}1:y1:qe`,
    ],
    [
      "announce without token",
      `d1:ad2:id20:${ID}9:info_hash20:${ID}4:porti1ee1:q13:announce_peer${T}1:y1:qe`,
    ],
    [
      "announce port out of range",
      `d1:ad2:id20:${ID}9:info_hash20:${ID}4:porti70000e5:token2:xxe1:q13:announce_peer${T}1:y1:qe`,
    ],
    [
      "announce port 0",
      `d1:ad2:id20:${ID}9:info_hash20:${ID}4:porti0e5:token2:xxe1:q13:announce_peer${T}1:y1:qe`,
    ],
    [
      "token too long",
      `d1:ad2:id20:${ID}9:info_hash20:${ID}4:porti1e5:token65:${"k".repeat(65)}e1:q13:announce_peer${T}1:y1:qe`,
    ],
    ["want not a list", `d1:ad2:id20:${ID}6:target20:${ID}4:want2:n4e1:q9:find_node${T}1:y1:qe`],
    ["response without r", `d${T}1:y1:re`],
    ["nodes not a multiple of 26", `d1:rd2:id20:${ID}5:nodes25:${"n".repeat(25)}e${T}1:y1:re`],
    ["nodes6 not a multiple of 38", `d1:rd2:id20:${ID}6:nodes626:${"n".repeat(26)}e${T}1:y1:re`],
    ["values entry of 7 bytes", `d1:rd2:id20:${ID}6:valuesl7:abcdefgee${T}1:y1:re`],
    ["values not a list", `d1:rd2:id20:${ID}6:values6:abcdefe${T}1:y1:re`],
    ["too many values", `d1:rd2:id20:${ID}6:valuesl${"6:abcdef".repeat(201)}ee${T}1:y1:re`],
    ["error not a list", `d1:e3:bad${T}1:y1:ee`],
    ["error code not an integer", `d1:el3:abc3:bade${T}1:y1:ee`],
    ["too deep", `d1:ad2:idllleeee${T}1:y1:qe`],
    ["too large", `d1:ad2:id20:${ID}1:x3000:${"x".repeat(3000)}e1:q4:ping${T}1:y1:qe`],
  ];
  for (const [name, text] of malformedCases) {
    it(`refuses: ${name}`, () => {
      refused(text);
    });
  }

  it("keeps the transaction id of a malformed query, to answer 203", () => {
    const m = refused(`d1:ad2:id19:${"a".repeat(19)}e1:q4:ping${T}1:y1:qe`);
    assert.equal(m.query, true);
    assert.equal(m.t?.toString(), "aa");
  });

  it("flags an unknown method for a 204", () => {
    const m = refused(`d1:ad2:id20:${ID}e1:q6:vote_x${T}1:y1:qe`);
    assert.equal(m.error.krpcCode, KRPC_ERROR.methodUnknown);
    assert.equal(m.t?.toString(), "aa");
  });
});

// --- properties ---------------------------------------------------------------

const id = fc.uint8Array({ minLength: 20, maxLength: 20 }).map((u) => Buffer.from(u));
const t = fc.uint8Array({ minLength: 1, maxLength: 16 }).map((u) => Buffer.from(u));
const port = fc.integer({ min: 1, max: 65535 });
const ipv4 = fc.ipV4().filter((a) => !/(^|\.)0\d/.test(a));
const node4 = fc.record({ id, address: ipv4, port }).map((o) => ({ ...o }));
const peer4 = fc.record({ address: ipv4, port }).map((o) => ({ ...o }));

const query: fc.Arbitrary<KrpcMessage> = fc.oneof(
  fc.record({ t, y: fc.constant("q" as const), q: fc.constant("ping" as const), id }),
  fc.record({
    t,
    y: fc.constant("q" as const),
    q: fc.constant("find_node" as const),
    id,
    target: id,
  }),
  fc.record({
    t,
    y: fc.constant("q" as const),
    q: fc.constant("get_peers" as const),
    id,
    infoHash: id,
  }),
  fc.record({
    t,
    y: fc.constant("q" as const),
    q: fc.constant("announce_peer" as const),
    id,
    infoHash: id,
    port,
    impliedPort: fc.boolean(),
    token: fc.uint8Array({ minLength: 1, maxLength: 20 }).map((u) => Buffer.from(u)),
  }),
);
const response: fc.Arbitrary<KrpcMessage> = fc.record(
  {
    t,
    y: fc.constant("r" as const),
    id,
    nodes: fc.array(node4, { maxLength: 8 }),
    values: fc.array(peer4, { maxLength: 30 }),
    token: fc.uint8Array({ minLength: 1, maxLength: 8 }).map((u) => Buffer.from(u)),
  },
  { requiredKeys: ["t", "y", "id"] },
);
const error: fc.Arbitrary<KrpcMessage> = fc.record({
  t,
  y: fc.constant("e" as const),
  code: fc.integer({ min: 201, max: 204 }),
  message: fc.string({ maxLength: 40 }),
});
const message = fc.oneof(query, response, error);

describe("KRPC codec: properties", () => {
  it("decode(encode(m)) gives m back", () => {
    fc.assert(
      fc.property(message, (m) => {
        const back = ok(encodeKrpc(m));
        assert.deepEqual(back, { ...m });
      }),
      { numRuns: 500 },
    );
  });

  it("never throws on random bytes or on mutated messages", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (u) => {
        decodeKrpc(Buffer.from(u));
      }),
      { numRuns: 1000 },
    );
    fc.assert(
      fc.property(message, fc.nat(), fc.integer({ min: 0, max: 255 }), (m, at, byte) => {
        const bytes = encodeKrpc(m);
        bytes[at % bytes.length] = byte;
        decodeKrpc(bytes);
        decodeKrpc(bytes.subarray(0, at % bytes.length));
      }),
      { numRuns: 1000 },
    );
  });
});
