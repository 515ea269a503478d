/**
 * The DNS message codec (RFC 1035 §4.1): strict reading with named limits,
 * for datagrams from anyone on the link, and writing with name compression.
 * Records of types we do not know keep their bytes, so a message from a
 * responder that also sends NSEC or HINFO still reads.
 */
import { formatIPv4, formatIPv6, parseIPv4, parseIPv6 } from "../util/index.ts";
import { DnsError } from "./dns-errors.ts";
import { type CompressionTable, readName, writeName } from "./dns-name.ts";
import {
  CLASS_IN,
  DNS_TYPE,
  type DnsFlags,
  type DnsMessage,
  type DnsQuestion,
  type DnsRecord,
} from "./dns-types.ts";

/** RFC 6762 §17: an mDNS message is at most 9000 bytes, headers included. */
export const MAX_MESSAGE_BYTES = 9000;
/** Questions and records together in one message: far more than any responder sends. */
export const MAX_MESSAGE_ENTRIES = 256;
/** Strings in one TXT record (each at most 255 bytes by its length byte). */
export const MAX_TXT_STRINGS = 64;
const HEADER_BYTES = 12;
const TOP_BIT = 0x8000;

function malformed(message: string): DnsError {
  return new DnsError("malformed_message", message);
}

/** Reads one message; throws DnsError("malformed_message") on anything off. */
export function decodeMessage(buf: Buffer): DnsMessage {
  if (buf.length < HEADER_BYTES) throw malformed(`${buf.length} bytes is shorter than a header`);
  if (buf.length > MAX_MESSAGE_BYTES) throw malformed(`over ${MAX_MESSAGE_BYTES} bytes`);
  const id = buf.readUInt16BE(0);
  const bits = buf.readUInt16BE(2);
  const counts = [4, 6, 8, 10].map((at) => buf.readUInt16BE(at)) as [
    number,
    number,
    number,
    number,
  ];
  const total = counts.reduce((a, b) => a + b, 0);
  if (total > MAX_MESSAGE_ENTRIES) {
    throw malformed(`${total} questions and records (at most ${MAX_MESSAGE_ENTRIES})`);
  }
  let at = HEADER_BYTES;
  const questions: DnsQuestion[] = [];
  for (let i = 0; i < counts[0]; i++) {
    const { name, end } = readName(buf, at);
    if (end + 4 > buf.length) throw malformed("a question runs past the end of the message");
    const type = buf.readUInt16BE(end);
    const klass = buf.readUInt16BE(end + 2);
    questions.push({ name, type, unicastResponse: (klass & TOP_BIT) !== 0 });
    at = end + 4;
  }
  const sections: DnsRecord[][] = [[], [], []];
  for (let s = 0; s < 3; s++) {
    for (let i = 0; i < counts[s + 1]!; i++) {
      const { record, end } = readRecord(buf, at);
      sections[s]!.push(record);
      at = end;
    }
  }
  if (at !== buf.length) throw malformed(`${buf.length - at} bytes after the last record`);
  return {
    id,
    flags: {
      response: (bits & TOP_BIT) !== 0,
      opcode: (bits >> 11) & 0xf,
      authoritative: (bits & 0x0400) !== 0,
      truncated: (bits & 0x0200) !== 0,
      recursionDesired: (bits & 0x0100) !== 0,
      recursionAvailable: (bits & 0x0080) !== 0,
      rcode: bits & 0xf,
    },
    questions,
    answers: sections[0]!,
    authorities: sections[1]!,
    additionals: sections[2]!,
  };
}

