/**
 * A Transport whose bytes are RC4-encrypted on the wire (MSE's payload
 * stream once RC4 was selected). Reads are decrypted in place: a read chunk
 * is lent to us, then lent on. Writes are encrypted into memory of ours (the
 * caller's chunks, piece data among them, are left as they are and free at
 * once), a whole writev batch in one cipher call into one buffer, and that
 * buffer is reused once the socket has taken it: a transfer at hundreds of
 * MB/s then allocates nothing per write for the GC to collect.
 */
import { EventEmitter } from "node:events";
import type { Transport, TransportEvents } from "../net/index.ts";
import type { StreamCipher } from "./rc4.ts";

/** Writes up to this size take memory from Node's small-buffer pool. */
const SMALL_WRITE = 4096;
/** A reused buffer's size: a batch of 16 blocks of 16 KiB with their headers fits. */
const BUFFER_SIZE = 288 * 1024;
/** Reused buffers kept per connection (more are in flight only while the socket is backed up). */
const MAX_SPARE = 2;

export class EncryptedTransport extends EventEmitter<TransportEvents> implements Transport {
  readonly #inner: Transport;
  readonly #encrypt: StreamCipher;
  readonly #decrypt: StreamCipher;
  readonly #spare: Buffer[] = [];

  /** `inner` must be paused with no "data" listener; resume() starts reading. */
  constructor(inner: Transport, encrypt: StreamCipher, decrypt: StreamCipher) {
    super();
    this.#inner = inner;
    this.#encrypt = encrypt;
    this.#decrypt = decrypt;
    inner.on("data", (chunk) => {
      this.#decrypt.updateInPlace(chunk);
      this.emit("data", chunk);
    });
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
    return this.writev([chunk]);
  }

  writev(chunks: readonly Uint8Array[], sent?: () => void): boolean {
    if (this.#inner.destroyed) return false;
    let bytes = 0;
    for (const c of chunks) bytes += c.length;
    let ok: boolean;
    if (bytes <= SMALL_WRITE) {
      const out = Buffer.allocUnsafe(bytes);
      this.#encrypt.updatev(chunks, out);
      ok = this.#inner.write(out);
    } else {
      const buffer = this.#take(bytes);
      this.#encrypt.updatev(chunks, buffer);
      ok = this.#inner.writev([buffer.subarray(0, bytes)], () => this.#giveBack(buffer));
    }
    // Encrypted into memory of ours: the caller's chunks are free at once.
    sent?.();
    return ok;
  }

  #take(bytes: number): Buffer {
    const spare = this.#spare.at(-1);
    if (spare && spare.length >= bytes) return this.#spare.pop() as Buffer;
    return Buffer.allocUnsafeSlow(Math.max(bytes, BUFFER_SIZE));
  }

  #giveBack(buffer: Buffer): void {
    if (buffer.length === BUFFER_SIZE && this.#spare.length < MAX_SPARE) this.#spare.push(buffer);
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
