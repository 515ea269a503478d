/**
 * The transfer benchmark's payload: one file of incompressible random bytes
 * (so nothing on the path can cheat by compressing), its SHA-1, and the
 * torrents made from it.
 */
import { createHash, randomFillSync } from "node:crypto";
import { closeSync, createReadStream, openSync, unlinkSync, writeSync } from "node:fs";
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
/**
 * Writes `bytes` to a scratch file in `dir` and deletes it, so the kernel
 * holds that much freshly used free memory when the next run starts. On a
 * virtual machine that hands idle guest memory back to its host (here a
 * Firecracker VM with DAMON reclaim), the first touch of a page the guest has
 * not used lately is several times dearer: a download that writes into such
 * pages pays seconds of kernel time per GiB that one writing into recently
 * freed pages does not. Without this the pair that runs second inherits the
 * first pair's freed page cache and looks faster than it is.
 */
export function warmFreePages(dir: string, bytes: number): void {
  const path = `${dir}/warm-free-pages.tmp`;
  const chunk = Buffer.alloc(8 * 1024 * 1024, 1);
  const fd = openSync(path, "w");
  try {
    for (let done = 0; done < bytes; done += chunk.length) {
      writeSync(fd, chunk, 0, Math.min(chunk.length, bytes - done));
    }
  } finally {
    closeSync(fd);
    unlinkSync(path);
  }
}

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
