import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { decodeMessage, encodeMessage, MAX_MESSAGE_ENTRIES } from "./dns-codec.ts";
import { DnsError } from "./dns-errors.ts";
import { MAX_POINTER_JUMPS, nameFromText, nameToText, readName } from "./dns-name.ts";
import {
  DNS_TYPE,
  type DnsMessage,
  type DnsName,
  type DnsRecord,
  QUERY_FLAGS,
  RESPONSE_FLAGS,
} from "./dns-types.ts";

const isMalformed = (err: unknown) => err instanceof DnsError && err.code === "malformed_message";

/** A header with the given counts, then `body`. */
function raw(counts: [number, number, number, number], body: number[]): Buffer {
  const h = Buffer.alloc(12);
  for (const [i, c] of counts.entries()) h.writeUInt16BE(c, 4 + 2 * i);
  return Buffer.concat([h, Buffer.from(body)]);
}

const SERVICE = nameFromText("_bittorrent-tracker._tcp.local");

describe("DNS codec", () => {
  it("reads a one-shot PTR query as dig writes it (RFC 1035 §4.1)", () => {
    // dig -p 5353 @224.0.0.251 _bittorrent-tracker._tcp.local PTR +noedns, id 0x1234, RD set.
    const bytes = Buffer.concat([
      Buffer.from([0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]),
      Buffer.from("\x13_bittorrent-tracker\x04_tcp\x05local\x00", "latin1"),
      Buffer.from([0, 12, 0, 1]),
    ]);
    const msg = decodeMessage(bytes);
    assert.equal(msg.id, 0x1234);
    assert.equal(msg.flags.response, false);
    assert.equal(msg.flags.recursionDesired, true);
    assert.deepEqual(msg.questions, [
      { name: SERVICE, type: DNS_TYPE.PTR, unicastResponse: false },
    ]);
    assert.deepEqual(encodeMessage(msg), bytes, "written back byte for byte");
  });

  it("compresses repeated suffixes and reads them back, case kept", () => {
    const instance = ["Tracker 2.0", ...SERVICE];
    const host = nameFromText("Lab-PC.local");
    const base = { ttl: 120, cacheFlush: false };
    const records: DnsRecord[] = [
      { ...base, name: SERVICE, type: "PTR", target: instance },
      {
        ...base,
        name: instance,
        type: "SRV",
        priority: 0,
        weight: 0,
        port: 6969,
        target: host,
        cacheFlush: true,
      },
      {
        ...base,
        name: instance,
        type: "TXT",
        strings: [Buffer.from("txtvers=1"), Buffer.from("name=x")],
      },
      { ...base, name: host, type: "A", address: "10.231.15.1" },
      { ...base, name: host, type: "AAAA", address: "fd00::1" },
    ];
    const msg: DnsMessage = {
      id: 0,
      flags: RESPONSE_FLAGS,
      questions: [],
      answers: records.slice(0, 1),
      authorities: [],
      additionals: records.slice(1),
    };
    const bytes = encodeMessage(msg);
    assert.deepEqual(decodeMessage(bytes), msg);
    // "_bittorrent-tracker._tcp.local" (32 bytes) is written once, then pointed to.
    assert.equal(bytes.indexOf("_bittorrent-tracker"), bytes.lastIndexOf("_bittorrent-tracker"));
    assert.equal(bytes.indexOf("local"), bytes.lastIndexOf("local"));
    assert.equal(nameToText(instance), "Tracker 2\\.0._bittorrent-tracker._tcp.local");
    assert.deepEqual(nameFromText(nameToText(instance)), instance);
  });

  it("compresses only suffixes spelled exactly the same: a name keeps its case", () => {
    const r = (name: DnsName, target: DnsName): DnsRecord => ({
      name,
      ttl: 1,
      cacheFlush: false,
      type: "PTR",
      target,
    });
    const msg: DnsMessage = {
      id: 0,
      flags: RESPONSE_FLAGS,
      questions: [],
      answers: [r(["x", "Local"], ["y", "local"]), r(["X", "local"], ["x", "Local"])],
      authorities: [],
      additionals: [],
    };
    assert.deepEqual(decodeMessage(encodeMessage(msg)), msg);
  });

  it("keeps records of other types and classes as bytes", () => {
    const msg: DnsMessage = {
      id: 7,
      flags: RESPONSE_FLAGS,
      questions: [],
      answers: [
        {
          name: ["x", "local"],
          ttl: 1,
          cacheFlush: true,
          type: "other",
          code: DNS_TYPE.NSEC,
          class: 1,
          data: Buffer.from([1, 2, 3]),
        },
        {
          name: ["x", "local"],
          ttl: 1,
          cacheFlush: false,
          type: "other",
          code: DNS_TYPE.A,
          class: 3,
          data: Buffer.from([9]),
        },
      ],
      authorities: [],
      additionals: [],
    };
    assert.deepEqual(decodeMessage(encodeMessage(msg)), msg);
  });

  it("refuses pointer loops, forward pointers and long chains", () => {
    // A name that points at itself.
    assert.throws(() => decodeMessage(raw([1, 0, 0, 0], [0xc0, 12, 0, 1, 0, 1])), /backwards/);
    // A pointer forwards, to a name written after it.
    assert.throws(
      () => decodeMessage(raw([2, 0, 0, 0], [0xc0, 18, 0, 1, 0, 1, 1, 0x61, 0, 0, 1, 0, 1])),
      isMalformed,
    );
    // Two names pointing at each other: the second's pointer goes back, the first's forward.
    assert.throws(
      () => decodeMessage(raw([1, 0, 0, 0], [1, 0x61, 0xc0, 12, 0, 1, 0, 1])),
      isMalformed,
    );
    // A chain of backward pointers: "a", then pointers each to the one before.
    const chain = [...Buffer.alloc(12), 1, 0x61, 0];
    for (let i = 0; i <= MAX_POINTER_JUMPS; i++) chain.push(0xc0, i === 0 ? 12 : chain.length - 2);
    const buf = Buffer.from(chain);
    const last = buf.length - 2;
    assert.deepEqual(readName(buf, last - 2).name, ["a"], `${MAX_POINTER_JUMPS} jumps are fine`);
    assert.throws(() => readName(buf, last), /too many pointers/);
  });

  it("refuses names over 255 bytes, bad labels and truncated parts", () => {
    const long: number[] = [];
    for (let i = 0; i < 5; i++) long.push(63, ...Buffer.alloc(63, 0x61));
    assert.throws(() => decodeMessage(raw([1, 0, 0, 0], [...long, 0, 0, 1, 0, 1])), isMalformed);
    assert.throws(
      () => decodeMessage(raw([1, 0, 0, 0], [0x41, 0, 0, 1, 0, 1])),
      isMalformed,
      "label type 01",
    );
    assert.throws(
      () => decodeMessage(raw([1, 0, 0, 0], [2, 0xff, 0xfe, 0, 0, 1, 0, 1])),
      isMalformed,
      "not UTF-8",
    );
    assert.throws(
      () => decodeMessage(raw([1, 0, 0, 0], [1, 0x61, 0, 0, 1])),
      isMalformed,
      "short question",
    );
    assert.throws(() => decodeMessage(raw([1, 0, 0, 0], [])), isMalformed, "missing question");
    assert.throws(() => decodeMessage(Buffer.alloc(11)), isMalformed, "short header");
    assert.throws(() => decodeMessage(raw([0, 0, 0, 0], [0])), isMalformed, "trailing byte");
    assert.throws(
      () => decodeMessage(raw([0, 0, 0, 0], Array(9000).fill(0))),
      isMalformed,
      "over 9000 bytes",
    );
    assert.throws(
      () => decodeMessage(raw([MAX_MESSAGE_ENTRIES, 1, 0, 0], [])),
      isMalformed,
      "too many entries",
    );
  });

  it("refuses record data that does not match its type", () => {
    const rec = (type: number, data: number[]) =>
      raw([0, 1, 0, 0], [1, 0x61, 0, 0, type, 0, 1, 0, 0, 0, 120, 0, data.length, ...data]);
    assert.equal(decodeMessage(rec(1, [10, 0, 0, 1])).answers[0]?.type, "A");
    assert.throws(() => decodeMessage(rec(1, [10, 0, 0])), isMalformed, "A of 3 bytes");
    assert.throws(() => decodeMessage(rec(28, [1, 2, 3, 4])), isMalformed, "AAAA of 4 bytes");
    assert.throws(
      () => decodeMessage(rec(12, [1, 0x62, 0, 0])),
      isMalformed,
      "PTR name short of its data",
    );
    assert.throws(() => decodeMessage(rec(33, [0, 0, 0, 0, 0])), isMalformed, "SRV of 5 bytes");
    assert.throws(() => decodeMessage(rec(16, [])), isMalformed, "TXT of no bytes");
    assert.throws(
      () => decodeMessage(rec(16, [5, 0x61])),
      isMalformed,
      "TXT string past its record",
    );
    assert.deepEqual(
      (decodeMessage(rec(16, [0])).answers[0] as { strings: unknown }).strings,
      [],
      "RFC 6763 §6.1: one empty string is an empty TXT record",
    );
    const len = raw([0, 1, 0, 0], [1, 0x61, 0, 0, 1, 0, 1, 0, 0, 0, 120, 0, 9, 10, 0, 0, 1]);
    assert.throws(() => decodeMessage(len), isMalformed, "data length past the end");
  });

  it("refuses to write what RFC 1035 forbids", () => {
    const invalid = (err: unknown) => err instanceof DnsError && err.code === "invalid_record";
    const q = (name: DnsName) => ({
      id: 0,
      flags: QUERY_FLAGS,
      questions: [{ name, type: 12, unicastResponse: false }],
      answers: [],
      authorities: [],
      additionals: [],
    });
    assert.throws(() => encodeMessage(q(["a".repeat(64)])), invalid);
    assert.throws(() => encodeMessage(q(["a", "", "b"])), invalid);
    assert.throws(() => encodeMessage(q(Array(130).fill("ab"))), invalid);
    const a: DnsRecord = { name: ["x"], ttl: 1, cacheFlush: false, type: "A", address: "::1" };
    const msg = (r: DnsRecord): DnsMessage => ({ ...q(["x"]), questions: [], answers: [r] });
    assert.throws(() => encodeMessage(msg(a)), invalid);
    assert.throws(
      () =>
        encodeMessage(
          msg({ ...a, type: "SRV", priority: 0, weight: 0, port: 70000, target: ["y"] }),
        ),
      invalid,
    );
    assert.throws(
      () => encodeMessage(msg({ ...a, type: "TXT", strings: [Buffer.alloc(256)] })),
      invalid,
    );
    assert.throws(() => encodeMessage(msg({ ...a, ttl: -1, address: "1.2.3.4" })), invalid);
  });
});

