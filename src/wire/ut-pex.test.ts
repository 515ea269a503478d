import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { encode } from "../bencode/index.ts";
import { formatIPv4, formatIPv6 } from "../util/index.ts";
import {
  decodePex,
  encodePex,
  MAX_PEX_CONTACTS,
  MAX_PEX_PAYLOAD,
  type PexContact,
  PexError,
  PexFlags,
  type PexMessage,
} from "./ut-pex.ts";

const ipv4 = fc.uint8Array({ minLength: 4, maxLength: 4 }).map((b) => formatIPv4(b));
const ipv6 = fc.uint8Array({ minLength: 16, maxLength: 16 }).map((b) => formatIPv6(b));
const port = fc.integer({ min: 0, max: 65535 });
const contact: fc.Arbitrary<PexContact> = fc.record({ ip: fc.oneof(ipv4, ipv6), port });
const key = (c: PexContact) => `${c.ip}|${c.port}`;

/** Messages BEP 11 allows: no contact both added and dropped, none listed twice. */
const message: fc.Arbitrary<PexMessage> = fc
  .record({
    added: fc.uniqueArray(
      fc.record({ ip: fc.oneof(ipv4, ipv6), port, flags: fc.integer({ min: 0, max: 255 }) }),
      { maxLength: 40, selector: key },
    ),
    dropped: fc.uniqueArray(contact, { maxLength: 40, selector: key }),
  })
  .map((m) => {
    const added = new Set(m.added.map(key));
    return { added: m.added, dropped: m.dropped.filter((c) => !added.has(key(c))) };
  });

/** Sorted by family as the wire carries them: IPv4 lists first, then IPv6. */
function byFamily<T extends PexContact>(list: T[]): T[] {
  // Plain objects: fast-check's records have no prototype.
  list = list.map((c) => ({ ...c }));
  return [...list.filter((c) => !c.ip.includes(":")), ...list.filter((c) => c.ip.includes(":"))];
}

function refused(payload: Uint8Array, code: string): void {
  assert.throws(
    () => decodePex(payload),
    (err: unknown) => err instanceof PexError && err.code === code,
  );
}

const v4 = (a: number, b: number, c: number, d: number, p: number) =>
  Buffer.from([a, b, c, d, p >> 8, p & 0xff]);

test("ut_pex: every allowed message round-trips, each list in its family", () => {
  fc.assert(
    fc.property(message, (m) => {
      const decoded = decodePex(encodePex(m));
      assert.deepEqual(decoded.added, byFamily(m.added));
      assert.deepEqual(decoded.dropped, byFamily(m.dropped));
    }),
    { numRuns: 300 },
  );
});

test("ut_pex: the wire form is BEP 11's, with flags beside every added list", () => {
  const payload = encodePex({
    added: [
      { ip: "10.0.0.1", port: 6881, flags: PexFlags.seed | PexFlags.reachable },
      { ip: "::1", port: 51413, flags: PexFlags.utp },
    ],
    dropped: [{ ip: "192.168.1.2", port: 80 }],
  });
  const expected = encode({
    added: v4(10, 0, 0, 1, 6881),
    "added.f": Buffer.from([0x12]),
    added6: Buffer.concat([Buffer.alloc(15), Buffer.from([1, 0xc8, 0xd5])]),
    "added6.f": Buffer.from([0x04]),
    dropped: v4(192, 168, 1, 2, 80),
  });
  assert.deepEqual(payload, expected);
  // Nothing to say still names a list (BEP 11: at least one of the four).
  assert.equal(encodePex({ added: [], dropped: [] }).toString("latin1"), "d5:added0:7:added.f0:e");
});

test("ut_pex: what other clients send decodes (libtorrent names every list, empty or not)", () => {
  const m = decodePex(
    encode({
      added: v4(1, 2, 3, 4, 5),
      "added.f": Buffer.from([0x01]),
      added6: Buffer.alloc(0),
      "added6.f": Buffer.alloc(0),
      dropped: v4(5, 6, 7, 8, 9),
      dropped6: Buffer.alloc(0),
    }),
  );
  assert.deepEqual(m.added, [{ ip: "1.2.3.4", port: 5, flags: PexFlags.encryption }]);
  assert.deepEqual(m.dropped, [{ ip: "5.6.7.8", port: 9 }]);
  // added.f is optional: no flags claimed.
  assert.deepEqual(decodePex(encode({ added: v4(1, 2, 3, 4, 5) })).added, [
    { ip: "1.2.3.4", port: 5, flags: 0 },
  ]);
  // Keys out of order (some clients) are read all the same; unknown keys are ignored.
  const unsorted = Buffer.from("d7:dropped0:5:added6:\x01\x02\x03\x04\x00\x05e", "latin1");
  assert.equal(decodePex(unsorted).added.length, 1);
  assert.equal(decodePex(encode({ added: Buffer.alloc(0), x: 1 })).added.length, 0);
});

