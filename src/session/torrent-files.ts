/**
 * The store of .torrent copies: <data-dir>/torrents/<info hash>.torrent, one
 * per torrent in the session, so the session comes back even when the
 * original file was moved or deleted, and the exact bytes can be published
 * again. A torrent added from a magnet link gets its copy once the
 * metadata arrives (BEP 9), made from the info dictionary's own bytes.
 */
import { mkdir, readFile, unlink } from "node:fs/promises";
import { join } from "node:path";
import { encode } from "../bencode/index.ts";
import { type Metainfo, parseMetainfo } from "../metainfo/index.ts";
import { readFileNow } from "../storage/index.ts";
import { writeFileAtomic } from "./atomic-file.ts";

export const TORRENTS_DIR = "torrents";

export class TorrentFileStore {
  readonly dir: string;

  constructor(dataDir: string) {
    this.dir = join(dataDir, TORRENTS_DIR);
  }

  /** `infoHashHex`: 40 hex digits (session-store.ts checks them), so no join() is needed. */
  path(infoHashHex: string): string {
    return `${this.dir}/${infoHashHex}.torrent`;
  }

  async put(infoHashHex: string, bytes: Uint8Array): Promise<string> {
    await mkdir(this.dir, { recursive: true });
    const path = this.path(infoHashHex);
    await writeFileAtomic(path, bytes);
    return path;
  }

  /** The copy's bytes, or undefined when there is none. */
  async read(infoHashHex: string): Promise<Buffer | undefined> {
    try {
      return await readFile(this.path(infoHashHex));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw err;
    }
  }

  /**
   * The copy's metainfo, read and parsed at once (undefined when there is
   * no copy): a restore reads a thousand of these small files in a row, and
   * a synchronous read is one system call where an asynchronous one is four
   * trips through the thread pool (daemon start-up). Read into one buffer
   * used again for every copy (no allocation, no size asked first):
   * parseMetainfo keeps copies of what it parsed, never views of it.
   */
  readMetainfoNow(infoHashHex: string): Metainfo | undefined {
    let bytes: Buffer;
    try {
      bytes = readFileNow(this.path(infoHashHex));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw err;
    }
    return parseMetainfo(bytes);
  }

  async delete(infoHashHex: string): Promise<void> {
    await unlink(this.path(infoHashHex)).catch(() => {});
  }
}

/**
 * A .torrent for metainfo known without its file (a magnet link's, or one
 * parsed elsewhere): the trackers and the info dictionary exactly as
 * received, so its info hash is the same (BEP 3: the hash is over the
 * bencoded `info` bytes, never a re-encoding). Keys are in sorted order.
 * `trackers`: the tiers to name when the metainfo has none (a magnet
 * link's `tr`: ut_metadata brings the info dictionary only, BEP 9).
 */
export function torrentFileOf(meta: Metainfo, trackers: readonly string[][] = []): Buffer {
  const tiers =
    meta.announceList.length > 0 ? meta.announceList : trackers.filter((t) => t.length > 0);
  const parts: Buffer[] = [Buffer.from("d")];
  const first = tiers[0]?.[0] ?? meta.announce;
  if (first !== undefined) parts.push(encode("announce"), encode(first));
  if (tiers.length > 0) parts.push(encode("announce-list"), encode(tiers));
  parts.push(encode("info"), meta.infoBytes, Buffer.from("e"));
  return Buffer.concat(parts);
}
