/**
 * Magnet URIs (BEP 9 "magnet URI format", BEP 53 select-only): parse,
 * format, and derive one from a loaded torrent.
 */
import {
  asInfoHash,
  formatEndpoint,
  fromBase32,
  fromHex,
  type InfoHash,
  toBase32,
  toHex,
} from "../util/index.ts";
import { MetainfoError } from "./errors.ts";
import type { Metainfo } from "./types.ts";

export interface MagnetPeer {
  host: string;
  port: number;
}

export interface MagnetLink {
  /** The v1 info hash (`xt=urn:btih:`). */
  infoHash: InfoHash;
  /** `dn`: a name to show until the metadata arrives. */
  displayName?: string;
  /** `tr`: tracker URLs, de-duplicated, in the order given. */
  trackers: string[];
  /** `xl`: the torrent's total size in bytes. */
  exactLength?: number;
  /** `ws`: web seeds (BEP 19), de-duplicated, in the order given. */
  webSeeds: string[];
  /** `x.pe`: peers to ask for the metadata directly. */
  peers: MagnetPeer[];
  /** BEP 53 `so`: file indices to download, sorted and unique. */
  selectOnly?: number[];
  /** The 32-byte SHA-256 v2 info hash of a hybrid torrent (`xt=urn:btmh:1220…`). */
  infoHashV2?: Buffer;
}

/**
 * Most file indices one `so` may expand to (counting every range in full):
 * enough for any real torrent, small enough that `so=0-4294967295` cannot
 * make us build a four-billion-entry array.
 */
export const MAX_SELECT_ONLY = 100_000;

// BEP 9 via multihash: 0x12 = sha2-256, 0x20 = 32-byte digest.
const SHA256_MULTIHASH_PREFIX = "1220";

function invalid(message: string): never {
  throw new MetainfoError("invalid_magnet", message);
}

/**
 * Percent-decoding as URIs do (RFC 3986 §2.1), over bytes: `%HH` is one byte,
 * other characters are their UTF-8, and the result is read as UTF-8 (invalid
 * sequences become U+FFFD rather than refusing the link, as a name in some
 * legacy code page would otherwise do).
 */
function percentDecode(value: string, param: string, plusIsSpace: boolean): string {
  if (!value.includes("%")) return plusIsSpace ? value.replaceAll("+", " ") : value;
  const bytes: number[] = [];
  for (let i = 0; i < value.length; i++) {
    const ch = value[i]!;
    if (ch === "%") {
      const hex = value.slice(i + 1, i + 3);
      if (!/^[0-9a-fA-F]{2}$/.test(hex)) {
        invalid(`'${param}' has a '%' not followed by two hex digits: '${value.slice(0, 60)}'`);
      }
      bytes.push(Number.parseInt(hex, 16));
      i += 2;
    } else if (plusIsSpace && ch === "+") {
      bytes.push(0x20);
    } else {
      const cp = value.codePointAt(i)!;
      if (cp > 0xffff) i++;
      bytes.push(...Buffer.from(String.fromCodePoint(cp), "utf8"));
    }
  }
  return Buffer.from(bytes).toString("utf8");
}

function parseBtih(text: string): InfoHash {
  if (text.length === 40) {
    const bytes = fromHex(text);
    if (!bytes) invalid(`info hash '${text}' has 40 characters but is not hex`);
    return asInfoHash(bytes);
  }
  if (text.length === 32) {
    const bytes = /^[A-Za-z2-7]{32}$/.test(text) ? fromBase32(text) : undefined;
    if (!bytes) invalid(`info hash '${text}' has 32 characters but is not base32 (A-Z, 2-7)`);
    return asInfoHash(bytes);
  }
  return invalid(
    `info hash '${text.slice(0, 80)}' must be 40 hex or 32 base32 characters, not ${text.length}`,
  );
}

function parseBtmh(text: string): Buffer {
  const bytes = text.length === 68 ? fromHex(text) : undefined;
  if (!bytes || !text.startsWith(SHA256_MULTIHASH_PREFIX)) {
    invalid(
      `v2 info hash '${text.slice(0, 80)}' must be a hex SHA-256 multihash: '1220' then 64 hex digits`,
    );
  }
  return bytes.subarray(2);
}

