/**
 * Reading what a shoal tracker's index answers (GET /torrents, POST
 * /torrents) into typed listings: the reply comes from the network, so each
 * field is checked for its type and size before the CLI, the shell or the
 * daemon reads it (a hostile or broken tracker gets `invalid_reply`, never a
 * TypeError further on). Counts the tracker did not send read as 0.
 */
import { TrackerClientError } from "./errors.ts";

/** One torrent of a shoal tracker's index (GET /torrents). */
export interface TorrentListing {
  infoHash: string;
  name: string;
  size: number;
  files: number;
  seeders: number;
  leechers: number;
  completed: number;
  added: string;
  magnet?: string;
}

export interface PublishReply extends TorrentListing {
  created: boolean;
  magnet: string;
}

/** Torrents read from one page at most (the tracker sends up to 1,000). */
export const MAX_LISTINGS_PER_PAGE = 10_000;
/** Longest text field kept (a name, a magnet link with its trackers). */
export const MAX_LISTING_TEXT = 64 * 1024;

const INFO_HASH_HEX = /^[0-9a-f]{40}$/;

function invalid(what: string): never {
  throw new TrackerClientError("invalid_reply", `the tracker's index sent ${what}`);
}

function text(o: Record<string, unknown>, key: string, where: string, fallback?: string): string {
  const v = o[key];
  if (v === undefined && fallback !== undefined) return fallback;
  if (typeof v !== "string") invalid(`${where} without a text '${key}'`);
  if (v.length > MAX_LISTING_TEXT)
    invalid(`${where} with a '${key}' over ${MAX_LISTING_TEXT} characters`);
  return v;
}

function count(o: Record<string, unknown>, key: string, where: string): number {
  const v = o[key];
  if (v === undefined) return 0;
  if (typeof v !== "number" || !Number.isSafeInteger(v) || v < 0) {
    invalid(`${where} whose '${key}' is not a count`);
  }
  return v;
}

function objectOf(value: unknown, where: string): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    invalid(`${where} that is not an object`);
  }
  return value as Record<string, unknown>;
}

function listing(value: unknown, where: string, hashFallback?: string): TorrentListing {
  const o = objectOf(value, where);
  const infoHash = text(o, "infoHash", where, hashFallback).toLowerCase();
  if (infoHash !== hashFallback && !INFO_HASH_HEX.test(infoHash)) {
    invalid(`${where} whose info hash is not 40 hex digits`);
  }
  const t: TorrentListing = {
    infoHash,
    name: text(o, "name", where, hashFallback === undefined ? undefined : ""),
    size: count(o, "size", where),
    files: count(o, "files", where),
    seeders: count(o, "seeders", where),
    leechers: count(o, "leechers", where),
    completed: count(o, "completed", where),
    added: text(o, "added", where, ""),
  };
  if (o.magnet !== undefined) t.magnet = text(o, "magnet", where);
  return t;
}

/** One page of GET /torrents: an array of torrents. */
export function readIndexPage(body: unknown): TorrentListing[] {
  if (!Array.isArray(body)) invalid("a page that is not a list");
  if (body.length > MAX_LISTINGS_PER_PAGE) {
    invalid(`a page of ${body.length} torrents (at most ${MAX_LISTINGS_PER_PAGE})`);
  }
  return body.map((v, i) => listing(v, `torrent ${i + 1} of a page`));
}

/** The answer to a publish (POST /torrents): the torrent as listed, whether it is new, its magnet. */
export function readPublishReply(body: unknown): PublishReply {
  const where = "a publish reply";
  const t = listing(body, where, "");
  const o = body as Record<string, unknown>;
  if (o.created !== undefined && typeof o.created !== "boolean") {
    invalid(`${where} whose 'created' is not true or false`);
  }
  return { ...t, created: o.created === true, magnet: text(o, "magnet", where) };
}
