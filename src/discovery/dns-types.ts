/**
 * The DNS message as RFC 1035 §4.1 lays it out, narrowed to what DNS-SD over
 * multicast DNS (RFC 6762, RFC 6763) uses: PTR, SRV, TXT, A and AAAA records,
 * any other type carried as opaque bytes.
 *
 * A name is its labels, not a dotted string: a DNS-SD instance name is free
 * UTF-8 and may itself hold dots ("Tracker 2.0._bittorrent-tracker._tcp.local"
 * has four labels, the first "Tracker 2.0").
 */
export type DnsName = readonly string[];

/** RFC 1035 §3.2.2 and RFC 3596, RFC 2782: the type codes we read. */
export const DNS_TYPE = {
  A: 1,
  PTR: 12,
  TXT: 16,
  AAAA: 28,
  SRV: 33,
  /** RFC 4034; mDNS responders use it to say a record does not exist (RFC 6762 §6.1). */
  NSEC: 47,
  /** RFC 1035 §3.2.3: a question asking for every type. */
  ANY: 255,
} as const;

/** RFC 1035 §3.2.4: the Internet class, the only one mDNS uses. */
export const CLASS_IN = 1;

export interface DnsQuestion {
  name: DnsName;
  /** A DNS_TYPE code, or any other 16-bit type. */
  type: number;
  /** RFC 6762 §5.4: the top bit of the class asks for a unicast reply ("QU"). */
  unicastResponse: boolean;
}

interface RecordBase {
  name: DnsName;
  /** Seconds; 0 is an mDNS goodbye (RFC 6762 §10.1). */
  ttl: number;
  /** RFC 6762 §10.2: the top bit of the class says this record set replaces cached ones. */
  cacheFlush: boolean;
}

export type DnsRecord =
  | (RecordBase & { type: "A"; address: string })
  | (RecordBase & { type: "AAAA"; address: string })
  | (RecordBase & { type: "PTR"; target: DnsName })
  | (RecordBase & { type: "SRV"; priority: number; weight: number; port: number; target: DnsName })
  /** RFC 1035 §3.3.14: one or more strings of at most 255 bytes each. */
  | (RecordBase & { type: "TXT"; strings: readonly Buffer[] })
  /** Any other type (NSEC, HINFO, …), or any class other than IN: its data as is. */
  | (RecordBase & { type: "other"; code: number; class: number; data: Buffer });

export interface DnsFlags {
  /** QR: a response (true) or a query. */
  response: boolean;
  /** RFC 6762 §18.3: 0 for every mDNS message; others are ignored. */
  opcode: number;
  authoritative: boolean;
  truncated: boolean;
  recursionDesired: boolean;
  recursionAvailable: boolean;
  rcode: number;
}

export interface DnsMessage {
  /** RFC 6762 §18.1: 0 in multicast messages; a legacy unicast answer repeats the query's. */
  id: number;
  flags: DnsFlags;
  questions: readonly DnsQuestion[];
  answers: readonly DnsRecord[];
  authorities: readonly DnsRecord[];
  additionals: readonly DnsRecord[];
}

export const QUERY_FLAGS: DnsFlags = {
  response: false,
  opcode: 0,
  authoritative: false,
  truncated: false,
  recursionDesired: false,
  recursionAvailable: false,
  rcode: 0,
};

/** RFC 6762 §18: a response is authoritative, everything else zero. */
export const RESPONSE_FLAGS: DnsFlags = { ...QUERY_FLAGS, response: true, authoritative: true };