// Property tests: what we write reads back the same; no input crashes the reader.
const label = fc.oneof(
  fc.stringMatching(/^[A-Za-z0-9_-]{1,20}$/),
  fc.string({ minLength: 1, maxLength: 12, unit: "grapheme" }).filter((s) => {
    const n = Buffer.byteLength(s);
    return n >= 1 && n <= 63;
  }),
);
// Within RFC 1035's 255 bytes; cases mixed so that "A" and "a" meet in one message.
const name = fc
  .array(fc.oneof(label, fc.constantFrom("local", "Local", "_tcp")), { minLength: 0, maxLength: 5 })
  .filter((n) => n.reduce((sum, l) => sum + Buffer.byteLength(l) + 1, 1) <= 255);
const base = { name, ttl: fc.integer({ min: 0, max: 0xffffffff }), cacheFlush: fc.boolean() };
const record: fc.Arbitrary<DnsRecord> = fc.oneof(
  fc.record({ ...base, type: fc.constant("A" as const), address: fc.ipV4() }),
  fc.record({ ...base, type: fc.constant("PTR" as const), target: name }),
  fc.record({
    ...base,
    type: fc.constant("SRV" as const),
    priority: fc.integer({ min: 0, max: 65535 }),
    weight: fc.integer({ min: 0, max: 65535 }),
    port: fc.integer({ min: 0, max: 65535 }),
    target: name,
  }),
  fc.record({
    ...base,
    type: fc.constant("TXT" as const),
    strings: fc.array(
      fc.uint8Array({ minLength: 1, maxLength: 40 }).map((u) => Buffer.from(u)),
      { maxLength: 6 },
    ),
  }),
  fc.record({
    ...base,
    type: fc.constant("other" as const),
    code: fc.constantFrom(13, 47, 99),
    class: fc.constantFrom(1, 3, 255),
    data: fc.uint8Array({ maxLength: 30 }).map((u) => Buffer.from(u)),
  }),
);
const message: fc.Arbitrary<DnsMessage> = fc.record({
  id: fc.integer({ min: 0, max: 65535 }),
  flags: fc.record({
    response: fc.boolean(),
    opcode: fc.integer({ min: 0, max: 15 }),
    authoritative: fc.boolean(),
    truncated: fc.boolean(),
    recursionDesired: fc.boolean(),
    recursionAvailable: fc.boolean(),
    rcode: fc.integer({ min: 0, max: 15 }),
  }),
  questions: fc.array(
    fc.record({ name, type: fc.integer({ min: 0, max: 65535 }), unicastResponse: fc.boolean() }),
    { maxLength: 4 },
  ),
  answers: fc.array(record, { maxLength: 6 }),
  authorities: fc.array(record, { maxLength: 2 }),
  additionals: fc.array(record, { maxLength: 6 }),
});

