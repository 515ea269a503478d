/** Several 13-byte block messages (request, cancel, reject) in one buffer: one write. */
import type { BlockRef } from "../wire/index.ts";

export function encodeBlockMessages(id: number, refs: readonly BlockRef[]): Buffer {
  const buf = Buffer.allocUnsafe(17 * refs.length);
  refs.forEach((r, i) => {
    const at = 17 * i;
    buf.writeUInt32BE(13, at);
    buf[at + 4] = id;
    buf.writeUInt32BE(r.index, at + 5);
    buf.writeUInt32BE(r.begin, at + 9);
    buf.writeUInt32BE(r.length, at + 13);
  });
  return buf;
}
