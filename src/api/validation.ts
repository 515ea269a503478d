/**
 * Checking what a front end sends before it reaches the session: values
 * come from HTTP bodies and command lines, so every field is checked for
 * its type and range, and a mistake is an ApiError `invalid_input` naming
 * the field.
 */
import type { AddOptions, TorrentSummary } from "../session/index.ts";
import { ApiError } from "./errors.ts";
import type { AddRequest, LimitsRequest, SummaryField } from "./types.ts";

const SUMMARY_FIELDS: readonly SummaryField[] = [
  "id",
  "infoHash",
  "name",
  "state",
  "error",
  "hasMetadata",
  "metadataPeers",
  "size",
  "pieceCount",
  "pieceLength",
  "piecesHave",
  "progress",
  "left",
  "downloaded",
  "uploaded",
  "wasted",
  "hashFailures",
  "ratio",
  "downloadRate",
  "uploadRate",
  "eta",
  "peers",
  "seeds",
  "banned",
  "addedAt",
  "downloadDir",
  "limits",
  "sizeWanted",
  "leftWanted",
  "sequential",
  "firstLastPiecePriority",
  "queuePosition",
  "queued",
  "labels",
  "uploadedEver",
  "downloadedEver",
  "ratioLimit",
  "idleLimitMinutes",
];

function invalid(message: string): never {
  throw new ApiError("invalid_input", message);
}

export function summaryFields(fields: readonly unknown[]): SummaryField[] {
  if (!Array.isArray(fields)) invalid("fields: give a list of field names");
  for (const f of fields) {
    if (!SUMMARY_FIELDS.includes(f as SummaryField)) {
      invalid(`fields: '${String(f)}' is not a field of a torrent (${SUMMARY_FIELDS.join(", ")})`);
    }
  }
  return fields as SummaryField[];
}

export function pickFields(
  summary: TorrentSummary,
  fields: readonly SummaryField[],
): Partial<TorrentSummary> {
  const out: Record<string, unknown> = {};
  for (const f of fields) if (summary[f] !== undefined) out[f] = summary[f];
  return out as Partial<TorrentSummary>;
}

/** A rate in bytes/s: a whole number from 0 (none). */
function rate(value: unknown, field: string): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0) {
    invalid(`${field}: ${JSON.stringify(value)} is not a rate in bytes/s (0 for none)`);
  }
  return value;
}

export function limitsOf(req: LimitsRequest): { upload?: number; download?: number } {
  if (typeof req !== "object" || req === null) invalid("limits: give upload and/or download");
  const out: { upload?: number; download?: number } = {};
  if (req.upload !== undefined) out.upload = rate(req.upload, "upload");
  if (req.download !== undefined) out.download = rate(req.download, "download");
  return out;
}

const SOURCES = ["torrent", "path", "magnet", "url", "infoHash"] as const;

/** Which of the sources an add names (exactly one). */
export function exactlyOneSource(req: AddRequest): (typeof SOURCES)[number] {
  if (typeof req !== "object" || req === null)
    invalid("add: give torrent, path, magnet, url or infoHash");
  const given = SOURCES.filter((k) => req[k] !== undefined);
  if (given.length !== 1) {
    invalid(
      given.length === 0
        ? "add: give torrent (base64), path, magnet, url or infoHash"
        : `add: give one of ${given.join(", ")}, not several`,
    );
  }
  const kind = given[0]!;
  if (typeof req[kind] !== "string" || req[kind] === "") invalid(`${kind}: give it as text`);
  if (kind === "magnet" && !req.magnet!.startsWith("magnet:")) {
    invalid(`magnet: '${req.magnet!.slice(0, 60)}' is not a magnet link`);
  }
  if (req.trackers !== undefined && !stringList(req.trackers))
    invalid("trackers: give a list of URLs");
  return kind;
}

function stringList(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((v) => typeof v === "string");
}

/** Base64 text as bytes; anything else is refused (Buffer.from would skip it silently). */
export function base64Bytes(text: string, field: string): Buffer {
  const compact = text.replace(/\s+/g, "");
  if (compact === "" || !/^[A-Za-z0-9+/]*={0,2}$/.test(compact) || compact.length % 4 === 1) {
    invalid(`${field}: not base64 text`);
  }
  return Buffer.from(compact, "base64");
}

/** `host:port` or `[v6]:port`. */
export function parseEndpoint(text: string, field: string): { host: string; port: number } {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(text) ?? /^([^:[\]]+):(\d+)$/.exec(text);
  const port = Number(m?.[2]);
  if (!m || !Number.isInteger(port) || port < 1 || port > 65535) {
    invalid(`${field}: '${text}' is not host:port`);
  }
  return { host: m[1]!, port };
}

/** The session's options for an add, checked. */
export function addOptions(
  req: Omit<AddRequest, "torrent" | "path" | "magnet" | "url" | "infoHash">,
): AddOptions {
  const opts: AddOptions = {};
  if (req.downloadDir !== undefined) {
    if (typeof req.downloadDir !== "string" || req.downloadDir === "") {
      invalid("downloadDir: give a folder");
    }
    opts.downloadDir = req.downloadDir;
  }
  if (req.paused !== undefined) opts.paused = flag(req.paused, "paused");
  if (req.pauseAfterMetadata !== undefined) {
    opts.pauseAfterMetadata = flag(req.pauseAfterMetadata, "pauseAfterMetadata");
  }
  if (req.verify !== undefined) opts.verify = flag(req.verify, "verify");
  if (req.uploadLimit !== undefined) opts.uploadLimit = rate(req.uploadLimit, "uploadLimit");
  if (req.downloadLimit !== undefined)
    opts.downloadLimit = rate(req.downloadLimit, "downloadLimit");
  if (req.peers !== undefined) {
    if (!stringList(req.peers)) invalid("peers: give a list of host:port");
    opts.peers = req.peers.map((p) => parseEndpoint(p, "peers"));
  }
  return opts;
}

function flag(value: unknown, field: string): boolean {
  if (typeof value !== "boolean") invalid(`${field}: give true or false`);
  return value;
}
