/**
 * BEP 14 announces ("BT-SEARCH * HTTP/1.1" over UDP multicast): encode ours,
 * decode theirs strictly, under named limits. Header names are matched
 * without regard to case (HTTP; libtorrent writes "cookie", others
 * "Cookie"), headers we do not know are skipped (BEP 14: "any additional
 * headers that not understood by a client should be ignored"), and lines
 * end in CRLF only.
 */
import { asInfoHash, type InfoHash, infoHashHex } from "../util/index.ts";
import { DiscoveryError } from "./errors.ts";

/** The IPv4 group (org-local scope) and port, BEP 14's group A. */
export const LSD_IPV4_GROUP = "239.192.152.143";
/** The IPv6 group (site-local scope), BEP 14's group B. */
export const LSD_IPV6_GROUP = "ff15::efc0:988f";
export const LSD_PORT = 6771;
/** The `Host` values BEP 14 asks for: the group the announce is sent to (RFC 2732 brackets for IPv6). */
export const LSD_IPV4_HOST = `${LSD_IPV4_GROUP}:${LSD_PORT}`;
export const LSD_IPV6_HOST = `[${LSD_IPV6_GROUP}]:${LSD_PORT}`;

/** BEP 14: an announce with several info hashes "should not exceed 1400 bytes" (MTU). */
export const LSD_MAX_SEND_BYTES = 1400;
/**
 * The largest datagram we read. Above what any sender should make (1400),
 * with room for peers that add headers of their own; anything longer is
 * not an announce.
 */
export const LSD_MAX_DATAGRAM = 4096;
/** Info hashes taken from one announce; more is refused, not truncated. */
export const LSD_MAX_INFO_HASHES = 64;
/** Header lines in one announce (the known and the skipped together). */
export const LSD_MAX_HEADERS = 96;
/** A cookie longer than this is refused (ours is 16 hex digits; libtorrent's 8-16). */
export const LSD_MAX_COOKIE = 64;
/** A `Host` value longer than this is refused (the longest group form is 24 characters). */
export const LSD_MAX_HOST = 64;

const REQUEST_LINE = "BT-SEARCH * HTTP/1.1";
const HEX40 = /^[0-9a-fA-F]{40}$/;
const PORT = /^[1-9][0-9]{0,4}$/;
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** Visible ASCII and spaces inside: what a header value may hold. */
const VALUE = /^[\x20-\x7e]*$/;

export interface LsdAnnounce {
  /** The `Host` header: the group it was sent to. */
  host: string;
  /** The sender's BitTorrent listen port. */
  port: number;
  /** Distinct info hashes, in the order sent. */
  infoHashes: InfoHash[];
  /** Absent when the sender gave none (BEP 14: optional). */
  cookie?: string;
}

/** Our announce in BEP 14's layout, the trailing blank lines included. */
export function encodeLsdAnnounce(a: LsdAnnounce): Buffer {
  if (!Number.isInteger(a.port) || a.port < 1 || a.port > 65535) {
    throw new RangeError(`LSD port ${a.port} is not a TCP port`);
  }
  if (a.infoHashes.length === 0) throw new RangeError("an LSD announce needs an info hash");
  if (a.cookie !== undefined && !TOKEN.test(a.cookie)) {
    throw new RangeError("an LSD cookie is a non-empty token");
  }
  let text = `${REQUEST_LINE}\r\nHost: ${a.host}\r\nPort: ${a.port}\r\n`;
  for (const h of a.infoHashes) text += `Infohash: ${infoHashHex(h)}\r\n`;
  if (a.cookie !== undefined) text += `cookie: ${a.cookie}\r\n`;
  return Buffer.from(`${text}\r\n\r\n`, "latin1");
}

/** Bytes of an announce with `count` info hashes (to pack them under LSD_MAX_SEND_BYTES). */
export function lsdAnnounceLength(
  host: string,
  port: number,
  count: number,
  cookie?: string,
): number {
  const fixed = REQUEST_LINE.length + 2 + `Host: ${host}\r\n`.length + `Port: ${port}\r\n`.length;
  const cookieLine = cookie === undefined ? 0 : `cookie: ${cookie}\r\n`.length;
  return fixed + count * "Infohash: \r\n".length + count * 40 + cookieLine + 4;
}

function malformed(why: string): never {
  throw new DiscoveryError("lsd_malformed", `LSD announce refused: ${why}`);
}

/** Parses one datagram; throws DiscoveryError "lsd_malformed" on anything not an announce. */
export function decodeLsdAnnounce(datagram: Uint8Array): LsdAnnounce {
  if (datagram.length > LSD_MAX_DATAGRAM) malformed(`longer than ${LSD_MAX_DATAGRAM} bytes`);
  const text = Buffer.from(datagram.buffer, datagram.byteOffset, datagram.length).toString(
    "latin1",
  );
  const end = text.indexOf("\r\n\r\n");
  if (end < 0) malformed("no blank line ends the headers");
  // BEP 14's layout ends with one more CRLF after the blank line; nothing else may follow.
  if (!/^(\r\n)*$/.test(text.slice(end + 4))) malformed("data after the headers");
  const lines = text.slice(0, end).split("\r\n");
  if (lines[0] !== REQUEST_LINE) malformed("not a BT-SEARCH request");
  if (lines.length - 1 > LSD_MAX_HEADERS) malformed(`more than ${LSD_MAX_HEADERS} headers`);
  let host: string | undefined;
  let port: number | undefined;
  let cookie: string | undefined;
  const hashes = new Map<string, InfoHash>();
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    const colon = line.indexOf(":");
    if (colon <= 0) malformed("a header line that is not 'Name: value'");
    const name = line.slice(0, colon);
    if (!TOKEN.test(name)) malformed("a header name with characters HTTP does not allow");
    const value = line.slice(colon + 1).trim();
    if (!VALUE.test(value)) malformed("a header value with control or non-ASCII bytes");
    switch (name.toLowerCase()) {
      case "host":
        if (host !== undefined) malformed("two Host headers");
        if (value.length === 0 || value.length > LSD_MAX_HOST) malformed("a bad Host");
        host = value;
        break;
      case "port": {
        if (port !== undefined) malformed("two Port headers");
        const n = PORT.test(value) ? Number(value) : 0;
        if (n < 1 || n > 65535) malformed(`port '${value.slice(0, 16)}' is not a TCP port`);
        port = n;
        break;
      }
      case "infohash": {
        if (!HEX40.test(value)) malformed("an Infohash that is not 40 hex digits");
        const key = value.toLowerCase();
        if (hashes.has(key)) break;
        if (hashes.size >= LSD_MAX_INFO_HASHES) {
          malformed(`more than ${LSD_MAX_INFO_HASHES} info hashes`);
        }
        hashes.set(key, asInfoHash(Buffer.from(key, "hex")));
        break;
      }
      case "cookie":
        if (cookie !== undefined) malformed("two cookies");
        if (value.length === 0 || value.length > LSD_MAX_COOKIE) malformed("a bad cookie");
        cookie = value;
        break;
      default: // BEP 14: headers not understood are ignored
    }
  }
  if (host === undefined) malformed("no Host header");
  if (port === undefined) malformed("no Port header");
  if (hashes.size === 0) malformed("no Infohash header");
  const out: LsdAnnounce = { host, port, infoHashes: [...hashes.values()] };
  if (cookie !== undefined) out.cookie = cookie;
  return out;
}
