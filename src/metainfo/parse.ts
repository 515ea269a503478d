/**
 * Loads and validates a v1 `.torrent` file (BEP 3), with the extensions real
 * torrents carry: announce-list (BEP 12), private (BEP 27), url-list (BEP 19),
 * padding files and attributes (BEP 47), hybrid v1+v2 info (BEP 52, loaded
 * through its v1 part). Anything shoal cannot use safely is refused with a
 * MetainfoError that says what and where.
 */
import { readFile } from "node:fs/promises";
import {
  type BencodeDict,
  BencodeError,
  type BencodeValue,
  type BencodeWarning,
  decodeDocument,
  isBytes,
  isDict,
  isList,
  TORRENT_LIMITS,
} from "../bencode/index.ts";
import { asInfoHash, printable, sha1, sha256, toHex } from "../util/index.ts";
import { MetainfoError } from "./errors.ts";
import {
  isPowerOfTwo,
  MAX_PIECE_LENGTH,
  MAX_PIECES,
  MIN_PIECE_LENGTH,
  pieceCountFor,
} from "./geometry.ts";
import { keptCopy } from "./kept-bytes.ts";
import { unsafePathReason } from "./path-safety.ts";
import type { Metainfo, TorrentFile } from "./types.ts";
import { checkHybridFiles } from "./v2.ts";

/** Reads and validates a `.torrent` file from disk. */
export async function loadTorrentFile(path: string): Promise<Metainfo> {
  const bytes = await readFile(path);
  try {
    return parseMetainfo(bytes);
  } catch (err) {
    if (err instanceof MetainfoError) {
      throw new MetainfoError(err.code, `${path}: ${err.message}`, { cause: err });
    }
    throw err;
  }
}

/**
 * Lenient like libtorrent: unsorted keys, duplicate keys (first wins) and
 * trailing bytes are accepted and reported as warnings. The info hash is
 * always taken over the original bytes, so none of them changes it.
 */
const DECODE_OPTIONS = Object.freeze({ ...TORRENT_LIMITS, strict: false, bigint: true });

