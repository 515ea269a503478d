/**
 * How many files the storage may keep open. libtorrent keeps at most 512
 * (file_pool_size) by default; here never more than a quarter of the
 * process's soft RLIMIT_NOFILE either, so that the rest stays free for what
 * must never fail for want of one: the listen socket, peers' sockets, the
 * tracker's, and the resume data written at Ctrl-C. Under `ulimit -n 1024`
 * that is 256 files; under 256, 64.
 */
import { readFileSync } from "node:fs";

/** libtorrent's default file_pool_size. */
const MOST_OPEN_FILES = 512;
/** The share of the descriptor limit the storage may take. */
const SHARE = 4;
/** Fewer than this and even one torrent's reads and writes would queue behind each other. */
const FEWEST_OPEN_FILES = 8;

let cached: number | undefined | null = null;

/**
 * The process's soft limit on open files, from /proc/self/limits (Linux);
 * undefined where that cannot be read. Node has no getrlimit().
 */
export function openFileLimit(): number | undefined {
  if (cached !== null) return cached;
  cached = undefined;
  try {
    const line = /^Max open files\s+(\S+)/m.exec(readFileSync("/proc/self/limits", "latin1"));
    const soft = line ? Number(line[1]) : Number.NaN;
    if (Number.isInteger(soft) && soft > 0) cached = soft;
  } catch {
    // Not Linux: the default alone applies.
  }
  return cached;
}

/** Descriptors the storage may hold open at once, over every torrent. */
export function fileDescriptorBudget(limit = openFileLimit()): number {
  if (limit === undefined) return MOST_OPEN_FILES;
  return Math.max(FEWEST_OPEN_FILES, Math.min(MOST_OPEN_FILES, Math.floor(limit / SHARE)));
}

/**
 * The budget split between the piece writer's worker, which writes (each of
 * its files may hold a second, O_DIRECT, descriptor: it gets three quarters
 * of the descriptors, so half as many files), and the main thread, which
 * reads for uploads and checking (a quarter).
 */
export function filePoolSizes(budget = fileDescriptorBudget()): { writer: number; reader: number } {
  return {
    writer: Math.max(2, Math.floor((budget * 3) / 8)),
    reader: Math.max(2, Math.floor(budget / 4)),
  };
}
