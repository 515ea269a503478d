import { BencodeError } from "./errors.ts";
import type { BencodeDict, BencodeList, BencodeValue } from "./value.ts";

/** Named limits: every decode is bounded, whatever the input claims. */
export interface BencodeLimits {
  /** Largest input accepted, in bytes. */
  maxSize: number;
  /** Deepest nesting of lists and dictionaries (the top level is depth 1). */
  maxDepth: number;
  /** Longest single byte string. */
  maxStringLength: number;
  /** Most values (strings, integers, lists, dictionaries) in one input. */
  maxItems: number;
}

/** Defaults for generic input from the network (tracker replies, extension messages). */
export const DEFAULT_LIMITS: BencodeLimits = {
  maxSize: 16 * 1024 * 1024,
  maxDepth: 64,
  maxStringLength: 16 * 1024 * 1024,
  maxItems: 1_000_000,
};

/** Limits for `.torrent` files, the same as libtorrent's defaults (torrent_info.hpp). */
export const TORRENT_LIMITS: BencodeLimits = {
  maxSize: 10_000_000,
  maxDepth: 100,
  maxStringLength: 10_000_000,
  maxItems: 3_000_000,
};

export interface DecodeOptions extends Partial<BencodeLimits> {
  /**
   * Strict (the default) refuses unsorted and duplicate dictionary keys and
   * trailing bytes. Lenient accepts them, as libtorrent does for `.torrent`
   * files, and reports each in `warnings`; of duplicate keys the first wins.
   */
  strict?: boolean;
  /** Integers beyond ±2^53 become bigint; otherwise they are refused. */
  bigint?: boolean;
  /** Stop after the first value instead of treating what follows as trailing data. */
  prefix?: boolean;
}

export type BencodeWarningCode = "unsorted_keys" | "duplicate_key" | "trailing_data";

export interface BencodeWarning {
  code: BencodeWarningCode;
  offset: number;
  /** The key concerned, as latin1 text (for unsorted and duplicate keys). */
  key?: string;
}

export interface DecodedDocument {
  value: BencodeValue;
  /** Offset just past the decoded value. */
  end: number;
  warnings: BencodeWarning[];
  /**
   * The exact input bytes a list or dictionary was decoded from (a zero-copy
   * slice), so hashes are taken over the original bytes, never a re-encoding.
   */
  raw(value: BencodeList | BencodeDict): Buffer | undefined;
}

// Digits allowed in an integer or length: more than any real value needs,
// few enough that a hostile input cannot make us build a huge bigint.
const MAX_INTEGER_DIGITS = 64;
const MAX_LENGTH_DIGITS = 16;

const CH_0 = 0x30;
const CH_9 = 0x39;
const CH_COLON = 0x3a;
const CH_MINUS = 0x2d;
const CH_D = 0x64;
const CH_E = 0x65;
const CH_I = 0x69;
const CH_L = 0x6c;

class Decoder {
  readonly buf: Buffer;
  pos = 0;
  items = 0;
  readonly limits: BencodeLimits;
  readonly strict: boolean;
  readonly bigint: boolean;
  readonly warnings: BencodeWarning[] = [];
  readonly spans = new WeakMap<object, [number, number]>();

  constructor(buf: Buffer, opts: DecodeOptions) {
    this.buf = buf;
    this.limits = {
      maxSize: opts.maxSize ?? DEFAULT_LIMITS.maxSize,
      maxDepth: opts.maxDepth ?? DEFAULT_LIMITS.maxDepth,
      maxStringLength: opts.maxStringLength ?? DEFAULT_LIMITS.maxStringLength,
      maxItems: opts.maxItems ?? DEFAULT_LIMITS.maxItems,
    };
    this.strict = opts.strict ?? true;
    this.bigint = opts.bigint ?? false;
  }

  fail(code: BencodeError["code"], offset: number, message: string): never {
    throw new BencodeError(code, offset, message);
  }

