/**
 * BEP 3 bitfield: bit i is piece i, most significant bit of byte 0 first.
 * Spare bits at the end of the last byte must be zero on the wire.
 */
import { ShoalError } from "../util/index.ts";

export class BitfieldError extends ShoalError {}

// Set bits per byte value, for count().
const POPCOUNT = new Uint8Array(256);
for (let i = 1; i < 256; i++) POPCOUNT[i] = (i & 1) + POPCOUNT[i >> 1]!;

export class Bitfield {
  readonly length: number;
  readonly bytes: Uint8Array;
  #count = 0;

  constructor(length: number, bytes?: Uint8Array) {
    if (!Number.isSafeInteger(length) || length < 0)
      throw new RangeError(`bad bitfield length ${length}`);
    this.length = length;
    this.bytes = new Uint8Array(Math.ceil(length / 8));
    if (bytes) {
      this.bytes.set(bytes.subarray(0, this.bytes.length));
      this.#clearSpareBits();
      this.#count = countBits(this.bytes);
    }
  }

  /**
   * Reads a bitfield message payload for `length` pieces. BEP 3: a bitfield
   * of the wrong length, or with spare bits set, is an error (drop the peer).
   */
  static fromWire(payload: Uint8Array, length: number): Bitfield {
    const expected = Math.ceil(length / 8);
    if (payload.length !== expected) {
      throw new BitfieldError(
        "bad_bitfield_length",
        `bitfield is ${payload.length} bytes; ${length} pieces need ${expected}`,
      );
    }
    const spare = expected * 8 - length;
    if (spare > 0 && (payload[expected - 1]! & ((1 << spare) - 1)) !== 0) {
      throw new BitfieldError(
        "bad_bitfield_spare_bits",
        "bitfield has spare bits set past the last piece",
      );
    }
    return new Bitfield(length, payload);
  }

  /**
   * Takes the pieces of BEP 3 bitfield bytes (resume data's), in place:
   * those past `bytes` are cleared, spare bits ignored.
   */
  load(bytes: Uint8Array): void {
    this.bytes.fill(0);
    this.bytes.set(bytes.subarray(0, this.bytes.length));
    this.#clearSpareBits();
    this.#count = countBits(this.bytes);
  }

  /** `"1101"` → pieces 0, 1 and 3 set (for tests and debugging). */
  static fromString(text: string): Bitfield {
    const bf = new Bitfield(text.length);
    for (let i = 0; i < text.length; i++) if (text[i] === "1") bf.set(i);
    return bf;
  }

  static full(length: number): Bitfield {
    const bf = new Bitfield(length);
    bf.bytes.fill(0xff);
    bf.#clearSpareBits();
    bf.#count = length;
    return bf;
  }

  has(index: number): boolean {
    if (index < 0 || index >= this.length) return false;
    return (this.bytes[index >> 3]! & (0x80 >> (index & 7))) !== 0;
  }

  /** Sets bit `index`; returns true if it was not set before. */
  set(index: number): boolean {
    this.#check(index);
    const mask = 0x80 >> (index & 7);
    const byte = this.bytes[index >> 3]!;
    if (byte & mask) return false;
    this.bytes[index >> 3] = byte | mask;
    this.#count++;
    return true;
  }

  /** Clears bit `index`; returns true if it was set before. */
  clear(index: number): boolean {
    this.#check(index);
    const mask = 0x80 >> (index & 7);
    const byte = this.bytes[index >> 3]!;
    if (!(byte & mask)) return false;
    this.bytes[index >> 3] = byte & ~mask;
    this.#count--;
    return true;
  }

  /** Number of set bits (kept up to date, O(1)). */
  count(): number {
    return this.#count;
  }

  isComplete(): boolean {
    return this.#count === this.length;
  }

  isEmpty(): boolean {
    return this.#count === 0;
  }

  /** Indices of set bits, ascending. */
  *indices(): IterableIterator<number> {
    for (let b = 0; b < this.bytes.length; b++) {
      const byte = this.bytes[b]!;
      if (byte === 0) continue;
      for (let bit = 0; bit < 8; bit++) if (byte & (0x80 >> bit)) yield b * 8 + bit;
    }
  }

  /** True if `other` has a bit that this one lacks (we would be interested). */
  lacksAnyOf(other: Bitfield): boolean {
    this.#same(other);
    for (let i = 0; i < this.bytes.length; i++) if (other.bytes[i]! & ~this.bytes[i]!) return true;
    return false;
  }

  /** A new bitfield with the bits set in this one and not in `other`. */
  andNot(other: Bitfield): Bitfield {
    this.#same(other);
    const out = new Uint8Array(this.bytes.length);
    for (let i = 0; i < out.length; i++) out[i] = this.bytes[i]! & ~other.bytes[i]!;
    return new Bitfield(this.length, out);
  }

  /** A new bitfield with the bits set in either. */
  or(other: Bitfield): Bitfield {
    this.#same(other);
    const out = new Uint8Array(this.bytes.length);
    for (let i = 0; i < out.length; i++) out[i] = this.bytes[i]! | other.bytes[i]!;
    return new Bitfield(this.length, out);
  }

  clone(): Bitfield {
    return new Bitfield(this.length, this.bytes);
  }

  /** The payload of a BEP 3 bitfield message (a copy). */
  toBuffer(): Buffer {
    return Buffer.from(this.bytes);
  }

  toString(): string {
    let s = "";
    for (let i = 0; i < this.length; i++) s += this.has(i) ? "1" : "0";
    return s;
  }

  #check(index: number): void {
    if (!Number.isInteger(index) || index < 0 || index >= this.length) {
      throw new RangeError(`piece ${index} is outside a bitfield of ${this.length}`);
    }
  }

  #same(other: Bitfield): void {
    if (other.length !== this.length) throw new RangeError("bitfields of different lengths");
  }

  #clearSpareBits(): void {
    const spare = this.bytes.length * 8 - this.length;
    if (spare > 0) this.bytes[this.bytes.length - 1]! &= 0xff << spare;
  }
}

function countBits(bytes: Uint8Array): number {
  let n = 0;
  for (const b of bytes) n += POPCOUNT[b]!;
  return n;
}
