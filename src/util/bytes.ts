/** Byte helpers shared by every module: hex, base32 (RFC 4648), comparisons. */

export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex");
}

const HEX_RE = /^[0-9a-fA-F]*$/;

/** Parses hex; returns undefined when the text is not even-length hex. */
export function fromHex(text: string): Buffer | undefined {
  if (text.length % 2 !== 0 || !HEX_RE.test(text)) return undefined;
  return Buffer.from(text, "hex");
}

const BASE32_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/** RFC 4648 base32 without padding, upper case (the form magnet links use). */
export function toBase32(bytes: Uint8Array): string {
  let out = "";
  let bits = 0;
  let value = 0;
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += BASE32_ALPHABET[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += BASE32_ALPHABET[(value << (5 - bits)) & 31];
  return out;
}

/** Decodes RFC 4648 base32 (case-insensitive, padding optional); undefined if invalid. */
export function fromBase32(text: string): Buffer | undefined {
  const clean = text.replace(/=+$/, "").toUpperCase();
  // RFC 4648 §6: unpadded base32 is 0, 2, 4, 5 or 7 characters past a multiple of 8.
  if ([1, 3, 6].includes(clean.length % 8)) return undefined;
  const out: number[] = [];
  let bits = 0;
  let value = 0;
  for (const ch of clean) {
    const index = BASE32_ALPHABET.indexOf(ch);
    if (index < 0) return undefined;
    value = ((value << 5) | index) & 0xffff;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

/**
 * bytes[start, start + length) as latin1 text (one char per byte), the form
 * raw ids key maps with. The 20 bytes of an info hash or peer id, and short
 * values, are made in JavaScript, two to four times as fast as Buffer's
 * toString, a call into C++.
 */
export function latin1String(bytes: Uint8Array, start: number, length: number): string {
  if (length === 20) {
    const b = bytes;
    const s = start;
    return String.fromCharCode(
      b[s]!,
      b[s + 1]!,
      b[s + 2]!,
      b[s + 3]!,
      b[s + 4]!,
      b[s + 5]!,
      b[s + 6]!,
      b[s + 7]!,
      b[s + 8]!,
      b[s + 9]!,
      b[s + 10]!,
      b[s + 11]!,
      b[s + 12]!,
      b[s + 13]!,
      b[s + 14]!,
      b[s + 15]!,
      b[s + 16]!,
      b[s + 17]!,
      b[s + 18]!,
      b[s + 19]!,
    );
  }
  // V8 copies strings shorter than 13 chars when joining them (longer ones
  // become a rope, slow to build char by char).
  if (length < 13) {
    let text = "";
    for (let i = start; i < start + length; i++) text += String.fromCharCode(bytes[i]!);
    return text;
  }
  return Buffer.from(bytes.buffer, bytes.byteOffset + start, length).toString("latin1");
}

/*
 * Big-endian integers in and out of byte arrays for hot paths (the UDP
 * tracker reads and writes a dozen per announce): Buffer's readUInt32BE and
 * kin check their arguments on every call, which costs more than the read.
 * The caller guarantees the offsets are inside the array.
 */

export function readU32BE(bytes: Uint8Array, o: number): number {
  return ((bytes[o]! << 24) | (bytes[o + 1]! << 16) | (bytes[o + 2]! << 8) | bytes[o + 3]!) >>> 0;
}

export function writeU32BE(bytes: Uint8Array, o: number, value: number): void {
  bytes[o] = value >>> 24;
  bytes[o + 1] = value >>> 16;
  bytes[o + 2] = value >>> 8;
  bytes[o + 3] = value;
}

/** Lexicographic comparison of raw bytes (bencode sorts dictionary keys this way). */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  return Buffer.compare(a, b);
}

/** Human-readable byte count with binary units: 1.5 MiB. */
export function formatBytes(n: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
  let value = n;
  let unit = 0;
  while (Math.abs(value) >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${n} B` : `${value.toFixed(value < 10 ? 2 : 1)} ${units[unit]}`;
}

const SIZE_RE = /^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(i?)(b?)\s*$/i;

/**
 * Parses a size written by a person: `16384`, `256KiB`, `1MB`, `4m`, `1.5GiB`.
 * `K/M/G/T` with `i` are powers of 1024, without `i` powers of 1000, except a
 * bare letter (`256k`), which people use for binary sizes. Undefined if invalid.
 */
export function parseSize(text: string): number | undefined {
  const m = SIZE_RE.exec(text);
  if (!m) return undefined;
  const [, num, prefix, binary, byteSuffix] = m;
  // No prefix means bytes: "kmgt".indexOf("") would be 0, i.e. a kilo.
  const exponent = prefix ? "kmgt".indexOf(prefix.toLowerCase()) + 1 : 0;
  const base = binary || (prefix && !byteSuffix) ? 1024 : 1000;
  const value = Number(num) * base ** exponent;
  return Number.isSafeInteger(value)
    ? value
    : Number.isFinite(value)
      ? Math.round(value)
      : undefined;
}
