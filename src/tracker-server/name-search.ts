/**
 * Searching the index's names for the pages (index-pages.ts): each name is
 * lowered once, when it is first seen, not on every search, so a search is
 * one pass of `includes` over prepared text. The index only grows (a torrent
 * is never unpublished), so new entries are appended as they appear.
 */
import type { TorrentEntry, TorrentIndex } from "./torrent-index.ts";

export class NameSearch {
  readonly #entries: TorrentEntry[] = [];
  /** The lowered name of each entry. */
  readonly #text: string[] = [];

  /** Takes in what was published since the last call (the index pages in publishing order). */
  #sync(index: TorrentIndex): void {
    const have = this.#entries.length;
    if (have === index.size) return;
    for (const entry of index.page(have, index.size - have)) {
      this.#entries.push(entry);
      this.#text.push(entry.name.toLowerCase());
    }
  }

  /** The entries whose name holds every word (lowercase), or whose info hash starts with it, oldest first. */
  find(index: TorrentIndex, words: readonly string[]): TorrentEntry[] {
    this.#sync(index);
    const out: TorrentEntry[] = [];
    const text = this.#text;
    const entries = this.#entries;
    const hexWords = words.map((w) => /^[0-9a-f]{2,40}$/.test(w));
    for (let i = 0; i < text.length; i++) {
      const t = text[i]!;
      let all = true;
      for (let j = 0; j < words.length && all; j++) {
        const w = words[j]!;
        all = t.includes(w) || (hexWords[j]! && entries[i]!.infoHashHex.startsWith(w));
      }
      if (all) out.push(entries[i]!);
    }
    return out;
  }
}