test("ut_pex: every malformed class is refused", () => {
  refused(Buffer.from("d5:added"), "pex_not_bencode");
  refused(Buffer.from("i1e"), "pex_not_dict");
  refused(Buffer.from("le"), "pex_not_dict");
  refused(encode({}), "pex_empty");
  refused(encode({ "added.f": Buffer.from([1]) }), "pex_empty");
  for (const name of ["added", "added6", "dropped", "dropped6"]) {
    refused(encode({ [name]: 5 }), "pex_bad_field");
    refused(encode({ [name]: [Buffer.alloc(6)] }), "pex_bad_field");
  }
  refused(encode({ added: Buffer.alloc(0), "added.f": 1 }), "pex_bad_field");
  // Compact lengths: a partial contact anywhere spoils the list.
  refused(encode({ added: Buffer.alloc(7) }), "pex_bad_length");
  refused(encode({ added: Buffer.alloc(5) }), "pex_bad_length");
  refused(encode({ dropped: Buffer.alloc(13) }), "pex_bad_length");
  refused(encode({ added6: Buffer.alloc(17) }), "pex_bad_length");
  refused(encode({ added6: Buffer.alloc(6) }), "pex_bad_length");
  refused(encode({ dropped6: Buffer.alloc(19) }), "pex_bad_length");
  // One flags byte per added contact, exactly.
  refused(encode({ added: Buffer.alloc(12), "added.f": Buffer.alloc(1) }), "pex_bad_flags");
  refused(encode({ added: Buffer.alloc(6), "added.f": Buffer.alloc(2) }), "pex_bad_flags");
  refused(encode({ added6: Buffer.alloc(18), "added6.f": Buffer.alloc(0) }), "pex_bad_flags");
  refused(encode({ added: Buffer.alloc(0), "added6.f": Buffer.alloc(1) }), "pex_bad_flags");
  // BEP 11: an added contact must not be dropped in the same message.
  refused(
    encode({ added: v4(1, 2, 3, 4, 5), dropped: v4(1, 2, 3, 4, 5) }),
    "pex_added_and_dropped",
  );
});

test("ut_pex: size limits, named", () => {
  const full = Buffer.alloc(6 * MAX_PEX_CONTACTS, 1);
  assert.equal(decodePex(encode({ added: full })).added.length, MAX_PEX_CONTACTS);
  for (const [name, stride] of [
    ["added", 6],
    ["dropped", 6],
    ["added6", 18],
    ["dropped6", 18],
  ] as const) {
    refused(encode({ [name]: Buffer.alloc(stride * (MAX_PEX_CONTACTS + 1)) }), "pex_too_many");
  }
  const huge = encode({ added: Buffer.alloc(0), pad: Buffer.alloc(MAX_PEX_PAYLOAD) });
  refused(huge, "pex_too_large");
  // Deep nesting in an unknown key is refused by the decoder's limits, not walked.
  refused(Buffer.from(`d5:added0:1:x${"l".repeat(50)}${"e".repeat(50)}e`), "pex_not_bencode");
});

test("ut_pex: random bytes never escape as anything but a PexError", () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
      try {
        decodePex(bytes);
      } catch (err) {
        assert.ok(err instanceof PexError, String(err));
      }
    }),
    { numRuns: 500 },
  );
  // Mutations of a valid message: decoded or refused, never a crash.
  const valid = encodePex({
    added: [{ ip: "1.2.3.4", port: 5, flags: 2 }],
    dropped: [{ ip: "::2", port: 7 }],
  });
  fc.assert(
    fc.property(fc.nat(valid.length - 1), fc.integer({ min: 0, max: 255 }), (at, byte) => {
      const copy = Buffer.from(valid);
      copy[at] = byte;
      try {
        decodePex(copy);
      } catch (err) {
        assert.ok(err instanceof PexError, String(err));
      }
    }),
    { numRuns: 500 },
  );
});

test("ut_pex: an address that cannot be written is refused at encode", () => {
  assert.throws(
    () => encodePex({ added: [{ ip: "1.2.3", port: 1, flags: 0 }], dropped: [] }),
    PexError,
  );
  assert.throws(() => encodePex({ added: [], dropped: [{ ip: "::1", port: 70000 }] }), PexError);
});