/** Validates a bencoded `.torrent`; throws MetainfoError for anything unusable. */
export function parseMetainfo(bytes: Uint8Array): Metainfo {
  let doc: ReturnType<typeof decodeDocument>;
  try {
    doc = decodeDocument(bytes, DECODE_OPTIONS);
  } catch (err) {
    if (err instanceof BencodeError) {
      throw new MetainfoError("invalid_bencoding", `not a torrent file: ${err.message}`, {
        cause: err,
      });
    }
    throw err;
  }
  const root = doc.value;
  if (!isDict(root))
    throw new MetainfoError(
      "not_a_dictionary",
      "not a torrent file: it is not a bencoded dictionary",
    );
  const info = root.get("info");
  if (!isDict(info))
    throw new MetainfoError("missing_info", "the torrent has no 'info' dictionary");
  const rawInfo = doc.raw(info)!;
  const infoStart = rawInfo.byteOffset - doc.raw(root)!.byteOffset;
  refuseDuplicateInfoKeys(doc.warnings, infoStart, infoStart + rawInfo.length);

  const isHybrid = info.get("meta version") === 2;
  if (isHybrid && !info.has("pieces")) {
    throw new MetainfoError(
      "v2_not_supported",
      "this is a BitTorrent v2-only torrent (BEP 52); v2 is not supported yet",
    );
  }

  const name = utf8Field(info, "name");
  if (name === undefined) throw new MetainfoError("missing_name", "the torrent has no 'name'");
  const nameReason = unsafePathReason([name]);
  if (nameReason) {
    throw new MetainfoError(
      "unsafe_path",
      `the torrent's name '${shown(name)}' is unsafe: it contains ${nameReason}`,
    );
  }

  const pieceLength = info.get("piece length");
  if (typeof pieceLength !== "number" || pieceLength <= 0) {
    throw new MetainfoError("missing_piece_length", "the torrent has no valid 'piece length'");
  }
  if (
    !isPowerOfTwo(pieceLength) ||
    pieceLength < MIN_PIECE_LENGTH ||
    pieceLength > MAX_PIECE_LENGTH
  ) {
    throw new MetainfoError(
      "invalid_piece_length",
      `piece length ${pieceLength} is not a power of two between 16 KiB and 512 MiB`,
    );
  }

  const { files, multiFile } = parseFiles(info, name);
  const totalLength = files.reduce((sum, f) => sum + f.length, 0);
  if (totalLength <= 0)
    throw new MetainfoError("invalid_length", "the torrent holds no data (total length 0)");

  const rawPieces = info.get("pieces");
  if (!isBytes(rawPieces) || rawPieces.length === 0) {
    throw new MetainfoError("missing_pieces", "the torrent has no 'pieces' hashes");
  }
  if (rawPieces.length % 20 !== 0) {
    throw new MetainfoError(
      "invalid_pieces",
      `'pieces' is ${rawPieces.length} bytes, not a multiple of 20`,
    );
  }
  const needed = pieceCountFor(totalLength, pieceLength);
  if (needed > MAX_PIECES) {
    throw new MetainfoError(
      "too_many_pieces",
      `the torrent needs ${needed} pieces; at most ${MAX_PIECES} are supported`,
    );
  }
  const pieceCount = rawPieces.length / 20;
  if (pieceCount !== needed) {
    throw new MetainfoError(
      "piece_count_mismatch",
      `'pieces' holds ${pieceCount} hashes but ${totalLength} bytes in ${pieceLength}-byte pieces need ${needed}`,
    );
  }

  if (isHybrid) checkHybridFiles(info, files, multiFile, pieceLength);

  // Kept for the torrent's life: copied out of whatever the file's bytes
  // share memory with (kept-bytes.ts), the piece hashes as a view of the
  // copy (they are a span inside the info dictionary).
  const infoBytes = keptCopy(rawInfo);
  const piecesAt = rawPieces.byteOffset - rawInfo.byteOffset;
  const inside =
    rawPieces.buffer === rawInfo.buffer &&
    piecesAt >= 0 &&
    piecesAt + rawPieces.length <= rawInfo.length;
  const pieces = inside
    ? infoBytes.subarray(piecesAt, piecesAt + rawPieces.length)
    : keptCopy(rawPieces);
  const infoHash = asInfoHash(keptCopy(sha1(infoBytes)));
  const announce = trimmedUrl(root.get("announce"));
  const meta: Metainfo = {
    infoHash,
    infoHashHex: toHex(infoHash),
    infoBytes,
    version: isHybrid ? "hybrid" : "v1",
    name,
    pieceLength,
    pieces,
    pieceCount,
    totalLength,
    files,
    multiFile,
    private: info.get("private") === 1,
    announceList: orNone(parseAnnounceList(root.get("announce-list"), announce)),
    urlList: orNone(parseUrlList(root.get("url-list"), multiFile)),
    nodes: orNone(parseNodes(root.get("nodes"))),
    warnings: orNone(
      doc.warnings.map(
        (w) =>
          `${w.code.replace("_", " ")} at byte ${w.offset}${w.key ? ` ('${shown(w.key)}')` : ""}`,
      ),
    ),
  };
  if (isHybrid) meta.infoHashV2 = sha256(infoBytes);
  if (announce) meta.announce = announce;
  const comment = utf8Field(root, "comment");
  if (comment !== undefined) meta.comment = comment;
  const createdBy = utf8Field(root, "created by");
  if (createdBy !== undefined) meta.createdBy = createdBy;
  const creationDate = root.get("creation date");
  if (typeof creationDate === "number" && creationDate > 0) meta.creationDate = creationDate;
  const source = utf8Field(info, "source");
  if (source !== undefined) meta.source = source;
  return meta;
}

/**
 * Most torrents have no web seeds, DHT nodes or warnings (and a daemon's
 * generated ones no trackers): their metainfo shares one empty, frozen list
 * rather than holding an empty array per field (32 bytes each, kept for the
 * torrent's life).
 */
