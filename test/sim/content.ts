/** A simulation's torrent: content drawn from the seed, and its metainfo, built in memory. */
import { encode } from "../../src/bencode/index.ts";
import { type Metainfo, parseMetainfo } from "../../src/metainfo/index.ts";
import { sha1 } from "../../src/util/index.ts";

/** `size` bytes from a seeded SplitMix32 stream, filled a 32-bit word at a time. */
export function simulatedContent(seed: number, size: number): Buffer {
  const words = new Uint32Array(Math.ceil(size / 4));
  let state = (seed ^ 0x5bd1e995) >>> 0;
  for (let i = 0; i < words.length; i++) {
    state = (state + 0x9e3779b9) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    words[i] = z ^ (z >>> 16);
  }
  return Buffer.from(words.buffer, 0, size);
}

/** A single-file v1 torrent over `content`, without trackers. */
export function simulatedMetainfo(name: string, content: Buffer, pieceLength: number): Metainfo {
  const hashes: Buffer[] = [];
  for (let at = 0; at < content.length; at += pieceLength) {
    hashes.push(sha1(content.subarray(at, at + pieceLength)));
  }
  const info = {
    length: content.length,
    name,
    "piece length": pieceLength,
    pieces: Buffer.concat(hashes),
  };
  return parseMetainfo(encode({ info }));
}
