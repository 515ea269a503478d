/**
 * BEP 5's compact forms: "compact node info" (20-byte id, then the address
 * and port in network order: 26 bytes for IPv4, 38 for IPv6 as BEP 32
 * specifies for `nodes6`) and "compact peer info" (6 or 18 bytes).
 */
import { formatIPv4, formatIPv6, normalizeIp } from "../util/index.ts";
import { NODE_ID_LENGTH, type NodeId } from "./node-id.ts";

export type DhtFamily = 4 | 6;

/** An address and port, as node:dgram and the compact forms carry them. */
export interface Endpoint {
  address: string;
  port: number;
}

/** A node as a lookup or a reply names it. */
export interface NodeInfo extends Endpoint {
  id: NodeId;
}

export const COMPACT_NODE_LENGTH = { 4: 26, 6: 38 } as const;
export const COMPACT_PEER_LENGTH = { 4: 6, 6: 18 } as const;

/** Compact peer info; undefined when the address is not of `family` or the port is 0. */
export function encodeCompactPeer(peer: Endpoint, family?: DhtFamily): Buffer | undefined {
  const ip = normalizeIp(peer.address);
  if (!ip || (family && ip.family !== family) || !validPort(peer.port)) return undefined;
  const out = Buffer.allocUnsafe(ip.bytes.length + 2);
  ip.bytes.copy(out, 0);
  out.writeUInt16BE(peer.port, ip.bytes.length);
  return out;
}

/** Reads 6 or 18 bytes of compact peer info; undefined for other lengths or port 0. */
export function decodeCompactPeer(bytes: Buffer): Endpoint | undefined {
  if (bytes.length !== 6 && bytes.length !== 18) return undefined;
  const port = bytes.readUInt16BE(bytes.length - 2);
  if (port === 0) return undefined;
  const address = bytes.length === 6 ? formatIPv4(bytes, 0) : formatIPv6(bytes, 0);
  return { address, port };
}

/** Concatenated compact node infos of one family (nodes of the other family are left out). */
export function encodeCompactNodes(nodes: readonly NodeInfo[], family: DhtFamily): Buffer {
  const size = COMPACT_NODE_LENGTH[family];
  const chunks: Buffer[] = [];
  for (const node of nodes) {
    const peer = encodeCompactPeer(node, family);
    if (!peer || node.id.length !== NODE_ID_LENGTH) continue;
    const one = Buffer.allocUnsafe(size);
    node.id.copy(one, 0);
    peer.copy(one, NODE_ID_LENGTH);
    chunks.push(one);
  }
  return Buffer.concat(chunks);
}

/**
 * Splits a `nodes` (or `nodes6`) string; undefined when its length is not a
 * multiple of the entry size. Entries with port 0 are skipped, not fatal:
 * some nodes send them and the rest of the reply is still good.
 */
export function decodeCompactNodes(bytes: Buffer, family: DhtFamily): NodeInfo[] | undefined {
  const size = COMPACT_NODE_LENGTH[family];
  if (bytes.length % size !== 0) return undefined;
  const out: NodeInfo[] = [];
  for (let at = 0; at < bytes.length; at += size) {
    const peer = decodeCompactPeer(bytes.subarray(at + NODE_ID_LENGTH, at + size));
    if (!peer) continue;
    out.push({ id: Buffer.from(bytes.subarray(at, at + NODE_ID_LENGTH)), ...peer });
  }
  return out;
}

export function familyOf(address: string): DhtFamily | undefined {
  return normalizeIp(address)?.family;
}

function validPort(port: number): boolean {
  return Number.isInteger(port) && port > 0 && port < 65536;
}