const NONE: never[] = Object.freeze([]) as never[];

function orNone<T>(list: T[]): T[] {
  return list.length === 0 ? NONE : list;
}

/**
 * Of two copies of a key inside `info`, libtorrent reads the first and others
 * the last: one info hash would then name two different torrents. Outside
 * `info` a duplicate is harmless and only reported.
 */
function refuseDuplicateInfoKeys(
  warnings: readonly BencodeWarning[],
  start: number,
  end: number,
): void {
  const dup = warnings.find(
    (w) => w.code === "duplicate_key" && w.offset > start && w.offset < end,
  );
  if (dup) {
    throw new MetainfoError(
      "duplicate_key",
      `the info dictionary has the key '${shown(dup.key ?? "")}' twice (byte ${dup.offset}); clients would disagree on what it means`,
    );
  }
}

/** A text field, preferring its `.utf-8` twin (set by BitComet and others) when present. */
function utf8Field(dict: BencodeDict, key: string): string | undefined {
  const v = dict.get(`${key}.utf-8`) ?? dict.get(key);
  return isBytes(v) ? v.toString("utf8") : undefined;
}

function shown(s: string): string {
  return printable(s.length > 60 ? `${s.slice(0, 60)}…` : s);
}

function parseFiles(info: BencodeDict, name: string): { files: TorrentFile[]; multiFile: boolean } {
  const list = info.get("files");
  if (list === undefined) {
    const length = info.get("length");
    if (typeof length !== "number" || length < 0) {
      throw new MetainfoError(
        "invalid_length",
        "the torrent has neither a valid 'length' nor 'files'",
      );
    }
    return { files: [{ path: [name], length, offset: 0, pad: false, attr: "" }], multiFile: false };
  }
  if (!isList(list)) throw new MetainfoError("invalid_files", "'files' is not a list");
  if (list.length === 0) throw new MetainfoError("no_files", "the torrent lists no files");
  const files: TorrentFile[] = [];
  const seen = new Set<string>();
  const folders = new Set<string>();
  let offset = 0;
  for (const [i, entry] of list.entries()) {
    const file = parseFileEntry(entry, i, name, offset);
    offset += file.length;
    files.push(file);
    if (file.pad) continue;
    // Two entries for one path, or a file where another entry needs a folder,
    // would make two files' bytes share one place on disk.
    const key = file.path.join("/");
    if (seen.has(key) || folders.has(key)) {
      throw new MetainfoError(
        "duplicate_path",
        `file ${i} ('${shown(key)}') collides with another file of the torrent`,
      );
    }
    seen.add(key);
    for (let depth = 1; depth < file.path.length; depth++) {
      const folder = file.path.slice(0, depth).join("/");
      if (seen.has(folder)) {
        throw new MetainfoError(
          "duplicate_path",
          `file ${i} ('${shown(key)}') is inside '${shown(folder)}', which is a file`,
        );
      }
      folders.add(folder);
    }
  }
  return { files, multiFile: true };
}

function parseFileEntry(entry: BencodeValue, i: number, name: string, offset: number): TorrentFile {
  if (!isDict(entry)) throw new MetainfoError("invalid_files", `file ${i} is not a dictionary`);
  const attrValue = entry.get("attr");
  const attr = isBytes(attrValue) ? attrValue.toString("latin1") : "";
  // BEP 47: a symlink holds no data, and creators may leave out its length.
  const length = entry.get("length") ?? (attr.includes("l") ? 0 : undefined);
  if (typeof length !== "number" || length < 0) {
    throw new MetainfoError("invalid_length", `file ${i} has no valid 'length'`);
  }
  const rawPath = entry.get("path.utf-8") ?? entry.get("path");
  // BEP 47's "p" attribute, or BitComet's older convention of a name prefix.
  const leaf = isList(rawPath) ? rawPath.at(-1) : undefined;
  const pad =
    attr.includes("p") ||
    (isBytes(leaf) && leaf.toString("latin1").startsWith("_____padding_file_"));
  if (pad && rawPath === undefined) {
    // BEP 47 padding files are never written; some creators omit their path.
    return { path: [name, ".pad", String(length)], length, offset, pad, attr };
  }
  const components = pathComponents(rawPath, i);
  const reason = unsafePathReason(components);
  if (reason) {
    throw new MetainfoError(
      "unsafe_path",
      `file ${i} ('${shown(components.join("/"))}') is unsafe: it contains ${reason}`,
    );
  }
  const file: TorrentFile = { path: [name, ...components], length, offset, pad, attr };
  if (attr.includes("l")) file.symlink = symlinkTarget(entry, components, i);
  return file;
}

