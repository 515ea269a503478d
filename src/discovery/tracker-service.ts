/**
 * The DNS-SD description of a shoal tracker (RFC 6763): what an advertiser
 * publishes and how a browser reads it back.
 *
 * Service type `_bittorrent-tracker._tcp`: the name BEP 22 (local tracker
 * discovery, deferred) gives a tracker's SRV records, here browsed in
 * `.local` as RFC 6763 §4 does. One instance per tracker:
 *
 *   _bittorrent-tracker._tcp.local  PTR  <name>._bittorrent-tracker._tcp.local
 *   <name>._bittorrent-tracker._tcp.local  SRV  0 0 <port> <host>.local
 *   <name>._bittorrent-tracker._tcp.local  TXT  txtvers=1 name=<name>
 *       announce=http://<host>.local:<port>/announce
 *       udp=udp://<host>.local:<port>/announce  index=http://<host>.local:<port>/torrents
 *   <host>.local  A / AAAA  <addresses>
 *
 * The URLs name the SRV target, so any mDNS-aware system can open them; a
 * shoal browser puts the address it was given in place of that name.
 */
import { formatEndpoint } from "../util/index.ts";
import { nameFromText, nameKey, nameToText, sameName } from "./dns-name.ts";
import type { DnsName, DnsRecord } from "./dns-types.ts";
import { HOST_RECORD_TTL, OTHER_RECORD_TTL } from "./mdns.ts";

export const TRACKER_SERVICE: DnsName = ["_bittorrent-tracker", "_tcp", "local"];
/** RFC 6763 §9: browsing this lists every service type on the link. */
export const SERVICE_TYPES: DnsName = ["_services", "_dns-sd", "_udp", "local"];
/** RFC 6763 §4.1.1: an instance name is at most 63 bytes of UTF-8. */
export const MAX_INSTANCE_NAME_BYTES = 63;
/** TXT values we read back (RFC 6763 §6.1 keeps each string under 256 bytes anyway). */
const TXT_KEYS = ["name", "announce", "udp", "index"] as const;

export interface TrackerAddress {
  address: string;
  family: 4 | 6;
  /** The interface's prefix length: answers to a querier name the addresses on its subnet. */
  prefixLength?: number;
}

export interface TrackerAdvertisement {
  /** The instance name users pick the tracker by (`--tracker auto:NAME`). */
  name: string;
  /** The host label of the SRV target, `<host>.local`. */
  host: string;
  /** The tracker's port: HTTP and UDP announces both listen there. */
  port: number;
  /** Whether the tracker answers UDP announces (BEP 15) on that port too. */
  udp: boolean;
  /** Whether it has a torrent index (GET /torrents). */
  index: boolean;
}

/** A tracker found on the link, its URLs pointing at an address it gave. */
export interface DiscoveredTracker {
  name: string;
  /** The SRV target, e.g. `lab-pc-shoal-6969.local`. */
  host: string;
  port: number;
  addresses: string[];
  /** The HTTP announce URL (BEP 3). */
  announce: string;
  /** The UDP announce URL (BEP 15), when the tracker offers one. */
  udp?: string;
  /** The base of its torrent index, when it has one. */
  index?: string;
}

export function instanceName(ad: TrackerAdvertisement): DnsName {
  return [ad.name, ...TRACKER_SERVICE];
}

export function hostName(ad: TrackerAdvertisement): DnsName {
  return [ad.host, "local"];
}

function txtStrings(ad: TrackerAdvertisement): Buffer[] {
  const at = formatEndpoint(`${ad.host}.local`, ad.port);
  const pairs = [
    "txtvers=1",
    `name=${ad.name}`,
    `announce=http://${at}/announce`,
    ...(ad.udp ? [`udp=udp://${at}/announce`] : []),
    ...(ad.index ? [`index=http://${at}`] : []),
  ];
  return pairs.map((p) => Buffer.from(p, "utf8"));
}

export interface TrackerRecords {
  ptr: DnsRecord;
  srv: DnsRecord;
  txt: DnsRecord;
  addresses: DnsRecord[];
  /** RFC 6763 §9: `_services._dns-sd._udp.local PTR _bittorrent-tracker._tcp.local`. */
  serviceType: DnsRecord;
}

