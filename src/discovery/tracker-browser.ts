/**
 * Finds shoal trackers on the link: one DNS-SD browse (RFC 6763 §4) for
 * `_bittorrent-tracker._tcp.local`, sent as a one-shot multicast DNS query
 * (RFC 6762 §5.1) from a port of its own, so it needs neither port 5353 nor a
 * responder on this host. Responders answer it straight back (§6.7); the
 * answers gathered within a bounded time are the trackers found.
 */
import type { UdpFamily, UdpNetwork, UdpSocket } from "../net/index.ts";
import { type Clock, realClock } from "../util/index.ts";
import { decodeMessage, encodeMessage } from "./dns-codec.ts";
import { DNS_TYPE, type DnsRecord, QUERY_FLAGS } from "./dns-types.ts";
import { DiscoveryError } from "./errors.ts";
import { errorCode, MDNS_GROUP, MDNS_HOP_LIMIT, MDNS_PORT } from "./mdns.ts";
import { assembleTrackers, type DiscoveredTracker, TRACKER_SERVICE } from "./tracker-service.ts";

/** How long a browse waits for answers by default: responders wait up to 120 ms, links lose packets. */
export const DEFAULT_BROWSE_MS = 1500;
/** Longest a browse may be asked to wait. */
export const MAX_BROWSE_MS = 30_000;
/** Records kept from all answers together; more is someone flooding the link. */
export const MAX_BROWSE_RECORDS = 1024;

export interface BrowseOptions {
  udp: UdpNetwork;
  /** How long to gather answers (default DEFAULT_BROWSE_MS). */
  timeoutMs?: number;
  /** Families to ask on (default IPv4 only: ff02::fb needs an interface named). */
  families?: UdpFamily[];
  /** An address of this host naming the interface to ask on, by family. */
  iface?: { 4?: string; 6?: string };
  clock?: Clock;
}

/**
 * Sends one query per family, gathers answers for the time given, returns the
 * trackers by name. Rejects with DiscoveryError("mdns_unavailable") at once
 * when the query could not be sent on any family (no route for multicast).
 */
export async function browseTrackers(opts: BrowseOptions): Promise<DiscoveredTracker[]> {
  const clock = opts.clock ?? realClock;
  const timeoutMs = Math.min(Math.max(0, opts.timeoutMs ?? DEFAULT_BROWSE_MS), MAX_BROWSE_MS);
  const records: DnsRecord[] = [];
  const sockets: UdpSocket[] = [];
  // Legacy unicast answers repeat the query's id (RFC 6762 §6.7); others carry 0.
  const id = 1 + Math.floor(Math.random() * 0xfffe);
  const query = encodeMessage({
    id,
    flags: QUERY_FLAGS,
    questions: [{ name: TRACKER_SERVICE, type: DNS_TYPE.PTR, unicastResponse: false }],
    answers: [],
    authorities: [],
    additionals: [],
  });
  const failures: string[] = [];
  try {
    for (const family of opts.families ?? [4]) {
      const socket = opts.udp.createSocket(family, { ipv6Only: family === 6 });
      sockets.push(socket);
      socket.on("error", () => {}); // an ICMP error or an unreachable group: no answers, no crash
      socket.on("message", (bytes, from) => {
        // RFC 6762 §6: answers come from port 5353; anything else is not one.
        if (from.port !== MDNS_PORT || records.length >= MAX_BROWSE_RECORDS) return;
        try {
          const msg = decodeMessage(bytes);
          if (!msg.flags.response || msg.flags.opcode !== 0 || msg.flags.rcode !== 0) return;
          if (msg.id !== 0 && msg.id !== id) return;
          const room = MAX_BROWSE_RECORDS - records.length;
          records.push(...[...msg.answers, ...msg.additionals].slice(0, room));
        } catch {
          // a malformed answer is dropped
        }
      });
      await socket.bind({ port: 0 });
      const iface = opts.iface?.[family];
      if (iface !== undefined) socket.setMulticastInterface(iface);
      socket.setMulticastTTL(MDNS_HOP_LIMIT);
      const failed = await new Promise<Error | null>((sent) =>
        socket.send(query, MDNS_PORT, MDNS_GROUP[family], sent),
      );
      if (failed) failures.push(`${MDNS_GROUP[family]}: ${errorCode(failed)}`);
    }
    if (failures.length === sockets.length) {
      throw new DiscoveryError(
        "mdns_unavailable",
        `cannot send the query to the mDNS group (${failures.join(", ")}): no route for multicast here?`,
      );
    }
    await new Promise<void>((done) => clock.setTimeout(done, timeoutMs));
  } finally {
    await Promise.all(sockets.map((s) => s.close()));
  }
  return assembleTrackers(records);
}
