/**
 * bench/swarm.ts --trace: where a swarm's time goes against the ideal. Every
 * peer prints "UP <epoch ms> <payload bytes uploaded>" every TRACE_MS from
 * its start; this turns those lines into each peer's upload per interval
 * against its cap and the swarm's against the sum of caps, over time.
 *
 * With every byte uploaded useful, the swarm needs N·F bytes moved at Σ caps
 * at best, so T - T_min is about the capacity left unused, in seconds of the
 * whole swarm's capacity ("cap-seconds"): while leechers start (nobody
 * uploads), while the first pieces spread (ramp), in the steady state, and
 * in the tail (from the first leecher done to the last).
 */
import { fixed } from "./table.ts";

/** How often each peer reports what it uploaded. */
export const TRACE_MS = 250;

export interface TracePeer {
  name: string;
  /** Upload limit, bytes/s. */
  cap: number;
  lines: readonly string[];
}

export interface TracePhases {
  /** Spawn to GO: every peer's capacity unused while leechers start. */
  startup: number;
  /** GO to the first interval the swarm used 90% of its capacity. */
  ramp: number;
  /** From there to the first leecher done. */
  steady: number;
  /** From the first leecher done to the last. */
  tail: number;
  /** Payload bytes uploaded beyond what the leechers needed (endgame duplicates, re-sent pieces). */
  excessBytes: number;
}

/** Cumulative upload samples from a peer's lines: [epoch ms, bytes]. */
function samples(lines: readonly string[]): [number, number][] {
  const out: [number, number][] = [];
  for (const l of lines) {
    const m = l.match(/^UP (\d+) (\d+)/);
    if (m) out.push([Number(m[1]), Number(m[2])]);
  }
  return out;
}

/** Bytes uploaded by `at` (epoch ms), interpolated between samples. */
function uploadedAt(s: [number, number][], at: number): number {
  if (s.length === 0 || at <= s[0]![0]) return 0;
  for (let i = 1; i < s.length; i++) {
    const [t1, b1] = s[i]!;
    if (at <= t1) {
      const [t0, b0] = s[i - 1]!;
      return b0 + ((b1 - b0) * (at - t0)) / Math.max(1, t1 - t0);
    }
  }
  return s[s.length - 1]![1];
}

/**
 * The table (one row per interval from `startMs`: each peer's upload as a
 * percentage of its cap, the swarm's, "*" once a leecher is done) and the
 * capacity lost in each phase. `goMs`, `doneMs` (each leecher's) are epoch ms.
 */
export function analyseTrace(
  peers: readonly TracePeer[],
  startMs: number,
  goMs: number,
  doneMs: readonly number[],
  neededBytes: number,
): { table: string; phases: TracePhases } {
  const series = peers.map((p) => samples(p.lines));
  const sumCaps = peers.reduce((n, p) => n + p.cap, 0);
  const firstDone = Math.min(...doneMs);
  const lastDone = Math.max(...doneMs);
  const rows = [`   t s  ${peers.map((p) => p.name.padStart(5)).join(" ")}  swarm%`];
  const phases: TracePhases = {
    startup: (goMs - startMs) / 1000,
    ramp: 0,
    steady: 0,
    tail: 0,
    excessBytes: 0,
  };
  let ramping = true;
  for (let t = goMs; t < lastDone; t += TRACE_MS) {
    const end = Math.min(t + TRACE_MS, lastDone);
    const dt = (end - t) / 1000;
    const sent = series.map((s) => uploadedAt(s, end) - uploadedAt(s, t));
    const use = sent.reduce((a, b) => a + b, 0) / (sumCaps * dt);
    const cells = sent.map((b, i) => {
      const done = i > 0 && doneMs[i - 1]! <= end ? "*" : " ";
      const cap = peers[i]!.cap;
      return `${(cap > 0 ? fixed((100 * b) / (cap * dt), 0) : "-").padStart(4)}${done}`;
    });
    rows.push(
      `${fixed((end - startMs) / 1000, 2).padStart(6)}  ${cells.join(" ")}  ${fixed(100 * use, 1).padStart(5)}`,
    );
    const lost = Math.max(0, 1 - use) * dt;
    if (end > firstDone) phases.tail += lost;
    else if (ramping && use < 0.9) phases.ramp += lost;
    else {
      ramping = false;
      phases.steady += lost;
    }
  }
  const total = series.reduce((n, s) => n + uploadedAt(s, lastDone), 0);
  phases.excessBytes = Math.max(0, total - neededBytes);
  return { table: rows.join("\n"), phases };
}

/** One line: cap-seconds lost in each phase. */
export function formatPhases(p: TracePhases): string {
  return (
    `capacity unused (s of the whole swarm's): start-up ${fixed(p.startup, 2)}, ramp ${fixed(p.ramp, 2)}, ` +
    `steady ${fixed(p.steady, 2)}, tail ${fixed(p.tail, 2)}; ` +
    `uploaded beyond need ${fixed(p.excessBytes / 2 ** 20, 1)} MiB`
  );
}
