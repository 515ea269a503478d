/**
 * RC4, the stream cipher of Message Stream Encryption (MSE/PE, the
 * Vuze/libtorrent spec), with its first 1024 keystream bytes discarded as
 * the spec requires ("RC4-drop1024").
 *
 * OpenSSL 3 ships RC4 only in its legacy provider, which Node loads with
 * --openssl-legacy-provider; where that was done deliberately (about twice
 * as fast here: ~520 MB/s against ~260 MB/s on one core) OpenSSL's is used,
 * otherwise the plain implementation below, which needs nothing.
 */
import { createCipheriv } from "node:crypto";

/** MSE: the first 1024 bytes of each keystream are thrown away. */
const DISCARD = 1024;

export interface StreamCipher {
  /** `data` encrypted (or decrypted: RC4 is its own inverse) into new memory. */
  update(data: Uint8Array): Buffer;
  /** The same, in place (for memory that is ours to change). */
  updateInPlace(data: Uint8Array): void;
  /** The same for memory we may change: the result is `data` itself or new memory, whichever is cheaper. */
  updateOwned(data: Buffer): Buffer;
}

let openssl: boolean | undefined;

/** Whether Node's OpenSSL has RC4 (the legacy provider is loaded). */
export function opensslHasRc4(): boolean {
  if (openssl === undefined) {
    try {
      createCipheriv("rc4", Buffer.alloc(16), null);
      openssl = true;
    } catch {
      openssl = false;
    }
  }
  return openssl;
}

/** An RC4-drop1024 cipher for `key`. */
export function rc4(key: Uint8Array, implementation: "auto" | "js" = "auto"): StreamCipher {
  const cipher: StreamCipher =
    implementation === "auto" && opensslHasRc4() ? new OpenSslRc4(key) : new Rc4(key);
  cipher.updateInPlace(new Uint8Array(DISCARD));
  return cipher;
}

class OpenSslRc4 implements StreamCipher {
  readonly #cipher;
  constructor(key: Uint8Array) {
    this.#cipher = createCipheriv("rc4", key, null);
  }
  update(data: Uint8Array): Buffer {
    return this.#cipher.update(data);
  }
  updateInPlace(data: Uint8Array): void {
    data.set(this.#cipher.update(data));
  }
  updateOwned(data: Buffer): Buffer {
    return this.#cipher.update(data);
  }
}

/** RC4 as published (key scheduling, then the PRGA xored over the data). */
export class Rc4 implements StreamCipher {
  readonly #s = new Uint8Array(256);
  #i = 0;
  #j = 0;

  constructor(key: Uint8Array) {
    if (key.length === 0 || key.length > 256) throw new RangeError("an RC4 key is 1 to 256 bytes");
    const s = this.#s;
    for (let i = 0; i < 256; i++) s[i] = i;
    let j = 0;
    for (let i = 0; i < 256; i++) {
      const si = s[i]!;
      j = (j + si + key[i % key.length]!) & 255;
      s[i] = s[j]!;
      s[j] = si;
    }
  }

  update(data: Uint8Array): Buffer {
    const out = Buffer.from(data);
    this.updateInPlace(out);
    return out;
  }

  updateOwned(data: Buffer): Buffer {
    this.updateInPlace(data);
    return data;
  }

  updateInPlace(data: Uint8Array): void {
    const s = this.#s;
    let i = this.#i;
    let j = this.#j;
    for (let k = 0; k < data.length; k++) {
      i = (i + 1) & 255;
      const si = s[i]!;
      j = (j + si) & 255;
      const sj = s[j]!;
      s[i] = sj;
      s[j] = si;
      data[k] = data[k]! ^ s[(si + sj) & 255]!;
    }
    this.#i = i;
    this.#j = j;
  }
}
