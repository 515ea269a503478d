/**
 * IP block lists, as eMule, qBittorrent and Transmission read them:
 *
 * - eMule DAT (`ipfilter.dat`): `first - last , level , description`, where
 *   a range with an access level above 127 is allowed (eMule's default
 *   filter level), the addresses often zero-padded (`001.002.003.000`),
 *   IPv4 or IPv6;
 * - PeerGuardian P2P text: `description:first-last` (IPv4; the description
 *   may itself hold colons, so the range is what follows the last one).
 *
 * Comments (`#`, `//`) and blank lines are skipped; a line neither format
 * can read is counted, not fatal. Ranges are sorted and merged, so a lookup
 * is a binary search (a million ranges: 20 steps).
 */
import { NetError } from "./errors.ts";

/** Lines of a list at most (a large real list has a few hundred thousand). */
export const MAX_FILTER_LINES = 10_000_000;
/** Bytes of a list at most, after decompression. */
export const MAX_FILTER_BYTES = 1024 * 1024 * 1024;
/** eMule: a range with a higher access level than this is not blocked. */
const EMULE_FILTER_LEVEL = 127;

export interface IpFilterLoad {
  filter: IpFilter;
  /** Lines that held a range (blocking or not). */
  ranges: number;
  /** Lines no format could read. */
  invalid: number;
}

export class IpFilter {
  readonly #v4Start: Uint32Array;
  readonly #v4End: Uint32Array;
  readonly #v6Start: bigint[];
  readonly #v6End: bigint[];

  private constructor(v4s: Uint32Array, v4e: Uint32Array, v6s: bigint[], v6e: bigint[]) {
    this.#v4Start = v4s;
    this.#v4End = v4e;
    this.#v6Start = v6s;
    this.#v6End = v6e;
  }

  /** A filter that blocks nothing. */
  static empty(): IpFilter {
    return new IpFilter(new Uint32Array(0), new Uint32Array(0), [], []);
  }

  /** Reads a list (gzipped or not); throws NetError "bad_filter" when it is too large. */
  static parse(data: Uint8Array | string): IpFilterLoad {
    let bytes = typeof data === "string" ? Buffer.from(data, "latin1") : Buffer.from(data);
    if (bytes[0] === 0x1f && bytes[1] === 0x8b) {
      try {
        // node:zlib taken when a gzipped list comes, not loaded by every process start.
        bytes = process
          .getBuiltinModule("node:zlib")
          .gunzipSync(bytes, { maxOutputLength: MAX_FILTER_BYTES });
      } catch (err) {
        throw new NetError(
          "bad_filter",
          `the block list is not valid gzip: ${(err as Error).message}`,
        );
      }
    }
    if (bytes.length > MAX_FILTER_BYTES) {
      throw new NetError("bad_filter", `the block list is over ${MAX_FILTER_BYTES} bytes`);
    }
    const text = bytes.toString("latin1");
    const v4 = new RangeBuilder();
    const v6: [bigint, bigint][] = [];
    let ranges = 0;
    let invalid = 0;
    let lines = 0;
    let at = 0;
    while (at < text.length) {
      let end = text.indexOf("\n", at);
      if (end < 0) end = text.length;
      if (++lines > MAX_FILTER_LINES) {
        throw new NetError("bad_filter", `the block list has over ${MAX_FILTER_LINES} lines`);
      }
      const line = text.slice(at, end).trim();
      at = end + 1;
      if (line === "" || line[0] === "#" || line.startsWith("//")) continue;
      const range = parseLine(line);
      if (!range) {
        invalid++;
        continue;
      }
      ranges++;
      if (!range.blocked) continue;
      if (range.v6) v6.push(range.v6);
      else v4.push(range.first, range.last);
    }
    const [v4s, v4e] = v4.merged();
    v6.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    const v6s: bigint[] = [];
    const v6e: bigint[] = [];
    for (const [s, e] of v6) {
      const last = v6e.length - 1;
      if (last >= 0 && s <= v6e[last]! + 1n) {
        if (e > v6e[last]!) v6e[last] = e;
      } else {
        v6s.push(s);
        v6e.push(e);
      }
    }
    return { filter: new IpFilter(v4s, v4e, v6s, v6e), ranges, invalid };
  }

  /** Blocking ranges after merging. */
  get size(): number {
    return this.#v4Start.length + this.#v6Start.length;
  }

  /** Whether `address` (IPv4, IPv6, IPv4-mapped IPv6; a zone is ignored) is blocked. */
  blocked(address: string): boolean {
    const v4 = ipv4Number(address.startsWith("::ffff:") ? address.slice(7) : address);
    if (v4 !== undefined) return search(this.#v4Start, this.#v4End, v4);
    if (this.#v6Start.length === 0) return false;
    const v6 = ipv6BigInt(address);
    if (v6 === undefined) return false;
    let lo = 0;
    let hi = this.#v6Start.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.#v6Start[mid]! <= v6) lo = mid + 1;
      else hi = mid - 1;
    }
    return hi >= 0 && v6 <= this.#v6End[hi]!;
  }
}

/** Binary search: the last range starting at or before `ip` holds it? */
function search(starts: Uint32Array, ends: Uint32Array, ip: number): boolean {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    if (starts[mid]! <= ip) lo = mid + 1;
    else hi = mid - 1;
  }
  return hi >= 0 && ip <= ends[hi]!;
}

