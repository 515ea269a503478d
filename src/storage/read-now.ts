/**
 * Small binary files read at once, not through the thread pool: a daemon's
 * restore reads a thousand .torrent copies in a row (their resume data,
 * being text, goes by readFileSync's UTF-8 path: resume.ts), and a
 * synchronous read is one system call where an asynchronous one is four
 * trips (daemon start-up). Read into one buffer used again for every
 * file: no allocation, no size asked first. Bytes the session has in
 * memory already (preloaded-files.ts) are not read again.
 */
import { closeSync, openSync, readFileSync, readSync } from "node:fs";
import { takePreloaded } from "./preloaded-files.ts";

/** What one read takes at once; a larger file is read whole. */
const SCRATCH_BYTES = 64 * 1024;
let scratch: Buffer | undefined;

/**
 * The file's bytes, as fs reports its errors. A small file's come as a view
 * of the shared buffer, valid only until the next call: copy what is kept.
 */
export function readFileNow(path: string): Buffer {
  const preloaded = takePreloaded(path);
  if (preloaded) return preloaded;
  const fd = openSync(path, "r");
  let length: number;
  try {
    scratch ??= Buffer.allocUnsafeSlow(SCRATCH_BYTES);
    // A regular file's read comes back short only at its end.
    length = readSync(fd, scratch, 0, SCRATCH_BYTES, 0);
  } finally {
    closeSync(fd);
  }
  return length === SCRATCH_BYTES ? readFileSync(path) : scratch.subarray(0, length);
}
