import { ShoalError } from "../util/index.ts";

export type TrackerProtoErrorCode =
  | "malformed_query"
  | "missing_info_hash"
  | "invalid_info_hash"
  | "missing_peer_id"
  | "invalid_peer_id"
  | "missing_port"
  | "invalid_port"
  | "invalid_number"
  | "too_many_info_hashes"
  | "invalid_reply"
  | "invalid_packet";

/** Explanations written for the person running the client (they become `failure reason`s). */
export const FAILURE_REASONS: Record<TrackerProtoErrorCode, string> = {
  malformed_query: "malformed query: a '%' must be followed by two hex digits",
  missing_info_hash:
    "missing info_hash: send the torrent's 20-byte SHA-1 info hash, percent-encoded",
  invalid_info_hash: "invalid info_hash: it must be exactly 20 bytes, percent-encoded",
  missing_peer_id: "missing peer_id: send your 20-byte peer id, percent-encoded",
  invalid_peer_id: "invalid peer_id: it must be exactly 20 bytes, percent-encoded",
  missing_port: "missing port: send the TCP port you accept peers on",
  invalid_port: "invalid port: it must be a whole number from 1 to 65535",
  invalid_number: "invalid number: uploaded, downloaded and left must be whole numbers of bytes",
  too_many_info_hashes: "too many info_hash values in one scrape",
  invalid_reply: "the tracker's reply is not a valid bencoded dictionary",
  invalid_packet: "the packet is not a valid UDP tracker message",
};

/** A request or reply the codecs refuse; `message` is fit to send back as a failure reason. */
export class TrackerProtoError extends ShoalError {
  declare readonly code: TrackerProtoErrorCode;

  constructor(code: TrackerProtoErrorCode, message: string = FAILURE_REASONS[code]) {
    super(code, message);
  }
}