  value(depth: number): BencodeValue {
    if (++this.items > this.limits.maxItems) {
      this.fail("too_many_items", this.pos, `more than ${this.limits.maxItems} values`);
    }
    const c = this.buf[this.pos];
    if (c === undefined)
      this.fail("unexpected_end", this.pos, "input ends where a value should start");
    if (c === CH_I) return this.integer();
    if (c >= CH_0 && c <= CH_9) return this.bytes();
    if (c === CH_L) return this.list(depth + 1);
    if (c === CH_D) return this.dict(depth + 1);
    return this.fail(
      "unexpected_byte",
      this.pos,
      `expected 'i', 'l', 'd' or a digit, found 0x${c.toString(16).padStart(2, "0")}`,
    );
  }

  integer(): number | bigint {
    // The buffer and its length in locals: each of this.buf, this.buf[p]
    // and .length is a property lookup of its own in code not optimised
    // yet (a restore decodes a thousand .torrent copies, once each).
    const buf = this.buf;
    const size = buf.length;
    const start = this.pos;
    let p = start + 1;
    const negative = buf[p] === CH_MINUS;
    if (negative) p++;
    const digitsStart = p;
    let c = buf[p];
    while (p < size && c! >= CH_0 && c! <= CH_9) c = buf[++p];
    const digits = p - digitsStart;
    if (p >= size) this.fail("unexpected_end", p, "integer is not terminated by 'e'");
    if (c !== CH_E) {
      this.fail("invalid_integer", p, "integer may hold only an optional '-' and digits");
    }
    if (digits === 0) this.fail("invalid_integer", start, "integer has no digits");
    if (digits > MAX_INTEGER_DIGITS) {
      this.fail("integer_too_large", start, `integer has more than ${MAX_INTEGER_DIGITS} digits`);
    }
    if (buf[digitsStart] === CH_0) {
      if (digits > 1) this.fail("leading_zero", start, "integer has a leading zero");
      if (negative) this.fail("negative_zero", start, "'-0' is not a valid integer");
    }
    this.pos = p + 1;
    if (digits <= 15) {
      let n = 0;
      for (let i = digitsStart; i < p; i++) n = n * 10 + (buf[i]! - CH_0);
      return negative ? -n : n;
    }
    const big = BigInt(this.buf.toString("latin1", start + 1, p));
    if (big >= BigInt(Number.MIN_SAFE_INTEGER) && big <= BigInt(Number.MAX_SAFE_INTEGER)) {
      return Number(big);
    }
    if (!this.bigint) {
      this.fail("integer_too_large", start, "integer is beyond ±2^53 and bigints were not allowed");
    }
    return big;
  }

  bytes(): Buffer {
    const dataStart = this.#stringStart();
    return this.buf.subarray(dataStart, this.pos);
  }

  /**
   * A dictionary key as latin1 text, with no Buffer made for it: latin1
   * text compares as its bytes do (one code unit per byte), which is the
   * order BEP 3 sorts keys in.
   */
  key(): string {
    const dataStart = this.#stringStart();
    return this.buf.toString("latin1", dataStart, this.pos);
  }

