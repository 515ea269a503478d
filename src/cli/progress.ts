/**
 * A one-line progress bar for long CLI jobs (hashing, checking): percent,
 * rate and time left, redrawn in place at most every 100 ms. It draws only
 * on a terminal, so piped or logged output stays clean.
 */
import { formatBytes } from "../util/index.ts";
import { formatDuration } from "./format.ts";

export interface ProgressStream {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export interface ProgressBar {
  /** Records `done` of `total` units (bytes); redraws when due. */
  update(done: number, total?: number): void;
  /** Removes the bar, leaving the line empty for what comes next. */
  done(): void;
}

export interface ProgressOptions {
  label: string;
  total: number;
  /** Draw even when the stream is not a terminal (tests). */
  force?: boolean;
  now?: () => number;
  intervalMs?: number;
  /** How a rate of units per second reads (default: bytes, `1.20 GiB/s`). */
  rate?: (unitsPerSecond: number) => string;
}

const NO_BAR: ProgressBar = { update() {}, done() {} };

export function createProgressBar(stream: ProgressStream, opts: ProgressOptions): ProgressBar {
  if (!stream.isTTY && !opts.force) return NO_BAR;
  const now = opts.now ?? (() => performance.now());
  const interval = opts.intervalMs ?? 100;
  const started = now();
  let total = opts.total;
  let lastDraw = Number.NEGATIVE_INFINITY;
  let drawn = false;
  return {
    update(done, newTotal) {
      if (newTotal !== undefined) total = newTotal;
      const t = now();
      if (t - lastDraw < interval && done < total) return;
      lastDraw = t;
      drawn = true;
      stream.write(
        `\r${renderProgress(opts.label, done, total, (t - started) / 1000, stream.columns, opts.rate)}\x1b[K`,
      );
    },
    done() {
      if (drawn) stream.write("\r\x1b[K");
      drawn = false;
    },
  };
}

/** The bar's text: `label [#####-----]  42%  1.2 GiB/s  ETA 3s`, fitted to `columns`. */
export function renderProgress(
  label: string,
  done: number,
  total: number,
  elapsedSeconds: number,
  terminalColumns?: number,
  rateText: (unitsPerSecond: number) => string = bytesPerSecond,
): string {
  // A pseudo-terminal may report 0 columns: draw for a standard 80 then.
  const columns = terminalColumns && terminalColumns > 20 ? terminalColumns : 80;
  const fraction = total > 0 ? Math.min(1, Math.max(0, done / total)) : 1;
  const percent = `${Math.floor(fraction * 100)}%`.padStart(4);
  const rate = elapsedSeconds > 0 ? done / elapsedSeconds : 0;
  const eta = rate > 0 && done < total ? `  ETA ${formatDuration((total - done) / rate)}` : "";
  // Padded so the bar keeps its width when the ETA comes and goes.
  const tail = ` ${percent}  ${rateText(rate)}${eta}`.padEnd(28);
  const width = Math.max(0, Math.min(40, columns - 1 - label.length - tail.length - 3));
  const filled = Math.round(fraction * width);
  const bar = width > 0 ? ` [${"#".repeat(filled)}${"-".repeat(width - filled)}]` : "";
  return `${label}${bar}${tail}`.trimEnd().slice(0, columns - 1);
}

function bytesPerSecond(rate: number): string {
  return `${formatBytes(Math.round(rate))}/s`;
}

/** A rate of pieces (checking data on disk): `84 pieces/s`. */
export function piecesPerSecond(rate: number): string {
  const n = Math.round(rate);
  return `${n} ${n === 1 ? "piece" : "pieces"}/s`;
}
