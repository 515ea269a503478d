/**
 * Talking to a running shoal tracker from the CLI (`tracker swarms`, `tracker
 * peers`, `publish`, `list`): URL normalisation, JSON requests with clear
 * errors, and plain-text tables.
 */
import { ShoalError } from "../../util/index.ts";
import { UsageError } from "../io.ts";

/**
 * The tracker's base URL from whatever the user has: the announce URL
 * (http://h:p/announce), the base URL, or even the UDP URL (the tracker serves
 * HTTP on the same port number).
 */
export function trackerBaseUrl(text: string | undefined): string {
  if (!text) throw new UsageError("missing --tracker/--url (e.g. http://127.0.0.1:6969/announce)");
  let url: URL;
  try {
    url = new URL(text.startsWith("udp://") ? `http://${text.slice(6)}` : text);
  } catch {
    throw new UsageError(`'${text}' is not a URL (e.g. http://127.0.0.1:6969/announce)`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new UsageError(`'${text}' is not an http(s) or udp tracker URL`);
  }
  let path = url.pathname.replace(/\/+$/, "");
  path = path.replace(/\/(announce|scrape)(\.php)?$/, "");
  return `${url.origin}${path}`;
}

export async function trackerRequest(
  base: string,
  path: string,
  init: RequestInit = {},
): Promise<{ status: number; body: unknown }> {
  let res: Response;
  try {
    res = await fetch(`${base}${path}`, { ...init, signal: AbortSignal.timeout(15_000) });
  } catch (err) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    const why = cause?.code ?? cause?.message ?? (err as Error).message;
    throw new ShoalError("tracker_unreachable", `cannot reach the tracker at ${base}: ${why}`);
  }
  const text = await res.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new ShoalError(
      "tracker_bad_reply",
      `${base}${path} answered ${res.status} with something that is not JSON: is it a shoal tracker?`,
    );
  }
  return { status: res.status, body };
}

/** The `error` field of a JSON error reply, or the status. */
export function errorText(status: number, body: unknown): string {
  const e = (body as { error?: unknown })?.error;
  return typeof e === "string" ? e : `HTTP ${status}`;
}

/** Columns padded to their widest cell; numbers right-aligned. */
export function formatTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const numeric = header.map(
    (_, i) => rows.length > 0 && rows.every((r) => /^-?\d+$/.test(r[i] ?? "")),
  );
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (numeric[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join("  ")
      .trimEnd();
  return `${[line(header), ...rows.map(line)].join("\n")}\n`;
}

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

/** What a shoal tracker's index offers. */
export async function fetchIndex(base: string): Promise<TorrentListing[]> {
  const { status, body } = await trackerRequest(base, "/torrents");
  if (status !== 200 || !Array.isArray(body)) {
    throw new ShoalError("tracker_refused", `${base}/torrents: ${errorText(status, body)}`);
  }
  return body as TorrentListing[];
}

export interface PublishReply extends TorrentListing {
  created: boolean;
  magnet: string;
}

/** Uploads a .torrent's bytes to the index (POST /torrents). */
export async function publishTorrent(
  base: string,
  bytes: Uint8Array,
  token: string | undefined,
): Promise<PublishReply> {
  const headers: Record<string, string> = { "content-type": "application/x-bittorrent" };
  if (token) headers.authorization = `Bearer ${token}`;
  const { status, body } = await trackerRequest(base, "/torrents", {
    method: "POST",
    headers,
    body: bytes,
  });
  if (status === 401) {
    throw new ShoalError(
      "publish_unauthorized",
      `the tracker refused the upload: ${errorText(status, body)}${token ? " (wrong token?)" : " (pass --token)"}`,
    );
  }
  if (status !== 200 && status !== 201) {
    throw new ShoalError(
      "publish_failed",
      `the tracker refused the upload: ${errorText(status, body)}`,
    );
  }
  return body as PublishReply;
}

/** The exact .torrent bytes the index holds for an info hash (GET /torrents/<hash>.torrent). */
export async function fetchTorrentFile(base: string, infoHashHex: string): Promise<Buffer> {
  let res: Response;
  try {
    res = await fetch(`${base}/torrents/${infoHashHex}.torrent`, {
      signal: AbortSignal.timeout(15_000),
    });
  } catch (err) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    const why = cause?.code ?? cause?.message ?? (err as Error).message;
    throw new ShoalError("tracker_unreachable", `cannot reach the tracker at ${base}: ${why}`);
  }
  const bytes = Buffer.from(await res.arrayBuffer());
  if (res.status === 404) {
    throw new ShoalError("not_in_index", `the tracker's index has no torrent ${infoHashHex}`);
  }
  if (res.status !== 200) {
    throw new ShoalError(
      "tracker_refused",
      `${base}/torrents/${infoHashHex}.torrent: HTTP ${res.status}`,
    );
  }
  return bytes;
}

export function hostPort(ip: string, port: number): string {
  return ip.includes(":") ? `[${ip}]:${port}` : `${ip}:${port}`;
}

export function ago(seconds: number): string {
  if (seconds < 60) return `${seconds}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m`;
  return `${Math.floor(seconds / 3600)}h`;
}
