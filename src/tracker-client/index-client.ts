/**
 * The client of a shoal tracker's torrent index and operator views, over its
 * JSON HTTP API: the base URL from whatever the user has, publish a
 * `.torrent` (POST /torrents), list the index (GET /torrents), fetch the exact
 * `.torrent` bytes it holds (GET /torrents/<hash>.torrent), and plain JSON
 * requests for the views (/swarms, /swarms/<hash>/peers). Every front end (the
 * CLI, the shell, the daemon) uses this one. On a private tracker the index
 * is for members: every request carries the member's passkey (`?passkey=`),
 * which the user gives or which their announce URL carries.
 */
import { TrackerClientError } from "./errors.ts";
import {
  type PublishReply,
  readIndexPage,
  readPublishReply,
  type TorrentListing,
} from "./index-listing.ts";

const TIMEOUT_MS = 15_000;
/**
 * Longest reply read from a tracker's index (a page of 1,000 listings is
 * ~1 MiB; a .torrent of a large many-file torrent a few MiB): a tracker
 * cannot make the client hold more.
 */
export const MAX_INDEX_REPLY_BYTES = 64 * 1024 * 1024;

/**
 * The tracker's base URL from whatever the user has: the announce URL
 * (http://h:p/announce), the base URL, or even the UDP URL (the tracker serves
 * HTTP on the same port number).
 */
export function trackerBaseUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text.startsWith("udp://") ? `http://${text.slice(6)}` : text);
  } catch {
    throw new TrackerClientError(
      "invalid_url",
      `'${text}' is not a URL (e.g. http://127.0.0.1:6969/announce)`,
    );
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new TrackerClientError(
      "unsupported_scheme",
      `'${text}' is not an http(s) or udp tracker URL`,
    );
  }
  let path = url.pathname.replace(/\/+$/, "");
  // A private tracker's member's announce URL ends in /announce/<passkey>.
  path = path.replace(/\/(announce|scrape)(\.php)?(\/[^/]*)?$/, "");
  return `${url.origin}${path}`;
}

/**
 * The passkey a private tracker's announce URL carries (`/announce/<passkey>`
 * or `?passkey=`), or undefined.
 */
export function trackerPasskey(text: string): string | undefined {
  let url: URL;
  try {
    url = new URL(text.startsWith("udp://") ? `http://${text.slice(6)}` : text);
  } catch {
    return undefined;
  }
  const inPath = /\/(?:announce|scrape)\/([^/]+)\/?$/.exec(url.pathname)?.[1];
  return inPath ?? (url.searchParams.get("passkey") || undefined);
}

/** `path` asking as the member of this passkey (none: as is). */
function asMember(path: string, passkey: string | undefined): string {
  if (!passkey) return path;
  return `${path}${path.includes("?") ? "&" : "?"}passkey=${encodeURIComponent(passkey)}`;
}

async function send(base: string, path: string, init: RequestInit): Promise<Response> {
  try {
    return await fetch(`${base}${path}`, { ...init, signal: AbortSignal.timeout(TIMEOUT_MS) });
  } catch (err) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    const why = cause?.code ?? cause?.message ?? (err as Error).message;
    // TLS verification failures (DEPTH_ZERO_SELF_SIGNED_CERT, CERT_HAS_EXPIRED, …).
    if (/CERT|SELF_SIGNED|ERR_TLS/.test(cause?.code ?? "")) {
      throw new TrackerClientError(
        "network",
        `${base}: the tracker's certificate is not trusted (${why}; a private CA's certificate can be given with --tracker-ca)`,
        { cause: err },
      );
    }
    throw new TrackerClientError("network", `cannot reach the tracker at ${base}: ${why}`, {
      cause: err,
    });
  }
}

/** A reply's body, refused once it is over MAX_INDEX_REPLY_BYTES (declared or as it comes). */
async function bodyOf(res: Response, where: string): Promise<Buffer> {
  const tooLarge = () =>
    new TrackerClientError(
      "reply_too_large",
      `${where} answered with over ${MAX_INDEX_REPLY_BYTES / 2 ** 20} MiB`,
    );
  if (Number(res.headers.get("content-length")) > MAX_INDEX_REPLY_BYTES) {
    await res.body?.cancel();
    throw tooLarge();
  }
  const chunks: Uint8Array[] = [];
  let length = 0;
  // Leaving the loop early cancels the stream.
  for await (const chunk of res.body ?? []) {
    length += chunk.length;
    if (length > MAX_INDEX_REPLY_BYTES) throw tooLarge();
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, length);
}

