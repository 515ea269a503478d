/**
 * Reads a handshake's fields off a Transport: exactly n bytes, or up to and
 * through a pattern within a bound (MSE synchronises on a hash or on its
 * verification constant after up to 512 bytes of random padding). Every
 * wait is bounded by one deadline for the whole handshake; the stream
 * closing, failing or the deadline passing rejects the pending read.
 * detach() hands the stream on paused, with the bytes read past the
 * handshake.
 */
import type { Transport } from "../net/index.ts";
import { type Clock, realClock } from "../util/index.ts";
import { PeerError } from "./errors.ts";

export class StreamReader {
  readonly #stream: Transport;
  readonly #clock: Clock;
  #buffer: Buffer;
  #failure: Error | undefined;
  #wake: (() => void) | undefined;
  readonly #timer: ReturnType<Clock["setTimeout"]>;
  #attached = true;

  readonly #onData = (chunk: Buffer) => {
    // A stream's chunk is only lent: keep a copy.
    this.#buffer =
      this.#buffer.length === 0 ? Buffer.from(chunk) : Buffer.concat([this.#buffer, chunk]);
    this.#notify();
  };
  readonly #onClose = () => this.#fail(new PeerError("closed", "the peer closed the connection"));
  readonly #onError = (err: Error) =>
    this.#fail(new PeerError("transport", `connection error: ${err.message}`, { cause: err }));

  constructor(stream: Transport, timeoutMs: number, clock: Clock = realClock, prefix?: Buffer) {
    this.#stream = stream;
    this.#clock = clock;
    this.#buffer = prefix ? Buffer.from(prefix) : Buffer.alloc(0);
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
    return this.#buffer.length;
  }

  /** The next `n` bytes. */
  async read(n: number): Promise<Buffer> {
    while (this.#buffer.length < n) await this.#more();
    const out = this.#buffer.subarray(0, n);
    this.#buffer = this.#buffer.subarray(n);
    return out;
  }

  /**
   * Skips to just past `pattern`, which must start within `maxSkip` bytes;
   * resolves with the bytes skipped before it. `failure` names the error.
   */
  async skipPast(pattern: Buffer, maxSkip: number, failure: () => Error): Promise<Buffer> {
    for (;;) {
      const at = this.#buffer.indexOf(pattern);
      if (at >= 0 && at <= maxSkip) {
        const skipped = this.#buffer.subarray(0, at);
        this.#buffer = this.#buffer.subarray(at + pattern.length);
        return skipped;
      }
      if (this.#buffer.length >= maxSkip + pattern.length) throw failure();
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
    const rest = this.#buffer;
    this.#buffer = Buffer.alloc(0);
    return rest;
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
