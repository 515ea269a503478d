export {
  formatEndpoint,
  formatIPv4,
  formatIPv6,
  type IpFamily,
  ipv4Latin1,
  normalizeIp,
  parseIPv4,
  parseIPv6,
} from "./address.ts";
export {
  compareBytes,
  formatBytes,
  fromBase32,
  fromHex,
  latin1String,
  parseSize,
  readU32BE,
  toBase32,
  toHex,
  writeU32BE,
} from "./bytes.ts";
export { type Clock, FakeClock, realClock, type TimerHandle } from "./clock.ts";
export { isShoalError, ShoalError } from "./errors.ts";
export {
  asInfoHash,
  asPeerId,
  generatePeerId,
  INFO_HASH_LENGTH,
  type InfoHash,
  infoHashFromHex,
  infoHashHex,
  PEER_ID_LENGTH,
  PEER_ID_PREFIX,
  type PeerId,
  type PieceIndex,
} from "./ids.ts";
export { jsonEqual } from "./json-equal.ts";
export { LazyModule } from "./lazy-module.ts";
export { createJsonLogger, type Logger, type LogLevel, silentLogger } from "./logger.ts";
export {
  BLOCK_LENGTH,
  blockCount,
  blockLength,
  type PieceLayout,
  pieceCountFor,
  pieceSize,
} from "./pieces.ts";
export { jsonPrintable, printable, printableLines } from "./printable.ts";
export { type RandomSource, randomBytesFrom, seededRandom } from "./random.ts";
export { createHash, sha1, sha256 } from "./sha1.ts";
export { isoTime } from "./utc-time.ts";
