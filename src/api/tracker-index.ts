/**
 * A shoal tracker's torrent index as the api uses it: list what it offers,
 * publish a .torrent, fetch one by its info hash or a unique prefix of it
 * (tracker-client/index-client.ts does the HTTP).
 */
import {
  fetchIndex,
  fetchTorrentFile,
  publishTorrent,
  type TorrentListing,
  trackerBaseUrl,
  trackerPasskey,
} from "../tracker-client/index.ts";
import { ApiError, toApiError } from "./errors.ts";
import type { IndexEntry, PublishResult } from "./types.ts";

export class TrackerIndex {
  /** The tracker's base URL (http://host:port). */
  readonly base: string;
  readonly #token: string | undefined;
  /** A private tracker's member's passkey, from their announce URL (…/announce/<passkey>). */
  readonly #passkey: string | undefined;

  /** `tracker`: its announce URL, its base URL, or its UDP URL. */
  constructor(tracker: string, token?: string) {
    try {
      this.base = trackerBaseUrl(tracker);
    } catch (err) {
      throw toApiError(err);
    }
    this.#token = token;
    this.#passkey = trackerPasskey(tracker);
  }

  async list(): Promise<TorrentListing[]> {
    return fetchIndex(this.base, this.#passkey);
  }

  /** What the index offers, each marked when the session has it (`have`: its info hashes). */
  async entries(have: ReadonlySet<string>): Promise<IndexEntry[]> {
    return (await this.list()).map((t) => ({
      infoHash: t.infoHash,
      name: t.name,
      size: t.size,
      files: t.files,
      seeders: t.seeders,
      leechers: t.leechers,
      completed: t.completed,
      added: t.added,
      have: have.has(t.infoHash),
    }));
  }

  async publish(bytes: Uint8Array): Promise<PublishResult> {
    const reply = await publishTorrent(this.base, bytes, this.#token, this.#passkey);
    return {
      created: reply.created,
      infoHash: reply.infoHash,
      name: reply.name,
      magnet: reply.magnet,
    };
  }

  /** The .torrent bytes for an info hash, or for the one torrent whose hash starts so. */
  async fetch(hashOrPrefix: string): Promise<{ infoHash: string; bytes: Buffer }> {
    const prefix = hashOrPrefix.toLowerCase();
    if (!/^[0-9a-f]{2,40}$/.test(prefix)) {
      throw new ApiError(
        "invalid_input",
        `'${hashOrPrefix}' is not an info hash (or a prefix of one)`,
      );
    }
    let infoHash = prefix;
    if (prefix.length < 40) {
      const found = (await this.list()).filter((t) => t.infoHash.startsWith(prefix));
      if (found.length === 0) {
        throw new ApiError("not_found", `no torrent ${hashOrPrefix} in the index`);
      }
      if (found.length > 1) {
        throw new ApiError(
          "ambiguous",
          `'${hashOrPrefix}' matches ${found.length} torrents of the index: type more of the hash`,
        );
      }
      infoHash = found[0]!.infoHash;
    }
    return { infoHash, bytes: await fetchTorrentFile(this.base, infoHash, this.#passkey) };
  }
}
