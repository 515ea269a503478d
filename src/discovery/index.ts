export { DiscoveryError, type DiscoveryErrorCode } from "./errors.ts";
export {
  decodeLsdAnnounce,
  encodeLsdAnnounce,
  LSD_IPV4_GROUP,
  LSD_IPV4_HOST,
  LSD_IPV6_GROUP,
  LSD_IPV6_HOST,
  LSD_MAX_COOKIE,
  LSD_MAX_DATAGRAM,
  LSD_MAX_HEADERS,
  LSD_MAX_HOST,
  LSD_MAX_INFO_HASHES,
  LSD_MAX_SEND_BYTES,
  LSD_PORT,
  type LsdAnnounce,
  lsdAnnounceLength,
} from "./lsd-message.ts";