/** A JSON request to the tracker's HTTP API; any status, the body parsed. */
export async function trackerRequest(
  base: string,
  path: string,
  init: RequestInit = {},
): Promise<{ status: number; body: unknown; headers: Headers }> {
  const res = await send(base, path, init);
  const text = (await bodyOf(res, `${base}${path.split("?")[0]}`)).toString("utf8");
  try {
    return { status: res.status, body: JSON.parse(text), headers: res.headers };
  } catch {
    throw new TrackerClientError(
      "invalid_reply",
      // The query may hold a passkey: not in messages.
      `${base}${path.split("?")[0]} answered ${res.status} with something that is not JSON: is it a shoal tracker?`,
    );
  }
}

/** The `error` field of a JSON error reply, or the status. */
export function errorText(status: number, body: unknown): string {
  const e = (body as { error?: unknown })?.error;
  return typeof e === "string" ? e : `HTTP ${status}`;
}

/** Most pages of the index read for one listing (the tracker sends up to 1,000 a page). */
const MAX_INDEX_PAGES = 100;

/**
 * What a shoal tracker's index offers, every page of it: the tracker answers
 * a page at a time, with the size of the whole index in X-Total-Count.
 */
export async function fetchIndex(base: string, passkey?: string): Promise<TorrentListing[]> {
  const all: TorrentListing[] = [];
  for (let page = 0; page < MAX_INDEX_PAGES; page++) {
    const path = all.length === 0 ? "/torrents" : `/torrents?offset=${all.length}`;
    const { status, body, headers } = await trackerRequest(base, asMember(path, passkey));
    if (status !== 200) {
      throw new TrackerClientError("http_status", `${base}/torrents: ${errorText(status, body)}`);
    }
    const listed = readIndexPage(body);
    all.push(...listed);
    const total = Number(headers.get("x-total-count"));
    if (listed.length === 0 || !(total > all.length)) break;
  }
  return all;
}

/**
 * Uploads a .torrent's bytes to the index (POST /torrents): with the
 * tracker's publish token, or on a private tracker as the member of
 * `passkey` (who needs the publish right).
 */
export async function publishTorrent(
  base: string,
  bytes: Uint8Array,
  token: string | undefined,
  passkey?: string,
): Promise<PublishReply> {
  const headers: Record<string, string> = { "content-type": "application/x-bittorrent" };
  if (token) headers.authorization = `Bearer ${token}`;
  const { status, body } = await trackerRequest(base, asMember("/torrents", passkey), {
    method: "POST",
    headers,
    body: bytes,
  });
  if (status === 401 || status === 403) {
    const hint = passkey ? "" : token ? " (wrong token?)" : " (pass --token, or --passkey)";
    throw new TrackerClientError(
      "unauthorized",
      `the tracker refused the upload: ${errorText(status, body)}${hint}`,
    );
  }
  if (status !== 200 && status !== 201) {
    throw new TrackerClientError(
      "http_status",
      `the tracker refused the upload: ${errorText(status, body)}`,
    );
  }
  return readPublishReply(body);
}

/** The exact .torrent bytes the index holds for an info hash (GET /torrents/<hash>.torrent). */
export async function fetchTorrentFile(
  base: string,
  infoHashHex: string,
  passkey?: string,
): Promise<Buffer> {
  const res = await send(base, asMember(`/torrents/${infoHashHex}.torrent`, passkey), {});
  const bytes = await bodyOf(res, `${base}/torrents/${infoHashHex}.torrent`);
  if (res.status === 404) {
    throw new TrackerClientError("not_found", `the tracker's index has no torrent ${infoHashHex}`);
  }
  if (res.status !== 200) {
    // A private tracker says why (an unknown passkey) in JSON.
    let why = `HTTP ${res.status}`;
    try {
      why = errorText(res.status, JSON.parse(bytes.toString("utf8")));
    } catch {}
    throw new TrackerClientError("http_status", `${base}/torrents/${infoHashHex}.torrent: ${why}`);
  }
  return bytes;
}

export type { PublishReply, TorrentListing };