function pathComponents(rawPath: BencodeValue | undefined, i: number): string[] {
  if (!isList(rawPath) || rawPath.length === 0) {
    throw new MetainfoError("invalid_files", `file ${i} has no valid 'path' list`);
  }
  return rawPath.map((c) => {
    if (!isBytes(c))
      throw new MetainfoError(
        "invalid_files",
        `file ${i} has a path component that is not a string`,
      );
    return c.toString("utf8");
  });
}

/** BEP 47: a symlink's target is relative to the torrent's root and must stay inside it. */
function symlinkTarget(entry: BencodeDict, components: string[], i: number): string[] {
  const target = entry.get("symlink path");
  if (!isList(target) || target.length === 0 || !target.every(isBytes)) {
    throw new MetainfoError(
      "invalid_files",
      `file ${i} is a symlink without a valid 'symlink path'`,
    );
  }
  const parts = (target as Buffer[]).map((c) => c.toString("utf8"));
  const reason = unsafePathReason(parts);
  if (reason) {
    throw new MetainfoError(
      "unsafe_path",
      `file ${i} ('${shown(components.join("/"))}') is a symlink whose target is unsafe: it contains ${reason}`,
    );
  }
  return parts;
}

function trimmedUrl(v: BencodeValue | undefined): string | undefined {
  if (!isBytes(v)) return undefined;
  const url = v.toString("utf8").trim();
  return url.length > 0 ? url : undefined;
}

/** BEP 12 tiers, trimmed, each URL kept once; an empty list falls back to `announce`. */
function parseAnnounceList(v: BencodeValue | undefined, announce: string | undefined): string[][] {
  if (v === undefined) return announce ? [[announce]] : [];
  const seen = new Set<string>();
  const tiers: string[][] = [];
  if (isList(v)) {
    for (const tier of v) {
      const urls = (isList(tier) ? tier : [tier])
        .map(trimmedUrl)
        .filter((u): u is string => u !== undefined && !seen.has(u) && seen.add(u) !== undefined);
      if (urls.length > 0) tiers.push(urls);
    }
  }
  if (tiers.length === 0 && announce) tiers.push([announce]);
  return tiers;
}

/**
 * BEP 19: a list of URLs or a single one; trimmed, de-duplicated, spaces
 * escaped. For a multi-file torrent the URL names a folder (the client adds
 * the torrent's name and file paths), so it is given its trailing '/'.
 */
function parseUrlList(v: BencodeValue | undefined, multiFile: boolean): string[] {
  if (v === undefined) return []; // most torrents have no web seeds
  const items = isList(v) ? v : [v];
  const urls = items
    .map(trimmedUrl)
    .filter((u): u is string => u !== undefined)
    .map((u) => u.replaceAll(" ", "%20"))
    .map((u) => (multiFile && !u.endsWith("/") ? `${u}/` : u));
  return [...new Set(urls)];
}

/** BEP 5 `nodes`: [host, port] pairs; entries in other shapes are ignored. */
function parseNodes(v: BencodeValue | undefined): { host: string; port: number }[] {
  if (!isList(v)) return [];
  const nodes: { host: string; port: number }[] = [];
  for (const n of v) {
    if (isList(n) && isBytes(n[0]) && typeof n[1] === "number" && n[1] > 0 && n[1] < 65536) {
      nodes.push({ host: n[0].toString("utf8"), port: n[1] });
    }
  }
  return nodes;
}