/** The "other" class-1 records of a known type read back typed; leave those out of the round trip. */
function known(msg: DnsMessage): boolean {
  return [...msg.answers, ...msg.authorities, ...msg.additionals].every(
    (r) => r.type !== "other" || r.class !== 1 || ![1, 12, 16, 28, 33].includes(r.code),
  );
}

describe("DNS codec properties", () => {
  it("reads back every message it writes", () => {
    fc.assert(
      fc.property(message, (msg) => {
        fc.pre(known(msg));
        // JSON: fast-check's records have no prototype; Buffers compare by their bytes.
        assert.equal(JSON.stringify(decodeMessage(encodeMessage(msg))), JSON.stringify(msg));
      }),
      { numRuns: 300 },
    );
  });

  it("never fails but with DnsError on random bytes or on a written message altered", () => {
    const check = (bytes: Buffer) => {
      try {
        decodeMessage(bytes);
      } catch (err) {
        assert.ok(isMalformed(err), String(err));
      }
    };
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (u) => check(Buffer.from(u))),
      { numRuns: 500 },
    );
    fc.assert(
      fc.property(
        message,
        fc.nat(),
        fc.integer({ min: 0, max: 255 }),
        fc.nat(),
        (msg, at, byte, cut) => {
          const bytes = encodeMessage(msg);
          const altered = Buffer.from(bytes);
          altered[at % altered.length] = byte;
          check(altered);
          check(bytes.subarray(0, cut % (bytes.length + 1)));
        },
      ),
      { numRuns: 500 },
    );
  });
});
