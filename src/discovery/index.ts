export { DiscoveryError, type DiscoveryErrorCode } from "./errors.ts";
export {
  type LocalPeer,
  LocalPeerDiscovery,
  type LocalPeerDiscoveryEvents,
  type LocalPeerDiscoveryOptions,
  LSD_MAX_RECENT,
  LSD_REPEAT_QUIET_MS,
} from "./local-peer-discovery.ts";
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
export {
  LSD_FIRST_ROUND_GAP_MS,
  LSD_MIN_ROUND_GAP_MS,
  LSD_REANNOUNCE_MS,
  LsdSchedule,
} from "./lsd-schedule.ts";