function readRecord(buf: Buffer, offset: number): { record: DnsRecord; end: number } {
  const { name, end: nameEnd } = readName(buf, offset);
  if (nameEnd + 10 > buf.length) throw malformed("a record runs past the end of the message");
  const code = buf.readUInt16BE(nameEnd);
  const klass = buf.readUInt16BE(nameEnd + 2);
  const ttl = buf.readUInt32BE(nameEnd + 4);
  const length = buf.readUInt16BE(nameEnd + 8);
  const start = nameEnd + 10;
  const end = start + length;
  if (end > buf.length) throw malformed("a record's data runs past the end of the message");
  const base = { name, ttl, cacheFlush: (klass & TOP_BIT) !== 0 };
  const data = buf.subarray(start, end);
  const exactly = (n: number, what: string) => {
    if (length !== n) throw malformed(`${what} record of ${length} bytes (${n} expected)`);
  };
  // Names inside data may point anywhere earlier in the message, but must end inside the data.
  const nameInData = (at: number, what: string) => {
    const r = readName(buf, at);
    if (r.end !== end) throw malformed(`${what} record's name does not fill its data`);
    return r.name;
  };
  if ((klass & ~TOP_BIT) !== CLASS_IN) {
    return { record: { ...base, type: "other", code, class: klass & ~TOP_BIT, data }, end };
  }
  switch (code) {
    case DNS_TYPE.A:
      exactly(4, "an A");
      return { record: { ...base, type: "A", address: formatIPv4(data) }, end };
    case DNS_TYPE.AAAA:
      exactly(16, "an AAAA");
      return { record: { ...base, type: "AAAA", address: formatIPv6(data) }, end };
    case DNS_TYPE.PTR:
      return { record: { ...base, type: "PTR", target: nameInData(start, "a PTR") }, end };
    case DNS_TYPE.SRV: {
      if (length < 7) throw malformed(`an SRV record of ${length} bytes`);
      const record: DnsRecord = {
        ...base,
        type: "SRV",
        priority: buf.readUInt16BE(start),
        weight: buf.readUInt16BE(start + 2),
        port: buf.readUInt16BE(start + 4),
        target: nameInData(start + 6, "an SRV"),
      };
      return { record, end };
    }
    case DNS_TYPE.TXT:
      return { record: { ...base, type: "TXT", strings: readTxt(data) }, end };
    default:
      return { record: { ...base, type: "other", code, class: CLASS_IN, data }, end };
  }
}

/** RFC 6763 §6.1: an empty TXT record is a single empty string, and reads as none. */
function readTxt(data: Buffer): Buffer[] {
  if (data.length === 0) throw malformed("a TXT record with no data");
  const strings: Buffer[] = [];
  let at = 0;
  while (at < data.length) {
    const len = data[at]!;
    if (at + 1 + len > data.length) throw malformed("a TXT string runs past its record");
    if (strings.length === MAX_TXT_STRINGS) {
      throw malformed(`a TXT record of over ${MAX_TXT_STRINGS} strings`);
    }
    if (len > 0) strings.push(Buffer.from(data.subarray(at + 1, at + 1 + len)));
    at += 1 + len;
  }
  return strings;
}

function flagBits(f: DnsFlags): number {
  return (
    (f.response ? TOP_BIT : 0) |
    ((f.opcode & 0xf) << 11) |
    (f.authoritative ? 0x0400 : 0) |
    (f.truncated ? 0x0200 : 0) |
    (f.recursionDesired ? 0x0100 : 0) |
    (f.recursionAvailable ? 0x0080 : 0) |
    (f.rcode & 0xf)
  );
}

/** A 16-bit field we were asked to write; anything else is the caller's mistake. */
function checkU16(n: number, what: string): number {
  if (!(Number.isInteger(n) && n >= 0 && n <= 0xffff)) {
    throw new DnsError("invalid_record", `${what} ${n} is not a 16-bit whole number`);
  }
  return n;
}

function u16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n);
  return b;
}