/** IPv4 ranges, packed start << 32 | end, so one numeric sort orders them. */
class RangeBuilder {
  #packed = new BigUint64Array(1024);
  #length = 0;

  push(first: number, last: number): void {
    if (this.#length === this.#packed.length) {
      const grown = new BigUint64Array(this.#packed.length * 2);
      grown.set(this.#packed);
      this.#packed = grown;
    }
    this.#packed[this.#length++] = (BigInt(first) << 32n) | BigInt(last);
  }

  merged(): [Uint32Array, Uint32Array] {
    const packed = this.#packed.subarray(0, this.#length).sort();
    const starts = new Uint32Array(this.#length);
    const ends = new Uint32Array(this.#length);
    let n = 0;
    for (const p of packed) {
      const s = Number(p >> 32n);
      const e = Number(p & 0xffffffffn);
      if (n > 0 && s <= ends[n - 1]! + 1) {
        if (e > ends[n - 1]!) ends[n - 1] = e;
      } else {
        starts[n] = s;
        ends[n] = e;
        n++;
      }
    }
    return [starts.slice(0, n), ends.slice(0, n)];
  }
}

type ParsedLine =
  | { blocked: boolean; first: number; last: number; v6?: undefined }
  | { blocked: boolean; v6: [bigint, bigint] };

function parseLine(line: string): ParsedLine | undefined {
  const comma = line.indexOf(",");
  if (comma >= 0) {
    // eMule DAT: range , level , description
    const second = line.indexOf(",", comma + 1);
    const levelText = line.slice(comma + 1, second < 0 ? undefined : second).trim();
    const level = /^\d{1,4}$/.test(levelText) ? Number(levelText) : Number.NaN;
    if (Number.isNaN(level)) return undefined;
    return parseRange(line.slice(0, comma), level <= EMULE_FILTER_LEVEL);
  }
  // PeerGuardian: description:first-last (IPv4), else a bare range.
  const colon = line.lastIndexOf(":");
  if (colon >= 0) {
    const range = parseRange(line.slice(colon + 1), true);
    if (range && range.v6 === undefined) return range;
  }
  return parseRange(line, true);
}

function parseRange(text: string, blocked: boolean): ParsedLine | undefined {
  const dash = text.indexOf("-");
  if (dash < 0) return undefined;
  const a = text.slice(0, dash).trim();
  const b = text.slice(dash + 1).trim();
  const first = ipv4Number(a);
  const last = ipv4Number(b);
  if (first !== undefined && last !== undefined) {
    return first <= last ? { blocked, first, last } : undefined;
  }
  const f6 = ipv6BigInt(a);
  const l6 = ipv6BigInt(b);
  if (f6 === undefined || l6 === undefined || f6 > l6) return undefined;
  return { blocked, v6: [f6, l6] };
}

/** A dotted quad (leading zeros allowed, as eMule pads them) as a number. */
export function ipv4Number(text: string): number | undefined {
  let value = 0;
  let part = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      part = part * 10 + (c - 48);
      if (++digits > 3 || part > 255) return undefined;
    } else if (c === 46) {
      if (digits === 0 || ++dots > 3) return undefined;
      value = value * 256 + part;
      part = 0;
      digits = 0;
    } else {
      return undefined;
    }
  }
  if (dots !== 3 || digits === 0) return undefined;
  return value * 256 + part;
}

/** An IPv6 address (`::` allowed, a `%zone` ignored) as a 128-bit number. */
export function ipv6BigInt(text: string): bigint | undefined {
  const zone = text.indexOf("%");
  const s = zone >= 0 ? text.slice(0, zone) : text;
  if (!s.includes(":") || s.length > 45) return undefined;
  const halves = s.split("::");
  if (halves.length > 2) return undefined;
  const head = halves[0] === "" ? [] : halves[0]!.split(":");
  const tail = halves.length === 2 && halves[1] !== "" ? halves[1]!.split(":") : [];
  const groups: number[] = [];
  for (const part of [...head, ...tail]) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(part)) return undefined;
    groups.push(Number.parseInt(part, 16));
  }
  if (halves.length === 1 ? groups.length !== 8 : groups.length > 7) return undefined;
  const zeros = 8 - groups.length;
  const all = [
    ...groups.slice(0, head.length),
    ...new Array<number>(zeros).fill(0),
    ...groups.slice(head.length),
  ];
  let value = 0n;
  for (const g of all) value = (value << 16n) | BigInt(g);
  return value;
}
