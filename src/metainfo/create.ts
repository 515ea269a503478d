/**
 * Makes a v1 `.torrent` from a file or a folder (BEP 3), with trackers in
 * tiers (BEP 12), the private flag (BEP 27) and web seeds (BEP 19). Hashing
 * is streamed (bounded memory) and runs on every core: see piece-hasher.ts.
 */
import { lstat, readdir, realpath, stat } from "node:fs/promises";
import { basename, join, resolve, sep } from "node:path";
import { encode } from "../bencode/index.ts";
import { MetainfoError } from "./errors.ts";
import {
  autoPieceLength,
  isPowerOfTwo,
  MAX_CREATE_PIECE_LENGTH,
  MAX_PIECES,
  MIN_PIECE_LENGTH,
  pieceCountFor,
} from "./geometry.ts";
import { parseMetainfo } from "./parse.ts";
import { unsafeComponentReason, unsafePathReason } from "./path-safety.ts";
import { hashPieces } from "./piece-hasher.ts";
import type { Metainfo } from "./types.ts";

export interface CreateOptions {
  /** BEP 12 tiers: the first URL becomes `announce`. */
  trackers?: string[][];
  /** A power of two ≥ 16 KiB; default autoPieceLength(total). */
  pieceLength?: number;
  private?: boolean;
  comment?: string;
  /** Default "shoal/0.1.0". */
  createdBy?: string;
  /** Seconds since the epoch; null omits the field; default now. */
  creationDate?: number | null;
  /** BEP 19 `url-list`. */
  webSeeds?: string[];
  /** BEP 5 `nodes`: DHT nodes to join through, for a trackerless torrent. */
  nodes?: { host: string; port: number }[];
  /** `source` inside `info` (some private trackers require it; it changes the info hash). */
  source?: string;
  onProgress?: (hashedBytes: number, totalBytes: number) => void;
  signal?: AbortSignal;
}

export interface CreatedTorrent {
  torrent: Buffer;
  metainfo: Metainfo;
  /** Entries of a folder left out (special files, symlinks leading outside or in a loop), with why. */
  skipped: string[];
}

export const CREATED_BY = "shoal/0.1.0";
/** A file to hash: where it is on disk and where it goes in the torrent. */
interface SourceFile {
  absPath: string;
  /** Components below the torrent's name (empty for a single-file torrent). */
  path: string[];
  length: number;
}

/** Makes the torrent of `path` (a file → single-file torrent, a folder → multi-file). */
export async function createTorrent(
  path: string,
  opts: CreateOptions = {},
): Promise<CreatedTorrent> {
  const { trackers, webSeeds, nodes } = checkOptions(opts);
  opts.signal?.throwIfAborted();
  const abs = resolve(path);
  const name = basename(abs);
  const nameReason = unsafeComponentReason(name);
  if (nameReason) fail(`cannot use '${name}' as the torrent's name: it contains ${nameReason}`);

  const top = await stat(abs);
  let files: SourceFile[];
  const skipped: string[] = [];
  let multiFile: boolean;
  if (top.isFile()) {
    files = [{ absPath: abs, path: [], length: top.size }];
    multiFile = false;
  } else if (top.isDirectory()) {
    files = await walkFolder(abs, skipped);
    multiFile = true;
    if (files.length === 0) fail(`the folder '${path}' holds no files to share`);
  } else {
    fail(`'${path}' is neither a file nor a folder`);
  }
  const totalLength = files.reduce((sum, f) => sum + f.length, 0);
  if (totalLength === 0) {
    fail(`'${path}' is empty (0 bytes): a torrent needs at least one byte of data`);
  }
  for (const f of files) {
    const reason = unsafePathReason([name, ...f.path]);
    if (reason) fail(`cannot share '${join(name, ...f.path)}': its path contains ${reason}`);
  }

  const pieceLength = opts.pieceLength ?? autoPieceLength(totalLength);
  const pieceCount = pieceCountFor(totalLength, pieceLength);
  if (pieceCount > MAX_PIECES) {
    fail(
      `${pieceCount} pieces of ${pieceLength} bytes is more than clients accept (${MAX_PIECES}); choose a larger piece size`,
    );
  }

  let offset = 0;
  const spans = files.map((f) => {
    const span = { path: f.absPath, length: f.length, offset };
    offset += f.length;
    return span;
  });
  const pieces = await hashPieces(spans, pieceLength, totalLength, {
    ...(opts.onProgress && { onProgress: opts.onProgress }),
    ...(opts.signal && { signal: opts.signal }),
  });

  const info = {
    name,
    "piece length": pieceLength,
    pieces,
    ...(multiFile
      ? { files: files.map((f) => ({ length: f.length, path: f.path })) }
      : { length: totalLength }),
    private: opts.private ? 1 : undefined,
    source: opts.source,
  };
  const allUrls = trackers.flat();
  const creationDate =
    opts.creationDate === undefined ? Math.floor(Date.now() / 1000) : opts.creationDate;
  const torrent = encode({
    announce: allUrls[0],
    // BEP 12: a single URL is said by `announce` alone.
    "announce-list": allUrls.length > 1 ? trackers : undefined,
    comment: opts.comment,
    "created by": opts.createdBy ?? CREATED_BY,
    "creation date": creationDate ?? undefined,
    info,
    // BEP 5: a list of [host, port] pairs.
    nodes: nodes.length > 0 ? nodes.map((n) => [n.host, n.port]) : undefined,
    // BEP 19: a multi-file torrent's web seed is a folder URL, to which
    // clients append the name and path; write it the way they will use it.
    "url-list":
      webSeeds.length > 0
        ? webSeeds.map((u) => (multiFile && !u.endsWith("/") ? `${u}/` : u))
        : undefined,
  });
  let metainfo: Metainfo;
  try {
    metainfo = parseMetainfo(torrent);
  } catch (err) {
    // Everything above was checked, so this means create and parse disagree.
    const message = err instanceof Error ? err.message : String(err);
    throw new MetainfoError("create_failed", `the torrent made is not valid: ${message}`, {
      cause: err,
    });
  }
  return { torrent, metainfo, skipped };
}

