/** What MSE needs of a stream cipher (RC4 in rc4.ts and rc4-wasm.ts). */
export interface StreamCipher {
  /** `data` encrypted (or decrypted: RC4 is its own inverse) into new memory. */
  update(data: Uint8Array): Buffer;
  /** The same, in place (for memory that is ours to change). */
  updateInPlace(data: Uint8Array): void;
  /** The chunks' bytes, back to back, into `out` (at least as long as all of them). */
  updatev(chunks: readonly Uint8Array[], out: Uint8Array): void;
  /** Moves the keystream on by `n` bytes (MSE drops its first 1024). */
  discard(n: number): void;
}
