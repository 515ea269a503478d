/**
 * Views of a buffer's first n bytes, one per n. Handing a native call the
 * bytes of one read or one reply means a view of that length; replies and
 * requests come in few lengths, so each view is made once rather than per
 * datagram or per read (a new view is an allocation and a call into V8's
 * typed-array constructor). Lengths past MAX_CACHED get a view of their own.
 */
const MAX_CACHED = 4096;

export class LengthViews {
  #of: Uint8Array | undefined;
  #views: Uint8Array[] = [];

  /** bytes[0, length); the views kept are for the last `bytes` asked about. */
  of(bytes: Uint8Array, length: number): Uint8Array {
    if (length === bytes.length) return bytes;
    if (length > MAX_CACHED) return bytes.subarray(0, length);
    if (bytes !== this.#of) {
      this.#of = bytes;
      this.#views = [];
    }
    let view = this.#views[length];
    if (!view) {
      view = bytes.subarray(0, length);
      this.#views[length] = view;
    }
    return view;
  }
}
