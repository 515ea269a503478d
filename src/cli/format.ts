/**
 * Small text formatters shared by the live console, the shell and the demo:
 * rates, percentages, short peer ids, fitted cells and piece bars.
 */
import { formatBytes, printable } from "../util/index.ts";

/** `1.90 MiB/s`; at most 12 characters. */
export function formatRate(bytesPerSecond: number): string {
  return `${formatBytes(Math.round(bytesPerSecond))}/s`;
}

/** A limit as the user thinks of it: `unlimited` for 0 or Infinity (a token bucket's "none"). */
export function formatLimit(bytesPerSecond: number): string {
  return bytesPerSecond > 0 && Number.isFinite(bytesPerSecond)
    ? formatRate(bytesPerSecond)
    : "unlimited";
}

/** `42.3%`, never `100.0%` before the last byte. */
export function formatPercent(fraction: number, digits = 1): string {
  const f = Math.max(0, Math.min(1, fraction));
  const scale = 10 ** digits;
  const shown = Math.floor(f * 100 * scale) / scale;
  return `${shown.toFixed(digits)}%`;
}

/**
 * A peer id short enough for a table column. Azureus-style ids (BEP 20,
 * `-SH0100-` + 12 bytes) become `SH0100.3fa29c`: the client code tells the
 * software, the hex of the first random bytes tells peers apart.
 */
export function shortPeerId(hex: string | undefined): string {
  if (!hex) return "?";
  const bytes = Buffer.from(hex, "hex");
  const prefix = bytes.subarray(0, 8).toString("latin1");
  if (/^-[A-Za-z~]{2}[0-9A-Za-z]{4}-$/.test(prefix)) {
    return `${prefix.slice(1, 7)}.${bytes.subarray(8, 11).toString("hex")}`;
  }
  return hex.slice(0, 13);
}

/** Our own peer id in full: the printable client prefix, then hex. */
export function displayPeerId(id: Uint8Array): string {
  const bytes = Buffer.from(id);
  const prefix = bytes.subarray(0, 8).toString("latin1");
  if (/^-[A-Za-z~]{2}[0-9A-Za-z]{4}-$/.test(prefix)) {
    return `${prefix}${bytes.subarray(8).toString("hex")}`;
  }
  return bytes.toString("hex");
}

/**
 * Cuts `text` to `width` characters, marking the cut with `…`. Every cell of
 * a table and every line of the live console passes here, and names come
 * from torrents and peers: control characters are made visible first
 * (util/printable.ts), so the cut never splits an escape into a live one.
 */
export function fit(text: string, width: number): string {
  if (width <= 0) return "";
  const safe = printable(text);
  return safe.length <= width ? safe : `${safe.slice(0, width - 1)}…`;
}

/** `fit` then pad: left-aligned, or right-aligned with `right`. */
export function cell(text: string, width: number, right = false): string {
  const t = fit(text, width);
  return right ? t.padStart(width) : t.padEnd(width);
}

/**
 * Our pieces as a bar of `width` characters, each covering a run of pieces:
 * `#` all of them, `+` some, `-` none.
 */
export function pieceBar(
  has: (index: number) => boolean,
  pieceCount: number,
  width: number,
): string {
  if (pieceCount === 0 || width <= 0) return "";
  let out = "";
  for (let c = 0; c < width; c++) {
    const from = Math.floor((c * pieceCount) / width);
    const to = Math.max(from + 1, Math.floor(((c + 1) * pieceCount) / width));
    let have = 0;
    for (let i = from; i < to && i < pieceCount; i++) if (has(i)) have++;
    const span = Math.min(to, pieceCount) - from;
    out += have === 0 ? "-" : have === span ? "#" : "+";
  }
  return out;
}

/** `12.3 s` under a minute, else `m:ss`. */
export function formatSeconds(seconds: number): string {
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const s = Math.round(seconds);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}

/** A time left: `45s`, `3m05s`, `2h10m`. */
export function formatDuration(seconds: number): string {
  const s = Math.ceil(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
}

/** `1 peer`, `3 peers`. */
export function plural(n: number, word: string, words = `${word}s`): string {
  return `${n} ${n === 1 ? word : words}`;
}

/** A magnet link's torrent before its metadata (BEP 9): `fetching metadata from 3 peers`. */
export function fetchingMetadataText(s: { metadataPeers?: number }): string {
  return `fetching metadata from ${plural(s.metadataPeers ?? 0, "peer")}`;
}

/** What a torrent's figures are read from here (a subset of the api's TorrentSummary). */
export interface TransferFigures {
  size: number;
  left: number;
  downloadRate: number;
  /** Uploaded ÷ downloaded, as the session counts it (session/views.ts shareRatio). */
  ratio: number;
}

/** Verified bytes of the whole: `430.1 KiB of 1.00 MiB`. */
export function haveOfTotal(s: TransferFigures): string {
  return `${formatBytes(s.size - s.left)} of ${formatBytes(s.size)}`;
}

/** Time left at the current rate: `ETA 3m05s`, `ETA –` while nothing arrives, `done`. */
export function etaText(s: TransferFigures): string {
  if (s.left === 0) return "done";
  return s.downloadRate > 0 ? `ETA ${formatDuration(s.left / s.downloadRate)}` : "ETA –";
}

/** `0.42`, `12.3`, `999+`. */
export function formatRatio(s: TransferFigures): string {
  const r = s.ratio;
  return r >= 999.5 ? "999+" : r >= 10 ? r.toFixed(1) : r.toFixed(2);
}
