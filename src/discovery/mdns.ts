/**
 * Multicast DNS (RFC 6762) transport constants, and the sockets a responder
 * listens on.
 */
import type { UdpFamily, UdpNetwork, UdpSocket } from "../net/index.ts";
import { DiscoveryError } from "./errors.ts";

/** RFC 6762 §3. */
export const MDNS_PORT = 5353;
export const MDNS_GROUP = { 4: "224.0.0.251", 6: "ff02::fb" } as const;
/** RFC 6762 §11: every mDNS packet is sent with IP TTL (hop limit) 255; receivers on the link see it so. */
export const MDNS_HOP_LIMIT = 255;
/** RFC 6762 §6.7: a legacy unicast answer carries TTLs of at most 10 s. */
export const LEGACY_UNICAST_TTL = 10;
/** RFC 6762 §10: records naming a host (SRV, A, AAAA) live 120 s, the others 75 min. */
export const HOST_RECORD_TTL = 120;
export const OTHER_RECORD_TTL = 4500;

/** The system's error code of `err` (or of its cause), else its message. */
export function errorCode(err: unknown): string {
  const e = err as { code?: unknown; cause?: { code?: unknown }; message?: string };
  const code = typeof e.cause?.code === "string" ? e.cause.code : e.code;
  return typeof code === "string" ? code : String(e.message ?? err);
}

/**
 * A socket bound to port 5353 beside any other responder on this host (avahi,
 * mDNSResponder: SO_REUSEADDR), in the group, multicasting with TTL 255.
 * `iface` is an address of this host naming the interface to join on.
 * Rejects with DiscoveryError("mdns_unavailable") saying why it cannot.
 */
export async function openMdnsSocket(
  udp: UdpNetwork,
  family: UdpFamily,
  iface: string | undefined,
): Promise<UdpSocket> {
  const socket = udp.createSocket(family, { reuseAddr: true, ipv6Only: family === 6 });
  try {
    await socket.bind({ port: MDNS_PORT });
    socket.addMembership(MDNS_GROUP[family], iface);
    if (iface !== undefined) socket.setMulticastInterface(iface);
    socket.setMulticastTTL(MDNS_HOP_LIMIT);
    return socket;
  } catch (err) {
    await socket.close();
    const group = MDNS_GROUP[family];
    throw new DiscoveryError(
      "mdns_unavailable",
      `cannot join the mDNS group ${family === 6 ? `[${group}]` : group}:${MDNS_PORT}: ${errorCode(err)}` +
        ` (port ${MDNS_PORT} held by another program without sharing, or no route for multicast)`,
    );
  }
}
