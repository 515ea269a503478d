/**
 * Incremental framer for a peer connection's byte stream: the handshake
 * first (when expected), then length-prefixed messages. Input chunks are
 * treated as borrowed: the socket may reuse its read buffer as soon as
 * next() has returned undefined, so the unread tail of a chunk is copied into
 * the framer's own carry buffer, and a message split across chunks is
 * completed there. A message that lies inside one chunk is returned as a view
 * of it, so every byte is copied at most once. Message length is bounded
 * before any byte of the body is buffered.
 *
 * A frame's buffers (a piece's block) are valid only until the next call to
 * next() or push(): whoever keeps bytes copies them. Bodies that are kept
 * (bitfield, extension payloads) are copied here.
 */
import { WireError } from "./errors.ts";
import { decodeHandshake, HANDSHAKE_LENGTH, type Handshake, notBitTorrent } from "./handshake.ts";
import { decodeMessage, type Message, MessageId } from "./messages.ts";

/** Default bound: a 16 KiB block plus its header, or a bitfield for 1M pieces. */
export const DEFAULT_MAX_MESSAGE_LENGTH = 128 * 1024 + 13;

/** The carry buffer's usual size: a 16 KiB block message and its length prefix. */
const CARRY_SIZE = 16 * 1024 + 13 + 4;

const EMPTY = Buffer.alloc(0);

/** Message ids whose decoded form keeps no view of the body, or only a block. */
const DECODED_WITHOUT_VIEWS: ReadonlySet<number> = new Set([
  MessageId.choke,
  MessageId.unchoke,
  MessageId.interested,
  MessageId.notInterested,
  MessageId.have,
  MessageId.request,
  MessageId.piece,
  MessageId.cancel,
  MessageId.port,
  MessageId.suggest,
  MessageId.haveAll,
  MessageId.haveNone,
  MessageId.reject,
  MessageId.allowedFast,
]);

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
  /** The chunk being read (borrowed from the caller) and the read position in it. */
  #chunk: Buffer = EMPTY;
  #pos = 0;
  /** Owned bytes of a frame that began in an earlier chunk. */
  #carry: Buffer | undefined;
  #carryLength = 0;
  #needHandshake: boolean;
  #maxLength: number;
  #failed = false;

  constructor(opts: FramerOptions = {}) {
    this.#needHandshake = opts.handshake ?? true;
    this.#maxLength = opts.maxMessageLength ?? DEFAULT_MAX_MESSAGE_LENGTH;
  }

  /** Bytes received but not yet returned as frames. */
  get buffered(): number {
    return this.#carryLength + this.#chunk.length - this.#pos;
  }

  /** Raise the bound once the piece count is known (a bitfield can be large). */
  setMaxMessageLength(n: number): void {
    this.#maxLength = n;
  }

  /**
   * Hands the framer the next chunk of the stream; read frames with next()
   * until it returns undefined, after which `chunk` is no longer referenced.
   */
  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    // The previous chunk was not read to its end: keep its tail.
    if (this.#pos < this.#chunk.length) this.#stash();
    this.#chunk = chunk;
    this.#pos = 0;
  }

  /**
   * The next complete frame, or undefined until more bytes arrive. Throws
   * WireError on a protocol violation; the framer is unusable afterwards.
   */
  next(): Frame | undefined {
    if (this.#failed)
      throw new WireError("bad_protocol", "the connection already broke the protocol");
    try {
      const frame = this.#carryLength > 0 ? this.#fromCarry() : this.#fromChunk();
      if (frame === undefined) {
        this.#stash();
        this.#chunk = EMPTY;
        this.#pos = 0;
        return undefined;
      }
      return this.#decode(frame);
    } catch (err) {
      this.#failed = true;
      throw err;
    }
  }

  /**
   * The whole frame's length (prefix included) from its first bytes in
   * `buf`, or -1 while too few of them are there to tell.
   */
  #frameLength(buf: Buffer, at: number, available: number): number {
    if (this.#needHandshake) {
      // Check the protocol string as soon as its first byte arrives, so a
      // non-BitTorrent client is dropped without waiting for 68 bytes.
      if (available < 1) return -1;
      if (buf[at] !== 19) throw notBitTorrent();
      return HANDSHAKE_LENGTH;
    }
    if (available < 4) return -1;
    const length = buf.readUInt32BE(at);
    if (length > this.#maxLength) {
      throw new WireError(
        "message_too_long",
        `message of ${length} bytes is over the limit of ${this.#maxLength}`,
      );
    }
    return 4 + length;
  }

  /** A frame lying whole in the current chunk, as a view of it. */
  #fromChunk(): Buffer | undefined {
    const available = this.#chunk.length - this.#pos;
    const total = this.#frameLength(this.#chunk, this.#pos, available);
    if (total === -1 || available < total) return undefined;
    const start = this.#pos;
    this.#pos += total;
    return this.#chunk.subarray(start, start + total);
  }

  /** Completes the carried frame from the current chunk. */
  #fromCarry(): Buffer | undefined {
    this.#fill(this.#needHandshake ? 1 : 4);
    const total = this.#frameLength(this.#carry!, 0, this.#carryLength);
    if (total === -1) return undefined;
    this.#fill(total);
    if (this.#carryLength < total) return undefined;
    const frame = this.#carry!.subarray(0, total);
    this.#carryLength = 0;
    // A large carry (a big bitfield) is not kept once its frame is out.
    if (this.#carry!.length > CARRY_SIZE) this.#carry = undefined;
    return frame;
  }

  /** Copies bytes of the current chunk into the carry until it holds `n`. */
  #fill(n: number): void {
    const take = Math.min(n - this.#carryLength, this.#chunk.length - this.#pos);
    if (take <= 0) return;
    this.#reserve(n);
    this.#chunk.copy(this.#carry!, this.#carryLength, this.#pos, this.#pos + take);
    this.#carryLength += take;
    this.#pos += take;
  }

  /** Moves the current chunk's unread bytes into the carry. */
  #stash(): void {
    const rest = this.#chunk.length - this.#pos;
    if (rest === 0) return;
    this.#reserve(this.#carryLength + rest);
    this.#chunk.copy(this.#carry!, this.#carryLength, this.#pos);
    this.#carryLength += rest;
    this.#pos = this.#chunk.length;
  }

  /** Makes the carry hold at least `n` bytes, keeping what it holds. */
  #reserve(n: number): void {
    const old = this.#carry;
    if (old !== undefined && old.length >= n) return;
    const grown = Buffer.allocUnsafeSlow(Math.max(n, CARRY_SIZE));
    if (old !== undefined) old.copy(grown, 0, 0, this.#carryLength);
    this.#carry = grown;
  }

  #decode(frame: Buffer): Frame {
    if (this.#needHandshake) {
      this.#needHandshake = false;
      return { kind: "handshake", handshake: decodeHandshake(frame) };
    }
    const body = frame.subarray(4);
    // The frame's bytes are borrowed: a body whose decoded message holds a
    // view of it (bitfield, extension or unknown payloads) is copied, except
    // a piece's block, which its listener copies into the piece at once.
    const borrowed = body.length === 0 || DECODED_WITHOUT_VIEWS.has(body[0]!);
    return { kind: "message", message: decodeMessage(borrowed ? body : Buffer.from(body)) };
  }
}