function parsePort(text: string, where: string): number {
  const port = /^\d{1,5}$/.test(text) ? Number(text) : 0;
  if (port < 1 || port > 65535) invalid(`peer '${where}' needs a port from 1 to 65535`);
  return port;
}

/** `x.pe` (BEP 9): `host:port`, `ipv4:port` or `[ipv6]:port`. */
function parsePeer(text: string): MagnetPeer {
  if (text.startsWith("[")) {
    const close = text.indexOf("]");
    if (
      close < 0 ||
      text[close + 1] !== ":" ||
      close === 1 ||
      !text.slice(1, close).includes(":")
    ) {
      invalid(`peer '${text}' must be written [ipv6]:port`);
    }
    return { host: text.slice(1, close), port: parsePort(text.slice(close + 2), text) };
  }
  const colon = text.lastIndexOf(":");
  const host = text.slice(0, colon);
  if (colon <= 0 || host.includes(":")) {
    invalid(`peer '${text}' must be written host:port (an IPv6 address goes in brackets)`);
  }
  return { host, port: parsePort(text.slice(colon + 1), text) };
}

/** BEP 53: `0,2,4-6` → [0, 2, 4, 5, 6]. */
function parseSelectOnly(text: string, into: Set<number>, budget: { left: number }): void {
  for (const item of text.split(",")) {
    const m = /^\s*(\d{1,10})(?:-(\d{1,10}))?\s*$/.exec(item);
    if (!m) invalid(`'so' must list file indices and ranges like 0,2,4-6; found '${item}'`);
    const first = Number(m[1]);
    const last = m[2] === undefined ? first : Number(m[2]);
    if (last < first) invalid(`'so' range '${item.trim()}' runs backwards`);
    budget.left -= last - first + 1;
    if (budget.left < 0) {
      invalid(`'so' selects more than ${MAX_SELECT_ONLY} files; select fewer or omit it`);
    }
    for (let i = first; i <= last; i++) into.add(i);
  }
}

function addUnique(list: string[], value: string): void {
  if (value !== "" && !list.includes(value)) list.push(value);
}

/** Parses a magnet URI; throws MetainfoError("invalid_magnet") saying what is wrong. */
export function parseMagnet(uri: string): MagnetLink {
  const text = uri.trim();
  if (!/^magnet:\?/i.test(text)) invalid("a magnet link must start with 'magnet:?'");
  let infoHash: InfoHash | undefined;
  let infoHashV2: Buffer | undefined;
  let displayName: string | undefined;
  let exactLength: number | undefined;
  const trackers: string[] = [];
  const webSeeds: string[] = [];
  const peers: MagnetPeer[] = [];
  const selected = new Set<number>();
  const budget = { left: MAX_SELECT_ONLY };
  let hasSelectOnly = false;

  for (const part of text.slice("magnet:?".length).split("&")) {
    if (part === "") continue;
    const eq = part.indexOf("=");
    const rawKey = (eq < 0 ? part : part.slice(0, eq)).toLowerCase();
    // The magnet scheme numbers repeated parameters: xt.1, tr.2, …
    const key = rawKey.replace(/\.\d+$/, "");
    const rawValue = eq < 0 ? "" : part.slice(eq + 1);
    const value = percentDecode(rawValue, key, key === "dn").trim();

    switch (key) {
      case "xt": {
        const m = /^urn:(btih|btmh):(.*)$/i.exec(value);
        if (!m) break; // another network's topic (ed2k, sha1, …) in a multi-network link
        if (m[1]!.toLowerCase() === "btih") {
          const hash = parseBtih(m[2]!);
          if (infoHash && !infoHash.equals(hash)) {
            invalid("the link names two different v1 info hashes");
          }
          infoHash = hash;
        } else {
          const hash = parseBtmh(m[2]!);
          if (infoHashV2 && !infoHashV2.equals(hash)) {
            invalid("the link names two different v2 info hashes");
          }
          infoHashV2 = hash;
        }
        break;
      }
      case "dn":
        if (displayName === undefined && value !== "") displayName = value;
        break;
      case "tr":
        addUnique(trackers, value);
        break;
      case "ws":
        addUnique(webSeeds, value);
        break;
      case "xl":
        if (!/^\d{1,16}$/.test(value) || !Number.isSafeInteger(Number(value))) {
          invalid(`'xl' must be the size in bytes, found '${value.slice(0, 40)}'`);
        }
        exactLength = Number(value);
        break;
      case "x.pe": {
        const peer = parsePeer(value);
        if (!peers.some((p) => p.host === peer.host && p.port === peer.port)) peers.push(peer);
        break;
      }
      case "so":
        hasSelectOnly = true;
        parseSelectOnly(value, selected, budget);
        break;
      default:
        break; // unknown parameters (kt, as, xs, x.*) are allowed and ignored
    }
  }

  if (!infoHash) {
    if (infoHashV2) invalid("v2-only magnet links are not supported yet");
    invalid("the link has no BitTorrent info hash (xt=urn:btih:…)");
  }
  const link: MagnetLink = { infoHash, trackers, webSeeds, peers };
  if (infoHashV2) link.infoHashV2 = infoHashV2;
  if (displayName !== undefined) link.displayName = displayName;
  if (exactLength !== undefined) link.exactLength = exactLength;
  if (hasSelectOnly) link.selectOnly = [...selected].sort((a, b) => a - b);
  return link;
}

