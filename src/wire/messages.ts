/**
 * Peer wire messages: BEP 3 core, BEP 5 port, BEP 6 fast extension, BEP 10
 * extended. Every message on the wire is <length: u32 BE><id: u8><payload>;
 * length 0 is a keep-alive.
 */
import { BLOCK_LENGTH } from "../util/index.ts";
import { WireError } from "./errors.ts";

export const MessageId = {
  choke: 0,
  unchoke: 1,
  interested: 2,
  notInterested: 3,
  have: 4,
  bitfield: 5,
  request: 6,
  piece: 7,
  cancel: 8,
  port: 9,
  suggest: 0x0d,
  haveAll: 0x0e,
  haveNone: 0x0f,
  reject: 0x10,
  allowedFast: 0x11,
  extended: 20,
} as const;

export interface BlockRef {
  index: number;
  begin: number;
  length: number;
}

export type Message =
  | { type: "keep-alive" }
  | { type: "choke" }
  | { type: "unchoke" }
  | { type: "interested" }
  | { type: "not-interested" }
  | { type: "have"; index: number }
  /** The raw payload; Bitfield.fromWire checks it against the piece count. */
  | { type: "bitfield"; bitfield: Buffer }
  | ({ type: "request" } & BlockRef)
  | { type: "piece"; index: number; begin: number; block: Buffer }
  | ({ type: "cancel" } & BlockRef)
  | { type: "port"; port: number }
  | { type: "suggest"; index: number }
  | { type: "have-all" }
  | { type: "have-none" }
  | ({ type: "reject" } & BlockRef)
  | { type: "allowed-fast"; index: number }
  | { type: "extended"; id: number; payload: Buffer }
  /** BEP 3: messages with unknown ids are ignored, not fatal. */
  | { type: "unknown"; id: number; payload: Buffer };

function header(length: number, id: number, extra = 0): Buffer {
  const out = Buffer.allocUnsafe(5 + extra);
  out.writeUInt32BE(length, 0);
  out[4] = id;
  return out;
}

function simple(id: number): Buffer {
  return header(1, id);
}

function withIndex(id: number, index: number): Buffer {
  const out = header(5, id, 4);
  out.writeUInt32BE(index, 5);
  return out;
}

function withBlock(id: number, ref: BlockRef): Buffer {
  const out = header(13, id, 12);
  out.writeUInt32BE(ref.index, 5);
  out.writeUInt32BE(ref.begin, 9);
  out.writeUInt32BE(ref.length, 13);
  return out;
}

/** The 13-byte header of a piece message; send the block after it without copying. */
export function encodePieceHeader(index: number, begin: number, blockLength: number): Buffer {
  const out = header(9 + blockLength, MessageId.piece, 8);
  out.writeUInt32BE(index, 5);
  out.writeUInt32BE(begin, 9);
  return out;
}

const KEEP_ALIVE = Buffer.alloc(4);

/** Encodes one message into a fresh buffer. */
export function encodeMessage(m: Message): Buffer {
  switch (m.type) {
    case "keep-alive":
      return Buffer.from(KEEP_ALIVE);
    case "choke":
      return simple(MessageId.choke);
    case "unchoke":
      return simple(MessageId.unchoke);
    case "interested":
      return simple(MessageId.interested);
    case "not-interested":
      return simple(MessageId.notInterested);
    case "have":
      return withIndex(MessageId.have, m.index);
    case "bitfield":
      return Buffer.concat([header(1 + m.bitfield.length, MessageId.bitfield), m.bitfield]);
    case "request":
      return withBlock(MessageId.request, m);
    case "piece":
      return Buffer.concat([encodePieceHeader(m.index, m.begin, m.block.length), m.block]);
    case "cancel":
      return withBlock(MessageId.cancel, m);
    case "port": {
      const out = header(3, MessageId.port, 2);
      out.writeUInt16BE(m.port, 5);
      return out;
    }
    case "suggest":
      return withIndex(MessageId.suggest, m.index);
    case "have-all":
      return simple(MessageId.haveAll);
    case "have-none":
      return simple(MessageId.haveNone);
    case "reject":
      return withBlock(MessageId.reject, m);
    case "allowed-fast":
      return withIndex(MessageId.allowedFast, m.index);
    case "extended":
      return Buffer.concat([header(2 + m.payload.length, MessageId.extended, 1), m.payload]).fill(
        m.id,
        5,
        6,
      );
    case "unknown":
      return Buffer.concat([header(1 + m.payload.length, m.id), m.payload]);
  }
}

