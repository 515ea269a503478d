// How the web UI writes sizes, rates, times and ratios (binary units, as the CLI).

const UNITS = ["B", "KiB", "MiB", "GiB", "TiB"];

/** Bytes as "1.5 MiB". */
export function formatBytes(n) {
  if (!Number.isFinite(n) || n < 0) return "–";
  let v = n;
  let u = 0;
  while (v >= 1024 && u < UNITS.length - 1) {
    v /= 1024;
    u++;
  }
  return `${u === 0 ? v : v.toFixed(v < 10 ? 2 : 1)} ${UNITS[u]}`;
}

/** Bytes per second as "1.5 MiB/s"; nothing moving as "–". */
export function formatRate(n) {
  return n > 0 ? `${formatBytes(n)}/s` : "–";
}

/** Seconds left as "1h 2m", "3m 4s", "5s"; unknown as "∞". */
export function formatEta(seconds) {
  if (seconds === undefined || seconds === null || !Number.isFinite(seconds)) return "∞";
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (h > 0) return `${h}h ${m}m`;
  if (m > 0) return `${m}m ${s % 60}s`;
  return `${s}s`;
}

/** A share ratio with two decimals. */
export function formatRatio(r) {
  return Number.isFinite(r) ? r.toFixed(2) : "∞";
}

/** 0..1 as "42.0%" (100% only when complete). */
export function formatProgress(p) {
  if (p >= 1) return "100%";
  return `${(Math.floor(p * 1000) / 10).toFixed(1)}%`;
}
