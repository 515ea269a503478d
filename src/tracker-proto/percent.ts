/**
 * Percent-encoding of raw bytes in query strings. BEP 3 sends info_hash and
 * peer_id as arbitrary bytes, so decoding must give bytes back, never UTF-8
 * text (which URLSearchParams would produce, mangling every byte ≥ 0x80).
 */

const HEX = "0123456789ABCDEF";

function isUnreserved(b: number): boolean {
  // RFC 3986 unreserved: ALPHA / DIGIT / "-" / "." / "_" / "~"
  return (
    (b >= 0x30 && b <= 0x39) ||
    (b >= 0x41 && b <= 0x5a) ||
    (b >= 0x61 && b <= 0x7a) ||
    b === 0x2d ||
    b === 0x2e ||
    b === 0x5f ||
    b === 0x7e
  );
}

/** Percent-encodes every byte that is not RFC 3986 unreserved. */
export function percentEncode(bytes: Uint8Array): string {
  let out = "";
  for (const b of bytes) {
    out += isUnreserved(b) ? String.fromCharCode(b) : `%${HEX[b >> 4]}${HEX[b & 15]}`;
  }
  return out;
}

/** Value of one hex digit's char code, or -1. */
export function hexDigit(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  return -1;
}

/** Each byte's value as a hex digit, or -1. */
const HEX_VALUE = new Int8Array(256);
for (let c = 0; c < 256; c++) HEX_VALUE[c] = hexDigit(c);

/**
 * Decodes `src[start, end)` (the raw bytes of a query) into `into` from 0.
 * `+` is a space, as in form-encoded queries. Returns the byte count, or -1
 * for a `%` not followed by two hex digits. `into` must hold end - start bytes.
 */
export function percentDecodeInto(
  src: Uint8Array,
  start: number,
  end: number,
  into: Uint8Array,
): number {
  let n = 0;
  for (let i = start; i < end; i++) {
    const c = src[i]!;
    if (c === 0x25) {
      if (i + 2 >= end) return -1;
      const hi = HEX_VALUE[src[i + 1]!]!;
      const lo = HEX_VALUE[src[i + 2]!]!;
      if (hi < 0 || lo < 0) return -1;
      into[n++] = (hi << 4) | lo;
      i += 2;
    } else if (c === 0x2b) {
      into[n++] = 0x20;
    } else {
      into[n++] = c;
    }
  }
  return n;
}

/** Decodes a whole percent-encoded string (latin1) to bytes; undefined when malformed. */
export function percentDecode(text: string): Buffer | undefined {
  const src = Buffer.from(text, "latin1");
  const out = Buffer.allocUnsafe(src.length);
  const n = percentDecodeInto(src, 0, src.length, out);
  return n < 0 ? undefined : out.subarray(0, n);
}
