/**
 * What a torrent can be added from: a .torrent file's path or bytes, parsed
 * metainfo, a magnet URI (BEP 9), or a description of one (an info hash
 * with what a magnet link may carry). Without metainfo the torrent starts in
 * its metadata state.
 */
import { readFile } from "node:fs/promises";
import { type Metainfo, MetainfoError, parseMagnet, parseMetainfo } from "../metainfo/index.ts";
import type { FilePriority } from "../torrent/index.ts";
import type { PeerAddress } from "../tracker-proto/index.ts";
import { asInfoHash, fromHex, type InfoHash, toHex } from "../util/index.ts";
import { ClientError } from "./errors.ts";

/** A torrent known by its info hash alone, as a magnet link describes it. */
export interface TorrentDescription {
  /** 20 bytes, or 40 hex digits. */
  infoHash: Uint8Array | string;
  /** A name to show until the metadata arrives (`dn`). */
  name?: string;
  /** Trackers (`tr`), tried in order (one BEP 12 tier each). */
  trackers?: readonly string[];
  /** Peers to ask for the metadata (`x.pe`). */
  peers?: readonly { host: string; port: number }[];
  /** BEP 53 `so`: the indices of the only files to download. */
  selectOnly?: readonly number[];
}

export type TorrentSource = string | Uint8Array | Metainfo | TorrentDescription;

/**
 * A source resolved: metainfo (with the .torrent's bytes when they were
 * given), or what to start a torrent in its metadata state with.
 */
export type ResolvedSource =
  | { meta: Metainfo; bytes?: Buffer }
  | {
      meta?: undefined;
      infoHash: InfoHash;
      infoHashHex: string;
      name?: string;
      /** BEP 53 `so`: the only files to download. */
      selectOnly?: readonly number[];
      announceList: string[][];
      peers: PeerAddress[];
    };

function isMetainfo(source: Metainfo | TorrentDescription): source is Metainfo {
  return "infoBytes" in source;
}

export async function resolveSource(source: TorrentSource): Promise<ResolvedSource> {
  if (source instanceof Uint8Array) {
    const bytes = Buffer.from(source);
    return { meta: parseMetainfo(bytes), bytes };
  }
  if (typeof source === "string") {
    if (!source.startsWith("magnet:")) return loadTorrentFile(source);
    const link = parseMagnet(source);
    const description: TorrentDescription = {
      infoHash: link.infoHash,
      trackers: link.trackers,
      peers: link.peers,
    };
    if (link.displayName !== undefined) description.name = link.displayName;
    if (link.selectOnly !== undefined) description.selectOnly = link.selectOnly;
    return describe(description);
  }
  return isMetainfo(source) ? { meta: source } : describe(source);
}

function describe(d: TorrentDescription): ResolvedSource {
  const bytes =
    typeof d.infoHash === "string"
      ? /^[0-9a-fA-F]{40}$/.test(d.infoHash)
        ? fromHex(d.infoHash)
        : undefined
      : d.infoHash;
  if (bytes?.length !== 20) {
    throw new ClientError("bad_info_hash", `not an info hash: ${String(d.infoHash)}`);
  }
  const infoHash = asInfoHash(Buffer.from(bytes));
  const out: ResolvedSource = {
    infoHash,
    infoHashHex: toHex(infoHash),
    announceList: (d.trackers ?? []).map((url) => [url]),
    peers: (d.peers ?? []).map((p) => ({ ip: p.host, port: p.port })),
  };
  if (d.name !== undefined) out.name = d.name;
  if (d.selectOnly !== undefined) out.selectOnly = d.selectOnly;
  return out;
}

/** A .torrent file's metainfo and bytes; a parse error names the file. */
async function loadTorrentFile(path: string): Promise<ResolvedSource> {
  const bytes = await readFile(path);
  try {
    return { meta: parseMetainfo(bytes), bytes };
  } catch (err) {
    if (err instanceof MetainfoError) {
      throw new MetainfoError(err.code, `${path}: ${err.message}`, { cause: err });
    }
    throw err;
  }
}

/** BEP 53 `so` indices as priorities: those files normal, the rest (holes) left to the fill. */
export function selectOnlyPriorities(indices: readonly number[]): (FilePriority | undefined)[] {
  const out: (FilePriority | undefined)[] = [];
  // Indices past any torrent's files are left out (fitPriorities reads only the real ones).
  for (const i of indices) if (i < MAX_SELECTABLE_FILE) out[i] = "normal";
  return out;
}

/** More files than any torrent we load could have (metainfo's limits are far below). */
const MAX_SELECTABLE_FILE = 1_000_000;
