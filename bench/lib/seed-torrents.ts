/**
 * Small generated torrents for the daemon and web UI benchmarks: `count`
 * single-file torrents of 1–32 KiB each, their data written into `dir` (so
 * a client with that download folder seeds them at once), as .torrent bytes.
 */
import { createHash } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { encode } from "../../src/bencode/index.ts";

const PIECE = 16 * 1024;

export function makeSeedTorrents(count: number, dir: string): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    const name = `item-${String(i).padStart(5, "0")}.bin`;
    const size = 1024 + ((i * 7919) % (31 * 1024));
    const data = createHash("sha512").update(`bench-${i}`).digest();
    const bytes = Buffer.alloc(size);
    for (let o = 0; o < size; o += data.length) data.copy(bytes, o);
    writeFileSync(join(dir, name), bytes);
    const pieces: Buffer[] = [];
    for (let o = 0; o < size; o += PIECE) {
      pieces.push(
        createHash("sha1")
          .update(bytes.subarray(o, o + PIECE))
          .digest(),
      );
    }
    const info = { length: size, name, "piece length": PIECE, pieces: Buffer.concat(pieces) };
    out.push(Buffer.from(encode({ info, "created by": "shoal bench" })));
  }
  return out;
}