/** Writes one message, names compressed; throws DnsError("invalid_record") on what RFC 1035 forbids. */
export function encodeMessage(msg: DnsMessage): Buffer {
  const sections = [msg.answers, msg.authorities, msg.additionals];
  const total = msg.questions.length + sections.reduce((a, s) => a + s.length, 0);
  if (total > MAX_MESSAGE_ENTRIES) {
    throw new DnsError(
      "invalid_record",
      `${total} entries in one message (at most ${MAX_MESSAGE_ENTRIES})`,
    );
  }
  const header = Buffer.alloc(HEADER_BYTES);
  header.writeUInt16BE(msg.id & 0xffff, 0);
  header.writeUInt16BE(flagBits(msg.flags), 2);
  header.writeUInt16BE(msg.questions.length, 4);
  for (let s = 0; s < 3; s++) header.writeUInt16BE(sections[s]!.length, 6 + 2 * s);
  const parts: Buffer[] = [header];
  const table: CompressionTable = new Map();
  let at = HEADER_BYTES;
  for (const q of msg.questions) {
    at = writeName(q.name, parts, at, table);
    parts.push(
      u16(checkU16(q.type, "question type")),
      u16(CLASS_IN | (q.unicastResponse ? TOP_BIT : 0)),
    );
    at += 4;
  }
  for (const section of sections) {
    for (const r of section) at = writeRecord(r, parts, at, table);
  }
  return Buffer.concat(parts);
}

function writeRecord(
  r: DnsRecord,
  parts: Buffer[],
  offset: number,
  table: CompressionTable,
): number {
  let at = writeName(r.name, parts, offset, table);
  if (!(Number.isInteger(r.ttl) && r.ttl >= 0 && r.ttl <= 0xffffffff)) {
    throw new DnsError("invalid_record", `TTL ${r.ttl} is not a 32-bit whole number`);
  }
  const fixed = Buffer.alloc(10);
  const code = r.type === "other" ? r.code : DNS_TYPE[r.type];
  const klass = r.type === "other" ? r.class : CLASS_IN;
  fixed.writeUInt16BE(checkU16(code, "record type"), 0);
  fixed.writeUInt16BE((checkU16(klass, "record class") & 0x7fff) | (r.cacheFlush ? TOP_BIT : 0), 2);
  fixed.writeUInt32BE(r.ttl, 4);
  parts.push(fixed);
  at += 10;
  const dataStart = at;
  const lengthAt = parts.length - 1;
  switch (r.type) {
    case "A":
    case "AAAA": {
      const bytes = r.type === "A" ? parseIPv4(r.address) : parseIPv6(r.address);
      if (!bytes)
        throw new DnsError("invalid_record", `'${r.address}' is not an ${r.type} address`);
      parts.push(bytes);
      at += bytes.length;
      break;
    }
    case "PTR":
      at = writeName(r.target, parts, at, table);
      break;
    case "SRV": {
      const head = Buffer.alloc(6);
      head.writeUInt16BE(checkU16(r.priority, "SRV priority"), 0);
      head.writeUInt16BE(checkU16(r.weight, "SRV weight"), 2);
      head.writeUInt16BE(checkU16(r.port, "SRV port"), 4);
      parts.push(head);
      // RFC 2782: the target is not compressed in unicast DNS; RFC 6762 §18.14 allows it in mDNS.
      at = writeName(r.target, parts, at + 6, table);
      break;
    }
    case "TXT": {
      if (r.strings.length > MAX_TXT_STRINGS) {
        throw new DnsError(
          "invalid_record",
          `${r.strings.length} TXT strings (at most ${MAX_TXT_STRINGS})`,
        );
      }
      // RFC 6763 §6.1: no strings is written as one empty string.
      const strings = r.strings.length === 0 ? [Buffer.alloc(0)] : r.strings;
      for (const s of strings) {
        if (s.length > 255)
          throw new DnsError("invalid_record", `a TXT string of ${s.length} bytes`);
        parts.push(Buffer.from([s.length]), s);
        at += 1 + s.length;
      }
      break;
    }
    case "other":
      parts.push(r.data);
      at += r.data.length;
      break;
  }
  const length = at - dataStart;
  if (length > 0xffff) throw new DnsError("invalid_record", `record data of ${length} bytes`);
  parts[lengthAt]!.writeUInt16BE(length, 8);
  return at;
}