function expectLength(body: Buffer, length: number, name: string): void {
  if (body.length !== length) {
    throw new WireError(
      "bad_message_length",
      `${name} message has ${body.length - 1} payload bytes, expected ${length - 1}`,
    );
  }
}

function block(body: Buffer, name: string, checkLength: boolean): BlockRef {
  expectLength(body, 13, name);
  const ref = {
    index: body.readUInt32BE(1),
    begin: body.readUInt32BE(5),
    length: body.readUInt32BE(9),
  };
  // BEP 3: "all current implementations use 2^14": the most a request may ask.
  if (checkLength && (ref.length === 0 || ref.length > BLOCK_LENGTH)) {
    throw new WireError(
      "bad_request_length",
      `${name} for ${ref.length} bytes; blocks are 1 to ${BLOCK_LENGTH} bytes`,
    );
  }
  return ref;
}

/**
 * Decodes one message body (the bytes after the length prefix; empty for a
 * keep-alive). Payload buffers are views into `body`, not copies.
 */
export function decodeMessage(body: Buffer): Message {
  if (body.length === 0) return { type: "keep-alive" };
  const id = body[0]!;
  switch (id) {
    case MessageId.choke:
      expectLength(body, 1, "choke");
      return { type: "choke" };
    case MessageId.unchoke:
      expectLength(body, 1, "unchoke");
      return { type: "unchoke" };
    case MessageId.interested:
      expectLength(body, 1, "interested");
      return { type: "interested" };
    case MessageId.notInterested:
      expectLength(body, 1, "not interested");
      return { type: "not-interested" };
    case MessageId.have:
      expectLength(body, 5, "have");
      return { type: "have", index: body.readUInt32BE(1) };
    case MessageId.bitfield:
      return { type: "bitfield", bitfield: body.subarray(1) };
    case MessageId.request:
      return { type: "request", ...block(body, "request", true) };
    case MessageId.piece:
      if (body.length < 9)
        throw new WireError("bad_message_length", "piece message is shorter than its header");
      return {
        type: "piece",
        index: body.readUInt32BE(1),
        begin: body.readUInt32BE(5),
        block: body.subarray(9),
      };
    case MessageId.cancel:
      return { type: "cancel", ...block(body, "cancel", false) };
    case MessageId.port:
      expectLength(body, 3, "port");
      return { type: "port", port: body.readUInt16BE(1) };
    case MessageId.suggest:
      expectLength(body, 5, "suggest");
      return { type: "suggest", index: body.readUInt32BE(1) };
    case MessageId.haveAll:
      expectLength(body, 1, "have all");
      return { type: "have-all" };
    case MessageId.haveNone:
      expectLength(body, 1, "have none");
      return { type: "have-none" };
    case MessageId.reject:
      return { type: "reject", ...block(body, "reject", false) };
    case MessageId.allowedFast:
      expectLength(body, 5, "allowed fast");
      return { type: "allowed-fast", index: body.readUInt32BE(1) };
    case MessageId.extended:
      if (body.length < 2)
        throw new WireError("bad_extended_message", "extended message has no extension id");
      return { type: "extended", id: body[1]!, payload: body.subarray(2) };
    default:
      return { type: "unknown", id, payload: body.subarray(1) };
  }
}
