/**
 * The trackers of a torrent from a magnet link: the metadata's tiers (BEP
 * 12), then the link's (`tr`) that the metadata does not name. A BEP 9 info
 * dictionary carries no trackers at all, so taking the metadata's list
 * alone would drop the link's the moment the metadata arrived.
 */
export function unionTiers(
  first: readonly (readonly string[])[],
  second: readonly (readonly string[])[],
): string[][] {
  // Most torrents of a daemon's have none (a restore asks this of each).
  if (first.length === 0 && second.length === 0) return [];
  const seen = new Set<string>();
  const out: string[][] = [];
  for (const tier of [...first, ...second]) {
    const fresh = tier.filter((url) => !seen.has(url));
    for (const url of fresh) seen.add(url);
    if (fresh.length > 0) out.push(fresh);
  }
  return out;
}