function fail(message: string): never {
  throw new MetainfoError("create_failed", message);
}

/** Validates the options before any disk work, so mistakes cost nothing. */
function checkOptions(opts: CreateOptions): {
  trackers: string[][];
  webSeeds: string[];
  nodes: { host: string; port: number }[];
} {
  if (opts.pieceLength !== undefined) {
    const n = opts.pieceLength;
    if (!isPowerOfTwo(n) || n < MIN_PIECE_LENGTH || n > MAX_CREATE_PIECE_LENGTH) {
      fail(
        `piece length ${n} is not allowed: it must be a power of two from 16 KiB to 64 MiB (e.g. 262144 = 256 KiB)`,
      );
    }
  }
  if (opts.creationDate != null && !Number.isSafeInteger(opts.creationDate)) {
    fail(`creation date ${opts.creationDate} is not a whole number of seconds`);
  }
  const trackers: string[][] = [];
  const seen = new Set<string>();
  for (const tier of opts.trackers ?? []) {
    const urls: string[] = [];
    for (const raw of tier) {
      const url = raw.trim();
      if (url === "") continue;
      checkUrl(url, "tracker", ["http:", "https:", "udp:", "ws:", "wss:"]);
      if (seen.has(url)) continue;
      seen.add(url);
      urls.push(url);
    }
    if (urls.length > 0) trackers.push(urls);
  }
  const webSeeds: string[] = [];
  for (const raw of opts.webSeeds ?? []) {
    const url = raw.trim();
    if (url === "") continue;
    checkUrl(url, "web seed", ["http:", "https:", "ftp:"]);
    if (!webSeeds.includes(url)) webSeeds.push(url);
  }
  for (const [field, value] of [
    ["comment", opts.comment],
    ["source", opts.source],
    ["created by", opts.createdBy],
  ] as const) {
    if (value !== undefined && typeof value !== "string") fail(`${field} must be text`);
  }
  const nodes: { host: string; port: number }[] = [];
  for (const n of opts.nodes ?? []) {
    if (
      typeof n.host !== "string" ||
      n.host === "" ||
      !Number.isInteger(n.port) ||
      n.port < 1 ||
      n.port > 65535
    ) {
      fail(`DHT node '${String(n.host)}:${String(n.port)}' is not host:port`);
    }
    if (!nodes.some((m) => m.host === n.host && m.port === n.port))
      nodes.push({ host: n.host, port: n.port });
  }
  return { trackers, webSeeds, nodes };
}

function checkUrl(url: string, what: string, schemes: string[]): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    fail(`${what} URL '${url}' is not a valid URL`);
  }
  if (!schemes.includes(parsed.protocol)) {
    fail(`${what} URL '${url}' must start with ${schemes.map((s) => `${s}//`).join(", ")}`);
  }
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * Lists a folder's files depth first, each folder's entries sorted by their
 * UTF-8 bytes, which is the order of comparing paths component by component
 * (so `a/z` comes before `a.b`). Hidden files are included, as libtorrent
 * and mktorrent do (transmission-create leaves them out): a folder is shared
 * as it is. A symlink is followed when it leads inside the folder (to a file,
 * or to a folder that is not one of its own ancestors); symlinks leading
 * outside or into a loop, and special files (devices, FIFOs, sockets), are
 * left out and reported in `skipped`.
 */
async function walkFolder(root: string, skipped: string[]): Promise<SourceFile[]> {
  const realRoot = await realpath(root);
  const files: SourceFile[] = [];
  const visit = async (dir: string, components: string[], ancestors: string[]) => {
    const entries = await readdir(dir, { withFileTypes: true, encoding: "buffer" });
    entries.sort((a, b) => Buffer.compare(a.name, b.name));
    for (const entry of entries) {
      let name: string;
      try {
        name = utf8.decode(entry.name);
      } catch {
        const shown = join(dir, entry.name.toString("latin1"));
        fail(`cannot share '${shown}': its name is not valid UTF-8 (rename it first)`);
      }
      const abs = join(dir, name);
      const rel = [...components, name];
      const shown = rel.join("/");
      let kind: "file" | "dir" | "other";
      let size = 0;
      let real = abs;
      if (entry.isSymbolicLink()) {
        try {
          real = await realpath(abs);
        } catch {
          skipped.push(`${shown}: a broken symlink`);
          continue;
        }
        if (real !== realRoot && !real.startsWith(realRoot + sep)) {
          skipped.push(`${shown}: a symlink leading outside the folder`);
          continue;
        }
        const target = await stat(abs);
        kind = target.isFile() ? "file" : target.isDirectory() ? "dir" : "other";
        size = target.size;
        if (kind === "dir" && (real === realRoot || ancestors.includes(real))) {
          skipped.push(`${shown}: a symlink to a folder that contains it (a loop)`);
          continue;
        }
      } else {
        kind = entry.isFile() ? "file" : entry.isDirectory() ? "dir" : "other";
        if (kind === "file") size = (await lstat(abs)).size;
        if (kind === "dir") real = join(ancestors.at(-1) ?? realRoot, name);
      }
      if (kind === "file") files.push({ absPath: abs, path: rel, length: size });
      else if (kind === "dir") await visit(abs, rel, [...ancestors, real]);
      else skipped.push(`${shown}: not a regular file`);
    }
  };
  await visit(root, [], [realRoot]);
  return files;
}
