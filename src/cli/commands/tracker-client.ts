/**
 * Talking to a running shoal tracker from the CLI (`tracker swarms`, `tracker
 * peers`, `publish`, `list`): the index client of src/tracker-client with the
 * CLI's usage errors, and plain-text tables.
 */
import { trackerBaseUrl as baseUrl, TrackerClientError } from "../../tracker-client/index.ts";
import { printable } from "../../util/index.ts";
import { UsageError } from "../io.ts";

export {
  errorText,
  fetchIndex,
  fetchTorrentFile,
  publishTorrent,
  type TorrentListing,
  trackerPasskey,
  trackerRequest,
} from "../../tracker-client/index.ts";
export { formatEndpoint as hostPort } from "../../util/index.ts";

/** The tracker's base URL from the user's --tracker/--url; a bad one is a usage mistake. */
export function trackerBaseUrl(text: string | undefined): string {
  if (!text) throw new UsageError("missing --tracker/--url (e.g. http://127.0.0.1:6969/announce)");
  try {
    return baseUrl(text);
  } catch (err) {
    if (err instanceof TrackerClientError) throw new UsageError(err.message);
    throw err;
  }
}

/** Columns padded to their widest cell; numbers right-aligned. */
export function formatTable(header: string[], texts: string[][]): string {
  // Names and peer ids come from torrents and peers (util/printable.ts).
  const rows = texts.map((r) => r.map(printable));
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

export function ago(seconds: number): string {
  if (seconds < 60) return `${seconds}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m`;
  return `${Math.floor(seconds / 3600)}h`;
}
