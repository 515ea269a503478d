/**
 * Incremental framer for a peer connection's byte stream: the handshake
 * first (when expected), then length-prefixed messages. It never concatenates
 * the stream: a message that lies inside one received chunk is returned as a
 * view of it; only a message split across chunks is copied, once. Message
 * length is bounded before any byte of the body is buffered.
 */
import { WireError } from "./errors.ts";
import { decodeHandshake, HANDSHAKE_LENGTH, type Handshake, notBitTorrent } from "./handshake.ts";
import { decodeMessage, type Message } from "./messages.ts";

/** Default bound: a 16 KiB block plus its header, or a bitfield for 1M pieces. */
export const DEFAULT_MAX_MESSAGE_LENGTH = 128 * 1024 + 13;

export type Frame =
  | { kind: "handshake"; handshake: Handshake }
  | { kind: "message"; message: Message };

export interface FramerOptions {
  /** Read a 68-byte handshake before any message. */
  handshake?: boolean;
  /** Longest message body accepted (length prefix value). */
  maxMessageLength?: number;
}

export class WireFramer {
  readonly #chunks: Buffer[] = [];
  /** Read position inside #chunks[0]. */
  #offset = 0;
  #buffered = 0;
  #needHandshake: boolean;
  #maxLength: number;
  #failed = false;

  constructor(opts: FramerOptions = {}) {
    this.#needHandshake = opts.handshake ?? true;
    this.#maxLength = opts.maxMessageLength ?? DEFAULT_MAX_MESSAGE_LENGTH;
  }

  /** Bytes received but not yet returned as frames. */
  get buffered(): number {
    return this.#buffered;
  }

  /** Raise the bound once the piece count is known (a bitfield can be large). */
  setMaxMessageLength(n: number): void {
    this.#maxLength = n;
  }

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.#chunks.push(chunk);
    this.#buffered += chunk.length;
  }

  /**
   * The next complete frame, or undefined until more bytes arrive. Throws
   * WireError on a protocol violation; the framer is unusable afterwards.
   */
  next(): Frame | undefined {
    if (this.#failed)
      throw new WireError("bad_protocol", "the connection already broke the protocol");
    try {
      return this.#next();
    } catch (err) {
      this.#failed = true;
      throw err;
    }
  }

  #next(): Frame | undefined {
    if (this.#needHandshake) {
      // Check the protocol string as soon as its first bytes arrive, so a
      // non-BitTorrent client is dropped without waiting for 68 bytes.
      if (this.#buffered > 0 && this.#peekByte(0) !== 19) throw notBitTorrent();
      if (this.#buffered < HANDSHAKE_LENGTH) return undefined;
      this.#needHandshake = false;
      return { kind: "handshake", handshake: decodeHandshake(this.#take(HANDSHAKE_LENGTH)) };
    }
    if (this.#buffered < 4) return undefined;
    const length = this.#peekUInt32();
    if (length > this.#maxLength) {
      throw new WireError(
        "message_too_long",
        `message of ${length} bytes is over the limit of ${this.#maxLength}`,
      );
    }
    if (this.#buffered < 4 + length) return undefined;
    this.#skip(4);
    return { kind: "message", message: decodeMessage(this.#take(length)) };
  }

  #peekByte(at: number): number {
    let i = 0;
    let pos = this.#offset + at;
    while (pos >= this.#chunks[i]!.length) {
      pos -= this.#chunks[i]!.length;
      i++;
    }
    return this.#chunks[i]![pos]!;
  }

  #peekUInt32(): number {
    const first = this.#chunks[0]!;
    if (first.length - this.#offset >= 4) return first.readUInt32BE(this.#offset);
    return (
      ((this.#peekByte(0) << 24) |
        (this.#peekByte(1) << 16) |
        (this.#peekByte(2) << 8) |
        this.#peekByte(3)) >>>
      0
    );
  }

  #skip(n: number): void {
    this.#take(n);
  }

  /** Removes `n` buffered bytes: a view when they lie in one chunk, else one copy. */
  #take(n: number): Buffer {
    this.#buffered -= n;
    const first = this.#chunks[0];
    if (n === 0 || first === undefined) return Buffer.alloc(0);
    if (first.length - this.#offset >= n) {
      const out = first.subarray(this.#offset, this.#offset + n);
      this.#offset += n;
      if (this.#offset === first.length) {
        this.#chunks.shift();
        this.#offset = 0;
      }
      return out;
    }
    const out = Buffer.allocUnsafe(n);
    let filled = 0;
    while (filled < n) {
      const chunk = this.#chunks[0]!;
      const count = Math.min(chunk.length - this.#offset, n - filled);
      chunk.copy(out, filled, this.#offset, this.#offset + count);
      filled += count;
      this.#offset += count;
      if (this.#offset === chunk.length) {
        this.#chunks.shift();
        this.#offset = 0;
      }
    }
    return out;
  }
}
