import { createHash } from "node:crypto";

/** SHA-1 over OpenSSL (BEP 3 piece hashes and v1 info hashes). */
export function sha1(data: Uint8Array): Buffer {
  return createHash("sha1").update(data).digest();
}

/** SHA-256 over OpenSSL (BEP 52 v2 info hashes). */
export function sha256(data: Uint8Array): Buffer {
  return createHash("sha256").update(data).digest();
}

export { createHash };
