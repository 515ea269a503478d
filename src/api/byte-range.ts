/**
 * The Range header of a request for a file (RFC 9110 §14): one range of
 * bytes, `bytes=first-last`, `bytes=first-` or `bytes=-suffix`. What a
 * server may ignore is ignored (the whole file is sent): another unit,
 * several ranges, a malformed or overlong header. A range that starts past
 * the end is unsatisfiable (416).
 */

/** Longer Range headers are ignored (a single range needs two numbers). */
export const MAX_RANGE_HEADER = 100;
/** Digits in a position: enough for 2^53. */
const MAX_DIGITS = 16;

/** Bytes [start, end) of the file. */
export interface ByteRange {
  start: number;
  end: number;
}

/**
 * The range asked for in a file of `size` bytes; undefined to send it all;
 * "unsatisfiable" when no byte of it is in the file.
 */
export function parseRange(
  header: string | undefined,
  size: number,
): ByteRange | "unsatisfiable" | undefined {
  if (header === undefined || header.length > MAX_RANGE_HEADER) return undefined;
  const m = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header);
  if (!m) return undefined;
  const [, first = "", last = ""] = m;
  if (first.length > MAX_DIGITS || last.length > MAX_DIGITS) return undefined;
  if (first === "") {
    if (last === "") return undefined;
    // bytes=-N: the last N bytes.
    const suffix = Number(last);
    if (suffix === 0 || size === 0) return "unsatisfiable";
    return { start: Math.max(0, size - suffix), end: size };
  }
  const start = Number(first);
  if (last !== "" && Number(last) < start) return undefined;
  if (start >= size) return "unsatisfiable";
  const end = last === "" ? size : Math.min(size, Number(last) + 1);
  return { start, end };
}