  /** Reads a string's length prefix and moves past its bytes; returns where they start. */
  #stringStart(): number {
    const buf = this.buf; // in locals, as in integer()
    const size = buf.length;
    const start = this.pos;
    let p = start;
    let length = 0;
    let c = buf[p];
    while (p < size && c! >= CH_0 && c! <= CH_9) {
      if (p - start >= MAX_LENGTH_DIGITS) {
        this.fail("string_too_long", start, "string length has too many digits");
      }
      length = length * 10 + (c! - CH_0);
      c = buf[++p];
    }
    if (p >= size) this.fail("unexpected_end", p, "string length is not followed by ':'");
    if (c !== CH_COLON) this.fail("invalid_length", p, "string length must end with ':'");
    if (buf[start] === CH_0 && p - start > 1) {
      this.fail("leading_zero", start, "string length has a leading zero");
    }
    if (length > this.limits.maxStringLength) {
      this.fail(
        "string_too_long",
        start,
        `string of ${length} bytes is over the limit of ${this.limits.maxStringLength}`,
      );
    }
    const dataStart = p + 1;
    if (dataStart + length > size) {
      this.fail(
        "unexpected_end",
        start,
        `string of ${length} bytes runs past the end of the input`,
      );
    }
    this.pos = dataStart + length;
    return dataStart;
  }

  enter(depth: number): void {
    if (depth > this.limits.maxDepth) {
      this.fail("depth_exceeded", this.pos, `nesting deeper than ${this.limits.maxDepth} levels`);
    }
  }

  list(depth: number): BencodeList {
    this.enter(depth);
    const buf = this.buf; // in locals, as in integer()
    const size = buf.length;
    const start = this.pos++;
    const out: BencodeList = [];
    for (;;) {
      if (this.pos >= size) this.fail("unexpected_end", this.pos, "list is not terminated");
      if (buf[this.pos] === CH_E) break;
      out.push(this.value(depth));
    }
    this.pos++;
    this.spans.set(out, [start, this.pos]);
    return out;
  }

  dict(depth: number): BencodeDict {
    this.enter(depth);
    const buf = this.buf; // in locals, as in integer()
    const size = buf.length;
    const start = this.pos++;
    const out: BencodeDict = new Map();
    let previous: string | undefined;
    for (;;) {
      if (this.pos >= size) this.fail("unexpected_end", this.pos, "dictionary is not terminated");
      const c = buf[this.pos]!;
      if (c === CH_E) break;
      const keyOffset = this.pos;
      if (c < CH_0 || c > CH_9)
        this.fail("invalid_key", keyOffset, "dictionary keys must be byte strings");
      this.items++;
      const key = this.key();
      if (this.pos >= size) {
        this.fail("unexpected_end", this.pos, `key '${printable(key)}' has no value`);
      }
      const order = previous === undefined ? -1 : previous < key ? -1 : previous === key ? 0 : 1;
      const duplicate = order === 0 || (order > 0 && out.has(key));
      if (duplicate) {
        if (this.strict)
          this.fail("duplicate_key", keyOffset, `key '${printable(key)}' appears twice`);
        this.warnings.push({ code: "duplicate_key", offset: keyOffset, key });
      } else if (order > 0) {
        if (this.strict) {
          this.fail("unsorted_keys", keyOffset, `key '${printable(key)}' is out of order`);
        }
        this.warnings.push({ code: "unsorted_keys", offset: keyOffset, key });
      }
      const value = this.value(depth);
      if (!duplicate) out.set(key, value);
      if (order < 0) previous = key;
    }
    this.pos++;
    this.spans.set(out, [start, this.pos]);
    return out;
  }
}

function printable(key: string): string {
  const shown = key.length > 40 ? `${key.slice(0, 40)}…` : key;
  return shown.replace(/[^\x20-\x7e]/g, "?");
}

function asBuffer(input: Uint8Array): Buffer {
  return Buffer.isBuffer(input)
    ? input
    : Buffer.from(input.buffer, input.byteOffset, input.byteLength);
}

/** Decodes a whole bencoded document, returning its warnings and raw spans too. */
export function decodeDocument(input: Uint8Array, opts: DecodeOptions = {}): DecodedDocument {
  const buf = asBuffer(input);
  const d = new Decoder(buf, opts);
  if (buf.length > d.limits.maxSize) {
    d.fail(
      "input_too_large",
      0,
      `input of ${buf.length} bytes is over the limit of ${d.limits.maxSize}`,
    );
  }
  if (buf.length === 0) d.fail("unexpected_end", 0, "input is empty");
  const value = d.value(0);
  const end = d.pos;
  if (end < buf.length && !opts.prefix) {
    if (d.strict) {
      d.fail("trailing_data", end, `${buf.length - end} bytes follow the end of the value`);
    }
    d.warnings.push({ code: "trailing_data", offset: end });
  }
  return {
    value,
    end,
    warnings: d.warnings,
    raw(v) {
      const span = d.spans.get(v);
      return span ? buf.subarray(span[0], span[1]) : undefined;
    },
  };
}

/** Decodes one bencoded value; strict unless told otherwise. */
export function decode(input: Uint8Array, opts: DecodeOptions = {}): BencodeValue {
  return decodeDocument(input, opts).value;
}
