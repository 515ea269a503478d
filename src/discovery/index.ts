export {
  decodeMessage,
  encodeMessage,
  MAX_MESSAGE_BYTES,
  MAX_MESSAGE_ENTRIES,
} from "./dns-codec.ts";
export { DnsError, type DnsErrorCode } from "./dns-errors.ts";
export { nameFromText, nameToText } from "./dns-name.ts";
export {
  DNS_TYPE,
  type DnsFlags,
  type DnsMessage,
  type DnsName,
  type DnsQuestion,
  type DnsRecord,
} from "./dns-types.ts";
export { DiscoveryError, type DiscoveryErrorCode } from "./errors.ts";
export {
  type LocalPeer,
  LocalPeerDiscovery,
  type LocalPeerDiscoveryEvents,
  type LocalPeerDiscoveryOptions,
  LSD_MAX_PORTS_PER_HOST,
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
export { MDNS_GROUP, MDNS_PORT } from "./mdns.ts";
export {
  addressesFor,
  TrackerAdvertiser,
  type TrackerAdvertiserOptions,
} from "./tracker-advertiser.ts";
export { type BrowseOptions, browseTrackers, DEFAULT_BROWSE_MS } from "./tracker-browser.ts";
export {
  type DiscoveredTracker,
  MAX_INSTANCE_NAME_BYTES,
  TRACKER_SERVICE,
  type TrackerAddress,
  type TrackerAdvertisement,
} from "./tracker-service.ts";
