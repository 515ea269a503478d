/**
 * The fuzzer's mutations: a seeded generator turns one input (and, for
 * splicing, another) into a new one. The operators are the classic ones of
 * mutation fuzzers: bit flips, bytes and words set to values at the edges of
 * their range, chunks inserted, deleted and duplicated, two inputs spliced,
 * and length fields (decimal, as bencode writes them, or 16/32-bit
 * big-endian, as the wire and tracker packets do) nudged or set to extremes.
 */
import { type RandomSource, seededRandom } from "../../src/util/index.ts";

/** Bytes whose value is at an edge, or that bencode, HTTP and DNS give meaning to. */
const INTERESTING_BYTES = [
  0x00, 0x01, 0x02, 0x03, 0x07, 0x0a, 0x0d, 0x10, 0x13, 0x14, 0x20, 0x25, 0x26, 0x2d, 0x30, 0x31,
  0x39, 0x3a, 0x3d, 0x3f, 0x64, 0x65, 0x69, 0x6c, 0x7f, 0x80, 0xc0, 0xfe, 0xff,
];
/** 16- and 32-bit values at the edges of what length and index fields hold. */
const INTERESTING_WORDS = [
  0, 1, 2, 0x7f, 0x80, 0xff, 0x100, 0x3fff, 0x4000, 0x4001, 0x7fff, 0x8000, 0xffff, 0x10000,
  0x20000, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff,
];
/** Decimal texts for bencode lengths and integers, query values, ports. */
const INTERESTING_NUMBERS = [
  "0",
  "-0",
  "00",
  "1",
  "-1",
  "19",
  "20",
  "65535",
  "65536",
  "2147483647",
  "4294967296",
  "9007199254740991",
  "9007199254740993",
  "-9007199254740993",
  "99999999999999999999",
  "1e3",
  "",
];

export class Mutator {
  readonly #random: RandomSource;

  constructor(seed: number) {
    this.#random = seededRandom(seed);
  }

  /** A whole number in [0, n). */
  below(n: number): number {
    return Math.floor(this.#random() * n);
  }

  chance(p: number): boolean {
    return this.#random() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.below(items.length)]!;
  }

  bytes(n: number): Buffer {
    const out = Buffer.allocUnsafe(n);
    for (let i = 0; i < n; i++) out[i] = this.below(256);
    return out;
  }

  /**
   * One to four stacked mutations of `input`; `other` is a second input to
   * splice from. The result is at most `maxLength` bytes.
   */
  mutate(input: Buffer, other: Buffer, maxLength: number): Buffer {
    let out = input;
    // Whether `out` is a buffer of this call's own: then a mutation that
    // changes bytes in place needs no copy. Only the first round's copy is
    // paid (stacked rounds copied up to four times: a tenth of the metainfo
    // driver's CPU with the corpus's large torrents).
    this.#owned = false;
    const rounds = 1 + this.below(4);
    for (let r = 0; r < rounds; r++) out = this.#once(out, other);
    return out.length > maxLength ? out.subarray(0, maxLength) : out;
  }

  #owned = false;

  /** `input` to change in place: itself when this call made it, else a copy that this call now owns. */
  #writable(input: Buffer): Buffer {
    if (this.#owned) return input;
    this.#owned = true;
    return Buffer.from(input);
  }

  /** A new buffer made by this call (a concatenation, random bytes). */
  #made(out: Buffer): Buffer {
    this.#owned = true;
    return out;
  }

  #once(input: Buffer, other: Buffer): Buffer {
    if (input.length === 0) return this.#made(this.bytes(1 + this.below(16)));
    const at = this.below(input.length);
    switch (this.below(11)) {
      case 0: {
        const out = this.#writable(input);
        const flips = 1 + this.below(8);
        for (let i = 0; i < flips; i++) {
          const p = this.below(out.length);
          out[p] = out[p]! ^ (1 << this.below(8));
        }
        return out;
      }
      case 1: {
        const out = this.#writable(input);
        out[at] = this.pick(INTERESTING_BYTES);
        return out;
      }
      case 2: {
        const out = this.#writable(input);
        const value = this.pick(INTERESTING_WORDS);
        if (at + 4 <= out.length && this.chance(0.5)) out.writeUInt32BE(value >>> 0, at);
        else if (at + 2 <= out.length) out.writeUInt16BE(value & 0xffff, at);
        return out;
      }
      case 3: {
        const chunk = this.chance(0.5)
          ? this.bytes(1 + this.below(32))
          : this.#chunkOf(this.chance(0.5) ? input : other);
        return this.#made(Buffer.concat([input.subarray(0, at), chunk, input.subarray(at)]));
      }
      case 4: {
        const n = 1 + this.below(Math.min(64, input.length - at));
        return this.#made(Buffer.concat([input.subarray(0, at), input.subarray(at + n)]));
      }
      case 5: {
        const chunk = this.#chunkOf(input);
        const times = 1 + this.below(this.chance(0.1) ? 64 : 4);
        const copies: Buffer[] = [];
        for (let i = 0; i < times; i++) copies.push(chunk);
        return this.#made(Buffer.concat([input.subarray(0, at), ...copies, input.subarray(at)]));
      }
      case 6: {
        // Splice: the head of one input, the tail of the other.
        if (other.length === 0) return input;
        const cut = this.below(other.length);
        return this.#made(Buffer.concat([input.subarray(0, at), other.subarray(cut)]));
      }
      case 7:
        return this.#decimalField(input);
      case 8:
        return this.#binaryField(input);
      case 9:
        // A view: owned if its buffer is.
        return input.subarray(0, at);
      default: {
        const out = this.#writable(input);
        const n = Math.min(out.length - at, 1 + this.below(8));
        this.bytes(n).copy(out, at);
        return out;
      }
    }
  }

  #chunkOf(buf: Buffer): Buffer {
    if (buf.length === 0) return buf;
    const start = this.below(buf.length);
    return buf.subarray(start, start + 1 + this.below(Math.min(64, buf.length - start)));
  }

  /** Rewrites a run of decimal digits (a bencode length or integer, a query value). */
  #decimalField(input: Buffer): Buffer {
    const runs: [number, number][] = [];
    for (let i = 0; i < input.length && runs.length < 64; i++) {
      if (input[i]! < 0x30 || input[i]! > 0x39) continue;
      let j = i;
      while (j < input.length && input[j]! >= 0x30 && input[j]! <= 0x39) j++;
      runs.push([i, j]);
      i = j;
    }
    if (runs.length === 0) return input;
    const [a, b] = this.pick(runs);
    const old = Number(input.toString("latin1", a, b));
    const replacement = this.chance(0.5)
      ? this.pick(INTERESTING_NUMBERS)
      : String(Math.max(0, old + this.below(33) - 16));
    return this.#made(
      Buffer.concat([input.subarray(0, a), Buffer.from(replacement), input.subarray(b)]),
    );
  }

  /** Adds a small delta to a 16- or 32-bit big-endian field. */
  #binaryField(input: Buffer): Buffer {
    const wide = this.chance(0.5);
    const size = wide ? 4 : 2;
    if (input.length < size) return input;
    const out = this.#writable(input);
    const at = this.below(out.length - size + 1);
    const delta = this.below(65) - 32;
    if (wide) out.writeUInt32BE((out.readUInt32BE(at) + delta) >>> 0, at);
    else out.writeUInt16BE((out.readUInt16BE(at) + delta) & 0xffff, at);
    return out;
  }
}
