/**
 * Domain names on the wire (RFC 1035 §3.1, §4.1.4): labels of 1–63 bytes, at
 * most 255 bytes in all, and compression pointers to a name written earlier.
 * Labels are UTF-8 (RFC 6762 §16, RFC 6763 §4.1.3).
 */
import { DnsError } from "./dns-errors.ts";
import type { DnsName } from "./dns-types.ts";

/** RFC 1035 §2.3.4. */
export const MAX_LABEL_BYTES = 63;
/** RFC 1035 §2.3.4: the wire form, length bytes and the root's zero included. */
export const MAX_NAME_BYTES = 255;
/**
 * Pointers followed while reading one name. Every pointer must also point
 * before the label that holds it, so a loop is impossible anyway; this bounds
 * the work a hostile chain of backward pointers can ask for.
 */
export const MAX_POINTER_JUMPS = 32;

const utf8 = new TextDecoder("utf-8", { fatal: true });

function malformed(message: string): DnsError {
  return new DnsError("malformed_message", message);
}

/** Reads the name at `offset`; returns it and the offset just past it (past the first pointer). */
export function readName(buf: Buffer, offset: number): { name: DnsName; end: number } {
  const labels: string[] = [];
  let wireLength = 1; // the root's zero byte
  let at = offset;
  let end = -1;
  let jumps = 0;
  // A pointer must point before the start of the run of labels it ends, so
  // every jump goes strictly backwards.
  let floor = offset;
  for (;;) {
    if (at >= buf.length) throw malformed("a name runs past the end of the message");
    const len = buf[at]!;
    if (len === 0) {
      if (end < 0) end = at + 1;
      return { name: labels, end };
    }
    const kind = len & 0xc0;
    if (kind === 0xc0) {
      if (at + 1 >= buf.length) throw malformed("a name pointer runs past the end of the message");
      const target = ((len & 0x3f) << 8) | buf[at + 1]!;
      if (end < 0) end = at + 2;
      if (++jumps > MAX_POINTER_JUMPS) throw malformed("a name follows too many pointers");
      if (target >= floor) throw malformed("a name pointer does not point backwards");
      at = target;
      floor = target;
      continue;
    }
    // RFC 6891 reserves 0x40 and 0x80 for extended labels nobody uses.
    if (kind !== 0) throw malformed(`unknown label type 0x${kind.toString(16)}`);
    if (at + 1 + len > buf.length) throw malformed("a label runs past the end of the message");
    wireLength += len + 1;
    if (wireLength > MAX_NAME_BYTES) throw malformed(`a name longer than ${MAX_NAME_BYTES} bytes`);
    let label: string;
    try {
      label = utf8.decode(buf.subarray(at + 1, at + 1 + len));
    } catch {
      throw malformed("a label that is not UTF-8");
    }
    labels.push(label);
    at += 1 + len;
  }
}

/** The labels as bytes, checked against RFC 1035's limits. */
export function nameBytes(name: DnsName): Buffer[] {
  let total = 1;
  const out: Buffer[] = [];
  for (const label of name) {
    const b = Buffer.from(label, "utf8");
    if (b.length === 0 || b.length > MAX_LABEL_BYTES) {
      throw new DnsError(
        "invalid_record",
        `label '${label}' is ${b.length} bytes (1 to ${MAX_LABEL_BYTES} allowed)`,
      );
    }
    total += b.length + 1;
    out.push(b);
  }
  if (total > MAX_NAME_BYTES) {
    throw new DnsError(
      "invalid_record",
      `name '${nameToText(name)}' is over ${MAX_NAME_BYTES} bytes`,
    );
  }
  return out;
}

/**
 * Where the names already written start, by the suffix they spell, so a later
 * name ending the same way points there (RFC 1035 §4.1.4). Exactly the same
 * way: a pointer to "Local" would turn a later "local" into "Local", equal in
 * DNS but not what we were asked to write.
 */
export type CompressionTable = Map<string, number>;

/** Offsets a pointer can hold: 14 bits. */
const MAX_POINTER_TARGET = 0x3fff;

/** Appends `name` to `parts` (starting at byte `offset`), compressed against `table`. */
export function writeName(
  name: DnsName,
  parts: Buffer[],
  offset: number,
  table: CompressionTable | undefined,
): number {
  const labels = nameBytes(name);
  let at = offset;
  for (let i = 0; i < labels.length; i++) {
    const key = name.slice(i).join("\u0000");
    const earlier = table?.get(key);
    if (earlier !== undefined) {
      parts.push(Buffer.from([0xc0 | (earlier >> 8), earlier & 0xff]));
      return at + 2;
    }
    if (table && at <= MAX_POINTER_TARGET) table.set(key, at);
    const label = labels[i]!;
    parts.push(Buffer.from([label.length]), label);
    at += 1 + label.length;
  }
  parts.push(Buffer.from([0]));
  return at + 1;
}

/**
 * A key equal for names DNS holds equal: ASCII letters compare without case
 * (RFC 1035 §2.3.3, RFC 6762 §16); other bytes exactly.
 */
export function nameKey(name: DnsName): string {
  return name.map((l) => l.replace(/[A-Z]/g, (c) => c.toLowerCase())).join("\u0000");
}

export function sameName(a: DnsName, b: DnsName): boolean {
  return a.length === b.length && nameKey(a) === nameKey(b);
}

/** Dotted text, a dot or backslash inside a label escaped as dig shows them. */
export function nameToText(name: DnsName): string {
  return name.map((l) => l.replace(/[\\.]/g, (c) => `\\${c}`)).join(".");
}

/** The labels of dotted text (`\.` is a dot inside a label); a trailing dot is allowed. */
export function nameFromText(text: string): DnsName {
  const labels: string[] = [];
  let label = "";
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === "\\" && i + 1 < text.length) label += text[++i];
    else if (c === ".") {
      labels.push(label);
      label = "";
    } else label += c;
  }
  if (label !== "" || labels.length === 0) labels.push(label);
  return labels.filter((l, i) => l !== "" || i < labels.length - 1);
}
