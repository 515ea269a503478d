/**
 * Reads a handshake's fields off a Transport: exactly n bytes, or up to and
 * through a pattern within a bound (MSE synchronises on a hash or on its
 * verification constant after up to 512 bytes of random padding). Every
 * wait is bounded by one deadline for the whole handshake; the stream
 * closing, failing or the deadline passing rejects the pending read.
 * detach() hands the stream on paused, with the bytes read past the
 * handshake.
 *
 * Bytes are gathered in one buffer that grows by doubling: a peer sending
 * its handshake a byte at a time costs linear copying, not quadratic.
 * What read() returns is the reader's own copy, valid after later reads.
 */
import type { Transport } from "../net/index.ts";
import { type Clock, realClock } from "../util/index.ts";
import { PeerError } from "./errors.ts";

/** Enough for a BEP 3 handshake or an MSE key with its padding, without growing. */
const INITIAL_SIZE = 1024;

export class StreamReader {
  readonly #stream: Transport;
  readonly #clock: Clock;
  /** Received bytes not read yet are #store[#start, #end). */
  #store: Buffer;
  #start = 0;
  #end = 0;
  #failure: Error | undefined;
  #wake: (() => void) | undefined;
  readonly #timer: ReturnType<Clock["setTimeout"]>;
  #attached = true;

  readonly #onData = (chunk: Buffer) => {
    // A stream's chunk is only lent: keep a copy.
    this.#append(chunk);
    this.#notify();
  };
  readonly #onClose = () => this.#fail(new PeerError("closed", "the peer closed the connection"));
  readonly #onError = (err: Error) =>
    this.#fail(new PeerError("transport", `connection error: ${err.message}`, { cause: err }));

  constructor(stream: Transport, timeoutMs: number, clock: Clock = realClock, prefix?: Buffer) {
    this.#stream = stream;
    this.#clock = clock;
    this.#store = Buffer.allocUnsafe(Math.max(INITIAL_SIZE, prefix?.length ?? 0));
    if (prefix) this.#append(prefix);
    this.#timer = clock.setTimeout(
      () => this.#fail(new PeerError("handshake_timeout", "no handshake from the peer in time")),
      timeoutMs,
    );
    stream.on("data", this.#onData);
    stream.on("close", this.#onClose);
    stream.on("error", this.#onError);
    stream.resume();
  }

  /** Bytes received and not read yet. */
  get buffered(): number {
    return this.#end - this.#start;
  }

  /** The next `n` bytes. */
  async read(n: number): Promise<Buffer> {
    while (this.buffered < n) await this.#more();
    const out = Buffer.from(this.#store.subarray(this.#start, this.#start + n));
    this.#start += n;
    return out;
  }

  /**
   * Skips to just past `pattern`, which must start within `maxSkip` bytes;
   * resolves with the bytes skipped before it. `failure` names the error.
   */
  async skipPast(pattern: Buffer, maxSkip: number, failure: () => Error): Promise<Buffer> {
    for (;;) {
      const window = this.#store.subarray(this.#start, this.#end);
      const at = window.indexOf(pattern);
      if (at >= 0 && at <= maxSkip) {
        const skipped = Buffer.from(window.subarray(0, at));
        this.#start += at + pattern.length;
        return skipped;
      }
      if (window.length >= maxSkip + pattern.length) throw failure();
      await this.#more();
    }
  }

  /** Stops reading: the stream is paused and handed back with what was read past the handshake. */
  detach(): Buffer {
    if (this.#attached) {
      this.#attached = false;
      this.#clock.clearTimeout(this.#timer);
      this.#stream.off("data", this.#onData);
      this.#stream.off("close", this.#onClose);
      this.#stream.off("error", this.#onError);
      this.#stream.pause();
    }
    const rest = Buffer.from(this.#store.subarray(this.#start, this.#end));
    this.#start = 0;
    this.#end = 0;
    return rest;
  }

  #append(bytes: Uint8Array): void {
    if (this.#end + bytes.length > this.#store.length) {
      const live = this.#end - this.#start;
      const needed = live + bytes.length;
      if (needed <= this.#store.length / 2) {
        this.#store.copyWithin(0, this.#start, this.#end);
      } else {
        const grown = Buffer.allocUnsafe(Math.max(needed, this.#store.length * 2));
        this.#store.copy(grown, 0, this.#start, this.#end);
        this.#store = grown;
      }
      this.#start = 0;
      this.#end = live;
    }
    this.#store.set(bytes, this.#end);
    this.#end += bytes.length;
  }

  #more(): Promise<void> {
    if (this.#failure) return Promise.reject(this.#failure);
    return new Promise((resolve, reject) => {
      this.#wake = () => (this.#failure ? reject(this.#failure) : resolve());
    });
  }

  #notify(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  #fail(err: Error): void {
    if (this.#failure) return;
    this.#failure = err;
    this.detach();
    this.#notify();
  }
}