/** The records of an advertisement, with `ttl` in place of the usual TTLs when given (0: goodbye). */
export function trackerRecords(
  ad: TrackerAdvertisement,
  addresses: readonly TrackerAddress[],
  ttl?: number,
): TrackerRecords {
  const instance = instanceName(ad);
  const host = hostName(ad);
  const shared = { ttl: ttl ?? OTHER_RECORD_TTL, cacheFlush: false };
  // RFC 6762 §10.2: records only we may hold carry the cache-flush bit.
  const unique = { ttl: ttl ?? HOST_RECORD_TTL, cacheFlush: true };
  return {
    ptr: { ...shared, name: TRACKER_SERVICE, type: "PTR", target: instance },
    srv: {
      ...unique,
      name: instance,
      type: "SRV",
      priority: 0,
      weight: 0,
      port: ad.port,
      target: host,
    },
    txt: {
      ...unique,
      ttl: ttl ?? OTHER_RECORD_TTL,
      name: instance,
      type: "TXT",
      strings: txtStrings(ad),
    },
    addresses: addresses.map((a) =>
      a.family === 4
        ? { ...unique, name: host, type: "A", address: a.address }
        : { ...unique, name: host, type: "AAAA", address: a.address },
    ),
    serviceType: { ...shared, name: SERVICE_TYPES, type: "PTR", target: TRACKER_SERVICE },
  };
}

/** RFC 6763 §6.3: `key=value` strings; the first of a key wins, keys compare without case. */
export function readTxt(strings: readonly Buffer[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const s of strings) {
    const text = s.toString("utf8");
    const eq = text.indexOf("=");
    if (eq <= 0) continue;
    const key = text.slice(0, eq).toLowerCase();
    if (!out.has(key)) out.set(key, text.slice(eq + 1));
  }
  return out;
}

/** The URL with the SRV target's name replaced by `address`; other URLs as they are; junk dropped. */
function pointAt(url: string | undefined, host: DnsName, address: string): string | undefined {
  if (url === undefined) return undefined;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  if (!["http:", "https:", "udp:"].includes(parsed.protocol)) return undefined;
  if (sameName(nameFromText(parsed.hostname), host)) {
    parsed.hostname = address.includes(":") ? `[${address}]` : address;
  }
  // URL adds "/" to a bare origin; keep the URL as the tracker wrote it.
  return !url.endsWith("/") && parsed.href.endsWith("/") ? parsed.href.slice(0, -1) : parsed.href;
}

/**
 * The trackers the gathered records describe: each PTR of the service type
 * whose SRV and an address are known. IPv4 addresses first, as a shoal
 * client's trackers are most often reached over IPv4.
 */
export function assembleTrackers(records: readonly DnsRecord[]): DiscoveredTracker[] {
  const instances = new Map<string, DnsName>();
  const srv = new Map<string, Extract<DnsRecord, { type: "SRV" }>>();
  const txt = new Map<string, Extract<DnsRecord, { type: "TXT" }>>();
  const addresses = new Map<string, string[]>();
  for (const r of records) {
    const key = nameKey(r.name);
    if (r.type === "PTR" && sameName(r.name, TRACKER_SERVICE)) {
      // RFC 6762 §10.1: TTL 0 is a goodbye.
      if (r.ttl === 0) instances.delete(nameKey(r.target));
      else instances.set(nameKey(r.target), r.target);
    } else if (r.type === "SRV" && r.ttl > 0) srv.set(key, r);
    else if (r.type === "TXT" && r.ttl > 0) txt.set(key, r);
    else if ((r.type === "A" || r.type === "AAAA") && r.ttl > 0) {
      const list = addresses.get(key) ?? [];
      if (!list.includes(r.address)) list.push(r.address);
      addresses.set(key, list);
    }
  }
  const found: DiscoveredTracker[] = [];
  for (const [key, instance] of instances) {
    const s = srv.get(key);
    if (!s || instance.length !== TRACKER_SERVICE.length + 1) continue;
    const addrs = (addresses.get(nameKey(s.target)) ?? []).sort(
      (a, b) => Number(a.includes(":")) - Number(b.includes(":")),
    );
    if (addrs.length === 0) continue;
    const values = readTxt(txt.get(key)?.strings ?? []);
    const first = addrs[0]!;
    const fallback = `http://${formatEndpoint(first, s.port)}/announce`;
    const [, announce, udp, index] = TXT_KEYS.map((k) => pointAt(values.get(k), s.target, first));
    found.push({
      name: instance[0]!,
      host: nameToText(s.target),
      port: s.port,
      addresses: addrs,
      announce: announce ?? fallback,
      ...(udp !== undefined && { udp }),
      ...(index !== undefined && { index }),
    });
  }
  return found.sort((a, b) => a.name.localeCompare(b.name));
}