/** Sorted unique indices as BEP 53 text, runs as ranges: [0, 2, 4, 5, 6] → "0,2,4-6". */
function formatSelectOnly(indices: number[]): string {
  const sorted = [...new Set(indices)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
    parts.push(j > i ? `${sorted[i]}-${sorted[j]}` : `${sorted[i]}`);
    i = j + 1;
  }
  return parts.join(",");
}

/**
 * Writes a magnet URI: xt first, then dn, tr, ws, xl, x.pe, so. Free-text
 * values are encoded with encodeURIComponent (as anacrolix's Magnet() does:
 * `tr=http%3A%2F%2F…`); xt, xl and so are digits, letters, `:`, `,`, `-`.
 */
export function formatMagnet(link: MagnetLink, opts: { base32?: boolean } = {}): string {
  const hash = opts.base32 ? toBase32(link.infoHash) : toHex(link.infoHash);
  const params = [`xt=urn:btih:${hash}`];
  if (link.infoHashV2) {
    params.push(`xt=urn:btmh:${SHA256_MULTIHASH_PREFIX}${toHex(link.infoHashV2)}`);
  }
  if (link.displayName !== undefined) params.push(`dn=${encodeURIComponent(link.displayName)}`);
  for (const tr of link.trackers) params.push(`tr=${encodeURIComponent(tr)}`);
  for (const ws of link.webSeeds) params.push(`ws=${encodeURIComponent(ws)}`);
  if (link.exactLength !== undefined) params.push(`xl=${link.exactLength}`);
  for (const { host, port } of link.peers) {
    // As written, not percent-encoded: libtorrent 2.0 reads x.pe without
    // decoding it (an escaped "127.0.0.1%3A6881" is no peer to it), and an
    // endpoint holds nothing that needs escaping in a query but the brackets.
    params.push(`x.pe=${formatEndpoint(host, port)}`);
  }
  if (link.selectOnly && link.selectOnly.length > 0) {
    params.push(`so=${formatSelectOnly(link.selectOnly)}`);
  }
  return `magnet:?${params.join("&")}`;
}

/** The magnet link of a loaded torrent: every tracker of every tier, web seeds, name, size. */
export function magnetFromMetainfo(meta: Metainfo): MagnetLink {
  const trackers: string[] = [];
  for (const tier of meta.announceList) for (const url of tier) addUnique(trackers, url);
  // BEP 12: `announce` counts only when there is no announce-list.
  if (trackers.length === 0 && meta.announce) addUnique(trackers, meta.announce);
  const webSeeds: string[] = [];
  for (const url of meta.urlList) addUnique(webSeeds, url);
  const link: MagnetLink = {
    infoHash: meta.infoHash,
    displayName: meta.name,
    trackers,
    exactLength: meta.totalLength,
    webSeeds,
    peers: [],
  };
  if (meta.infoHashV2) link.infoHashV2 = meta.infoHashV2;
  return link;
}
