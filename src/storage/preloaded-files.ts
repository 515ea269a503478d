/**
 * Files whose bytes the session already has in memory, offered to the
 * readers of a restore (readFileNow for a .torrent copy, loadResumeNow for
 * resume data) in place of reading them from disk: a daemon's restore pack
 * brings a thousand torrents' files back in one read (session's
 * restore-pack.ts; issue 16's start-up, where two thousand small reads were
 * a quarter of the restore). Keyed by the exact path the reader is given;
 * each is taken once, and the session forgets what is left when its restore
 * ends, so a later read of the same path goes to the disk.
 */
const preloaded = new Map<string, Buffer>();

/** Offers these bytes for their paths, until taken or forgotten. */
export function preloadFiles(files: Iterable<readonly [string, Buffer]>): void {
  for (const [path, bytes] of files) preloaded.set(path, bytes);
}

/** The bytes offered for `path`, once; undefined when none were. */
export function takePreloaded(path: string): Buffer | undefined {
  if (preloaded.size === 0) return undefined;
  const bytes = preloaded.get(path);
  if (bytes !== undefined) preloaded.delete(path);
  return bytes;
}

/** Withdraws what is left of these paths' offers. */
export function forgetPreloaded(paths: Iterable<string>): void {
  for (const path of paths) preloaded.delete(path);
}
