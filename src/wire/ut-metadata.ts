/**
 * BEP 9 `ut_metadata` payloads: the info dictionary exchanged in 16 KiB
 * pieces over a BEP 10 extension. Each message is a bencoded dictionary
 * `{msg_type, piece[, total_size]}`; a `data` message is followed, in the
 * same payload, by the piece's bytes.
 *
 * Decoding is strict about what it acts on (types, ranges, a data piece's
 * exact length for its position) and bounded by named limits, so a hostile
 * peer cannot make us allocate or assemble more than MAX_METADATA_SIZE.
 */
import { type BencodeValue, decodeDocument, isDict } from "../bencode/index.ts";
import { WireError } from "./errors.ts";

/** BEP 9: every piece but the last is 16 KiB. */
export const METADATA_PIECE_LENGTH = 16 * 1024;

/**
 * Largest info dictionary we fetch or accept (16 MiB, 1024 pieces): far
 * above real torrents (a 100 GB torrent of 16 KiB pieces has ~120 MiB of
 * hashes, but such torrents use bigger pieces), and what bounds the memory
 * a peer's `metadata_size` can make us reserve. libtorrent's default is 4 MiB
 * (`max_metadata_size`); Transmission's is 8 MiB.
 */
export const MAX_METADATA_SIZE = 16 * 1024 * 1024;

/** Pieces of the largest accepted info dictionary. */
export const MAX_METADATA_PIECES = MAX_METADATA_SIZE / METADATA_PIECE_LENGTH;

/** Longest bencoded header of a message: `{msg_type, piece, total_size}` is ~50 bytes. */
export const MAX_UT_METADATA_HEADER = 1024;

/** BEP 9 msg_type values. */
export const UtMetadataType = { request: 0, data: 1, reject: 2 } as const;

export type UtMetadataMessage =
  | { type: "request"; piece: number }
  | { type: "data"; piece: number; totalSize: number; data: Buffer }
  | { type: "reject"; piece: number }
  /** BEP 9: a msg_type we do not know is ignored, not an error. */
  | { type: "unknown"; msgType: number };

function bad(message: string): never {
  throw new WireError("bad_extended_message", `ut_metadata: ${message}`);
}

/** The number of pieces of an info dictionary of `size` bytes. */
export function metadataPieceCount(size: number): number {
  return Math.ceil(size / METADATA_PIECE_LENGTH);
}

/** The length of piece `piece` of an info dictionary of `size` bytes. */
export function metadataPieceLength(size: number, piece: number): number {
  return Math.min(METADATA_PIECE_LENGTH, size - piece * METADATA_PIECE_LENGTH);
}

/** Whether `size` is a `metadata_size` / `total_size` we accept. */
export function isAcceptableMetadataSize(size: number): boolean {
  return Number.isSafeInteger(size) && size > 0 && size <= MAX_METADATA_SIZE;
}

function assertPiece(piece: number): void {
  if (!Number.isInteger(piece) || piece < 0 || piece >= MAX_METADATA_PIECES) {
    throw new RangeError(`ut_metadata piece ${piece} is out of range`);
  }
}

export function encodeUtMetadata(m: Exclude<UtMetadataMessage, { type: "unknown" }>): Buffer {
  assertPiece(m.piece);
  if (m.type !== "data") {
    // Keys in sorted order (bencode's canonical form).
    return Buffer.from(`d8:msg_typei${UtMetadataType[m.type]}e5:piecei${m.piece}ee`, "latin1");
  }
  if (!isAcceptableMetadataSize(m.totalSize)) {
    throw new RangeError(`ut_metadata total_size ${m.totalSize} is out of range`);
  }
  if (
    m.piece >= metadataPieceCount(m.totalSize) ||
    m.data.length !== metadataPieceLength(m.totalSize, m.piece)
  ) {
    throw new RangeError(
      `ut_metadata piece ${m.piece} of ${m.data.length} bytes does not fit total_size ${m.totalSize}`,
    );
  }
  const header = Buffer.from(
    `d8:msg_typei1e5:piecei${m.piece}e10:total_sizei${m.totalSize}ee`,
    "latin1",
  );
  return Buffer.concat([header, m.data]);
}

function intField(d: Map<string, BencodeValue>, key: string): number | undefined {
  const v = d.get(key);
  if (v === undefined) return undefined;
  if (typeof v !== "number" || !Number.isSafeInteger(v)) bad(`'${key}' is not an integer`);
  return v;
}

/**
 * Reads a ut_metadata payload; a WireError("bad_extended_message") for
 * anything malformed (the caller drops the message or the connection).
 * A data message's piece bytes are a view into `payload`, not a copy.
 */
export function decodeUtMetadata(payload: Buffer): UtMetadataMessage {
  let doc: ReturnType<typeof decodeDocument>;
  try {
    doc = decodeDocument(payload, {
      prefix: true,
      strict: false,
      maxDepth: 4,
      maxItems: 64,
      maxStringLength: MAX_UT_METADATA_HEADER,
    });
  } catch (err) {
    bad(`not bencoded: ${(err as Error).message}`);
  }
  if (!isDict(doc.value)) bad("the message is not a dictionary");
  if (doc.end > MAX_UT_METADATA_HEADER) bad(`a header of ${doc.end} bytes is too long`);
  const d = doc.value;
  const msgType = intField(d, "msg_type");
  if (msgType === undefined) bad("no msg_type");
  const known = msgType === 0 || msgType === 1 || msgType === 2;
  if (!known) return { type: "unknown", msgType };
  const piece = intField(d, "piece");
  if (piece === undefined) bad("no piece");
  if (piece < 0 || piece >= MAX_METADATA_PIECES) bad(`piece ${piece} is out of range`);
  const rest = payload.length - doc.end;
  if (msgType !== UtMetadataType.data) {
    if (rest !== 0) bad(`${rest} bytes follow a ${msgType === 0 ? "request" : "reject"}`);
    return { type: msgType === 0 ? "request" : "reject", piece };
  }
  const totalSize = intField(d, "total_size");
  if (totalSize === undefined) bad("a data message has no total_size");
  if (!isAcceptableMetadataSize(totalSize)) {
    bad(`total_size ${totalSize} is not from 1 to ${MAX_METADATA_SIZE}`);
  }
  if (piece >= metadataPieceCount(totalSize)) {
    bad(`piece ${piece} is past the end of ${totalSize} bytes`);
  }
  const expected = metadataPieceLength(totalSize, piece);
  if (rest !== expected) bad(`piece ${piece} has ${rest} bytes, not ${expected}`);
  return { type: "data", piece, totalSize, data: payload.subarray(doc.end) };
}
