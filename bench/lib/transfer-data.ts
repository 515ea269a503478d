/**
 * The transfer benchmark's payload: one file of incompressible random bytes
 * (so nothing on the path can cheat by compressing), its SHA-1, and the
 * torrents made from it.
 */
import { createHash, randomFillSync } from "node:crypto";
import { createReadStream } from "node:fs";
import { open } from "node:fs/promises";
import { decode, encode, isDict, TORRENT_LIMITS } from "../../src/bencode/index.ts";

/** Writes `bytes` random bytes to `path`, 16 MiB at a time; resolves to their SHA-1 (hex). */
export async function makeRandomFile(path: string, bytes: number): Promise<string> {
  const hash = createHash("sha1");
  const chunk = Buffer.allocUnsafe(16 * 1024 * 1024);
  const file = await open(path, "w");
  try {
    for (let written = 0; written < bytes; ) {
      const n = Math.min(chunk.length, bytes - written);
      randomFillSync(chunk, 0, n);
      hash.update(chunk.subarray(0, n));
      await file.write(chunk, 0, n);
      written += n;
    }
  } finally {
    await file.close();
  }
  return hash.digest("hex");
}

/** SHA-1 (hex) and length of a file, streamed. */
export function hashFile(path: string): Promise<{ sha1: string; bytes: number }> {
  return new Promise((ok, fail) => {
    const hash = createHash("sha1");
    let bytes = 0;
    createReadStream(path, { highWaterMark: 4 * 1024 * 1024 })
      .on("data", (chunk) => {
        bytes += chunk.length;
        hash.update(chunk);
      })
      .on("error", fail)
      .on("end", () => ok({ sha1: hash.digest("hex"), bytes }));
  });
}

/**
 * The same torrent without `announce`/`announce-list`: the info dictionary,
 * and so the info hash, is untouched. The shoal → shoal and libtorrent →
 * libtorrent pairs use it, so neither side talks to a tracker.
 */
export function withoutTrackers(torrent: Uint8Array): Buffer {
  const root = decode(torrent, TORRENT_LIMITS);
  if (!isDict(root)) throw new Error("a .torrent must be a dictionary");
  root.delete("announce");
  root.delete("announce-list");
  return Buffer.from(encode(root));
}
