/**
 * RC4, the stream cipher of Message Stream Encryption (MSE/PE, the
 * Vuze/libtorrent spec), with its first 1024 keystream bytes discarded as
 * the spec requires ("RC4-drop1024").
 *
 * Three implementations, compared over 1 GiB by bench/rc4.ts: shoal's
 * WebAssembly one (rc4-wasm.ts, in place, the default), OpenSSL's (only in
 * its legacy provider, which Node loads with --openssl-legacy-provider; it
 * returns new memory for every chunk) and the plain JavaScript one below,
 * which needs nothing (for a Node without WebAssembly).
 */
import { createCipheriv } from "node:crypto";
import { rc4KeySchedule } from "./rc4-key.ts";
import { WasmRc4, wasmRc4Available } from "./rc4-wasm.ts";
import type { StreamCipher } from "./stream-cipher.ts";

export type { StreamCipher };

/** MSE: the first 1024 bytes of each keystream are thrown away. */
const DISCARD = 1024;

export type Rc4Implementation = "auto" | "wasm" | "openssl" | "js";

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

/**
 * An RC4-drop1024 cipher for `key`. "auto" is the WebAssembly one where
 * Node runs WebAssembly, else the JavaScript one; "openssl" throws where the
 * legacy provider is not loaded.
 */
export function rc4(key: Uint8Array, implementation: Rc4Implementation = "auto"): StreamCipher {
  const cipher = make(key, implementation);
  cipher.discard(DISCARD);
  return cipher;
}

function make(key: Uint8Array, implementation: Rc4Implementation): StreamCipher {
  switch (implementation) {
    case "openssl":
      return new OpenSslRc4(key);
    case "js":
      return new Rc4(key);
    case "wasm":
      return new WasmRc4(key);
    case "auto":
      return wasmRc4Available() ? new WasmRc4(key) : new Rc4(key);
  }
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
  updatev(chunks: readonly Uint8Array[], out: Uint8Array): void {
    let at = 0;
    for (const c of chunks) {
      out.set(this.#cipher.update(c), at);
      at += c.length;
    }
  }
  discard(n: number): void {
    this.#cipher.update(Buffer.alloc(n));
  }
}

/** RC4 as published (key scheduling, then the PRGA xored over the data). */
export class Rc4 implements StreamCipher {
  readonly #s: Uint8Array;
  #i = 0;
  #j = 0;

  constructor(key: Uint8Array) {
    this.#s = rc4KeySchedule(key);
  }

  update(data: Uint8Array): Buffer {
    const out = Buffer.from(data);
    this.updateInPlace(out);
    return out;
  }

  updatev(chunks: readonly Uint8Array[], out: Uint8Array): void {
    let at = 0;
    for (const c of chunks) {
      const into = out.subarray(at, at + c.length);
      if (into !== c) into.set(c);
      this.updateInPlace(into);
      at += c.length;
    }
  }

  discard(n: number): void {
    const s = this.#s;
    let i = this.#i;
    let j = this.#j;
    for (let k = 0; k < n; k++) {
      i = (i + 1) & 255;
      const si = s[i]!;
      j = (j + si) & 255;
      s[i] = s[j]!;
      s[j] = si;
    }
    this.#i = i;
    this.#j = j;
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
