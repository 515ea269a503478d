/**
 * A Transport whose bytes are RC4-encrypted on the wire (MSE's payload
 * stream once RC4 was selected): writes are encrypted into new memory (the
 * caller's chunks, piece data among them, are left as they are) and reads
 * are decrypted in place where that is cheaper (a read chunk is lent to us,
 * then lent on).
 */
import { EventEmitter } from "node:events";
import type { Transport, TransportEvents } from "../net/index.ts";
import type { StreamCipher } from "./rc4.ts";

export class EncryptedTransport extends EventEmitter<TransportEvents> implements Transport {
  readonly #inner: Transport;
  readonly #encrypt: StreamCipher;
  readonly #decrypt: StreamCipher;

  /** `inner` must be paused with no "data" listener; resume() starts reading. */
  constructor(inner: Transport, encrypt: StreamCipher, decrypt: StreamCipher) {
    super();
    this.#inner = inner;
    this.#encrypt = encrypt;
    this.#decrypt = decrypt;
    inner.on("data", (chunk) => this.emit("data", this.#decrypt.updateOwned(chunk)));
    inner.on("drain", () => this.emit("drain"));
    inner.on("close", () => this.emit("close"));
    inner.on("error", (err) => {
      if (this.listenerCount("error") > 0) this.emit("error", err);
    });
  }

  get remoteAddress(): string | undefined {
    return this.#inner.remoteAddress;
  }

  get remotePort(): number | undefined {
    return this.#inner.remotePort;
  }

  get destroyed(): boolean {
    return this.#inner.destroyed;
  }

  write(chunk: Uint8Array): boolean {
    if (this.#inner.destroyed) return false;
    return this.#inner.write(this.#encrypt.update(chunk));
  }

  writev(chunks: readonly Uint8Array[], sent?: () => void): boolean {
    if (this.#inner.destroyed) return false;
    // Encrypted into new memory: the caller's chunks are free at once.
    const out = this.#inner.writev(chunks.map((c) => this.#encrypt.update(c)));
    sent?.();
    return out;
  }

  end(): void {
    this.#inner.end();
  }

  destroy(err?: Error): void {
    this.#inner.destroy(err);
  }

  pause(): void {
    this.#inner.pause();
  }

  resume(): void {
    this.#inner.resume();
  }
}
