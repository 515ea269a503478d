/**
 * "Pause when the metadata arrives" for a magnet link or an info hash
 * (issue 17: choose the files of a magnet before anything is downloaded).
 * The torrent runs only to fetch its info dictionary from peers (BEP 9) and
 * is paused in the same turn the metadata is accepted, before its data is
 * opened and any piece asked for: the user then picks files and resumes it.
 * Its info hash is awaited from before the add, since on a fast link the
 * metadata can come before the add has finished. Kept in memory: a daemon
 * restarted before the metadata came runs the torrent as added.
 */
import { parseMagnet } from "../metainfo/index.ts";
import type { Client } from "../session/index.ts";
import type { TorrentSummary } from "./types.ts";

export class MetadataPause {
  readonly #client: Client;
  /** Info hashes (hex) whose metadata pauses them when it arrives; at most one a torrent. */
  readonly #waiting = new Set<string>();

  constructor(client: Client) {
    this.#client = client;
    client.on("event", (e) => {
      if (e.infoHash === undefined || !this.#waiting.has(e.infoHash)) return;
      if (e.type === "removed") this.#waiting.delete(e.infoHash);
      if (e.type !== "metadata") return;
      this.#waiting.delete(e.infoHash);
      // Synchronously up to the torrent's own pause: it is no longer wanted
      // when its data finishes opening, so it rests paused there.
      this.#client.pause(e.infoHash).catch(() => {});
    });
  }

  /**
   * Runs the add of a magnet link or info hash (`source`) so that its
   * torrent pauses when its metadata arrives; its summary after.
   */
  async add(
    source: { magnet?: string; infoHash?: string },
    add: () => Promise<TorrentSummary>,
  ): Promise<TorrentSummary> {
    const hash = infoHashOf(source);
    const mine = hash !== undefined && !this.#waiting.has(hash);
    if (mine) this.#waiting.add(hash);
    let summary: TorrentSummary;
    try {
      summary = await add();
    } catch (err) {
      if (mine) this.#waiting.delete(hash);
      throw err;
    }
    if (hash === undefined && summary.hasMetadata) {
      // Not known before (a hash in another form): paused as soon as seen.
      await this.#client.pause(summary.infoHash);
    } else if (hash === undefined) {
      this.#waiting.add(summary.infoHash);
    }
    return this.#client.summary(summary.infoHash);
  }
}

/** The info hash (hex, lower case) a magnet link or a hex info hash names; undefined if not plain. */
function infoHashOf(source: { magnet?: string; infoHash?: string }): string | undefined {
  try {
    if (source.magnet !== undefined) return parseMagnet(source.magnet).infoHash.toString("hex");
  } catch {
    return undefined; // the add itself says what is wrong with it
  }
  const hex = source.infoHash;
  return hex !== undefined && /^[0-9a-f]{40}$/i.test(hex) ? hex.toLowerCase() : undefined;
}
