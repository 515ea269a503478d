export {
  type BencodeLimits,
  type BencodeWarning,
  type BencodeWarningCode,
  DEFAULT_LIMITS,
  type DecodedDocument,
  type DecodeOptions,
  decode,
  decodeDocument,
  TORRENT_LIMITS,
} from "./decode.ts";
export { type Encodable, encode } from "./encode.ts";
export { BencodeError, type BencodeErrorCode } from "./errors.ts";
export {
  type BencodeDict,
  type BencodeList,
  type BencodeValue,
  isBytes,
  isDict,
  isInteger,
  isList,
  keyBytes,
  text,
} from "./value.ts";
