/**
 * Drivers for what the daemon's HTTP API reads from its clients before any
 * handler: the Range header of a file request (RFC 9110 §14), which the web
 * UI's and a media player's downloads send.
 */
import { MAX_RANGE_HEADER, parseRange } from "../../../src/api/byte-range.ts";
import type { Driver } from "../driver.ts";

/** The sizes a file may have: empty, one byte, small, and past 2^32. */
const SIZES = [0, 1, 1000, 2 ** 33 + 7];

/** A Range header; the first byte picks the file's size. */
export const rangeHeaderDriver: Driver = {
  name: "range-header",
  seeds: () =>
    [
      "\x02bytes=0-99",
      "\x02bytes=500-",
      "\x01bytes=-1",
      "\x03bytes = 8589934590 - ",
      "\x00bytes=0-0",
      "\x02items=0-1",
      "\x02bytes=0-1,5-9",
    ].map((s) => Buffer.from(s, "latin1")),
  maxLength: 2 * MAX_RANGE_HEADER,
  run(input) {
    const size = SIZES[(input[0] ?? 0) & 3]!;
    const r = parseRange(input.toString("latin1", 1), size);
    if (r === undefined) return "whole";
    if (r === "unsatisfiable") return "unsatisfiable";
    if (!(Number.isSafeInteger(r.start) && Number.isSafeInteger(r.end))) {
      throw new Error(`a range of non-integers: ${r.start}-${r.end}`);
    }
    if (r.start < 0 || r.start >= r.end || r.end > size) {
      throw new Error(`range ${r.start}-${r.end} of a file of ${size} bytes`);
    }
    return r.end === size ? "to the end" : "part";
  },
};
