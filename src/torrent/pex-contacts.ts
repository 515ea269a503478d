/**
 * What PEX (BEP 11) says of our connections, and what it believes of the
 * addresses it hears: a connected peer as a contact with its flags, and the
 * checks an address from a peer's PEX passes before it joins the candidate
 * list (the torrent's own ban and port checks come after, as for a
 * tracker's peers).
 */
import type { PeerAddress } from "../tracker-proto/index.ts";
import { formatEndpoint, formatIPv4, formatIPv6, normalizeIp } from "../util/index.ts";
import { type PexAddedContact, PexFlags } from "../wire/index.ts";
import type { SwarmPeer } from "./swarm-peer.ts";

/** An address in the one text form PEX keys it by (IPv4-mapped IPv6 as the IPv4 it is). */
export function canonicalIp(ip: string): string | undefined {
  const a = normalizeIp(ip);
  if (!a) return undefined;
  return a.family === 4 ? formatIPv4(a.bytes) : formatIPv6(a.bytes);
}

/**
 * Loopback, private (RFC 1918), link-local, carrier-grade NAT and IPv6
 * unique-local/link-local/site-local addresses: the ones libtorrent's PEX
 * drops unless the peer telling them is itself on such an address
 * (ut_pex.cpp, `is_local`), so a stranger cannot make us dial into our LAN.
 */
export function isLocalAddress(ip: string): boolean {
  const a = normalizeIp(ip);
  if (!a) return false;
  const b = a.bytes;
  if (a.family === 4) {
    return (
      b[0] === 10 ||
      b[0] === 127 ||
      (b[0] === 172 && (b[1]! & 0xf0) === 16) ||
      (b[0] === 192 && b[1] === 168) ||
      (b[0] === 169 && b[1] === 254) ||
      (b[0] === 100 && (b[1]! & 0xc0) === 64)
    );
  }
  const loopback = b.subarray(0, 15).every((x) => x === 0) && b[15] === 1;
  return (
    loopback ||
    (b[0]! & 0xfe) === 0xfc || // fc00::/7 unique local
    (b[0] === 0xfe && (b[1]! & 0xc0) === 0x80) || // fe80::/10 link local
    (b[0] === 0xfe && (b[1]! & 0xc0) === 0xc0) || // fec0::/10 site local (deprecated)
    (b[0] === 0xff && ((b[1]! & 0x0f) === 2 || (b[1]! & 0x0f) === 5)) // multicast link/site
  );
}

/**
 * A connection we may tell others of, as a contact: BEP 11 adds only peers
 * we are connected to, past the handshakes, at the port they listen on (we
 * dialled it, or they named it in BEP 10 `p`; libtorrent's `send_peer`
 * skips the others too).
 */
export function contactOf(peer: SwarmPeer): PexAddedContact | undefined {
  const { conn } = peer;
  if (!conn.ready || conn.closed || peer.listenPort === undefined) return undefined;
  const ip = canonicalIp(peer.host);
  if (ip === undefined) return undefined;
  const h = conn.peerExtendedHandshake?.raw;
  let flags = 0;
  // It asked for encryption (BEP 10 `e`), or the connection is encrypted (MSE), as libtorrent counts it.
  if (h?.get("e") === 1 || conn.encrypted) flags |= PexFlags.encryption;
  const pieces = conn.pieceCount ?? 0;
  if ((pieces > 0 && peer.have.isComplete()) || h?.get("upload_only") === 1) {
    flags |= PexFlags.seed;
  }
  if (conn.supportsExtension("ut_holepunch")) flags |= PexFlags.holepunch;
  // BEP 11 0x10: we connected to it, so others can too.
  if (peer.outgoing) flags |= PexFlags.reachable;
  return { ip, port: peer.listenPort, flags };
}

/** "ip:port" of a contact, the key sent and learnt lists are kept by. */
export function contactKey(c: PeerAddress): string {
  return formatEndpoint(c.ip, c.port);
}
