export { WireError, type WireErrorCode } from "./errors.ts";
export {
  decodeExtendedHandshake,
  type ExtendedHandshake,
  type ExtendedHandshakeFields,
  encodeExtendedHandshake,
} from "./extended-handshake.ts";
export {
  DEFAULT_MAX_MESSAGE_LENGTH,
  type Frame,
  type FramerOptions,
  WireFramer,
} from "./framer.ts";
export {
  decodeHandshake,
  type Extensions,
  encodeHandshake,
  HANDSHAKE_LENGTH,
  type Handshake,
  PROTOCOL,
} from "./handshake.ts";
export {
  type BlockRef,
  decodeMessage,
  encodeMessage,
  encodePieceHeader,
  type Message,
  MessageId,
} from "./messages.ts";
export {
  decodeUtMetadata,
  encodeUtMetadata,
  isAcceptableMetadataSize,
  MAX_METADATA_PIECES,
  MAX_METADATA_SIZE,
  MAX_UT_METADATA_HEADER,
  METADATA_PIECE_LENGTH,
  metadataPieceCount,
  metadataPieceLength,
  type UtMetadataMessage,
  UtMetadataType,
} from "./ut-metadata.ts";
export {
  decodePex,
  encodePex,
  MAX_PEX_CONTACTS,
  MAX_PEX_PAYLOAD,
  type PexAddedContact,
  type PexContact,
  PexError,
  type PexErrorCode,
  PexFlags,
  type PexMessage,
} from "./ut-pex.ts";
