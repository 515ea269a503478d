/**
 * Small byte strings a torrent keeps for its whole life (its info
 * dictionary with the piece hashes inside it, its info hash), copied
 * densely into shared slabs. A `.torrent` read from disk, like any small
 * Buffer, is a slice of Node's allocation pool (64 KiB chunks on Node 24),
 * and a daemon's restore fills the same chunks with short-lived buffers
 * (resume data, file reads): one kept slice pins its whole chunk, about
 * 0.8 KiB per restored torrent. A copy here pins only its own bytes. A
 * slab is let go once every torrent with bytes in it is.
 */

const SLAB_BYTES = 64 * 1024;
/** Larger byte strings get an allocation of their own (they would waste a slab's tail). */
const MAX_SLAB_COPY = 4 * 1024;

let slab: Buffer | undefined;
let used = 0;

/** A copy of `bytes` for keeping: a slice of a shared slab when small. */
export function keptCopy(bytes: Uint8Array): Buffer {
  const n = bytes.length;
  if (n > MAX_SLAB_COPY) {
    const own = Buffer.allocUnsafeSlow(n);
    own.set(bytes);
    return own;
  }
  if (!slab || used + n > SLAB_BYTES) {
    slab = Buffer.allocUnsafeSlow(SLAB_BYTES);
    used = 0;
  }
  const copy = slab.subarray(used, used + n);
  copy.set(bytes);
  used += n;
  return copy;
}
