import { createHash, hash } from "node:crypto";

// One-shot hashing (crypto.hash): a single call into OpenSSL, where
// createHash().update().digest() makes a Hash object and crosses into C++
// three times. Equal for large inputs (a piece); for a .torrent's info
// dictionary of a few hundred bytes, hashed once per torrent restored, it
// is most of the cost (daemon start-up: 1,000 of them in a row).

/** SHA-1 over OpenSSL (BEP 3 piece hashes and v1 info hashes). */
export function sha1(data: Uint8Array): Buffer {
  return hash("sha1", data, "buffer");
}

/** SHA-256 over OpenSSL (BEP 52 v2 info hashes). */
export function sha256(data: Uint8Array): Buffer {
  return hash("sha256", data, "buffer");
}

export { createHash };
