/**
 * How many bytes a torrent got from each source, over every connection it
 * ever had: the live connections' figures plus the last figures of the ones
 * that closed (a peer that reconnects keeps counting under the same key).
 */
import type { PeerInfo, Torrent } from "../torrent/index.ts";

export class SourceTally {
  readonly #torrent: Torrent;
  readonly #keyOf: (p: PeerInfo) => string;
  readonly #closed = new Map<string, number>();

  /** `keyOf`: what a source is called (default: its peer id, else its address). */
  constructor(torrent: Torrent, keyOf: (p: PeerInfo) => string = (p) => p.peerId ?? p.address) {
    this.#torrent = torrent;
    this.#keyOf = keyOf;
    torrent.on("peer-closed", (_id, _reason, info) => {
      if (info.downloaded === 0) return;
      const key = this.#keyOf(info);
      this.#closed.set(key, (this.#closed.get(key) ?? 0) + info.downloaded);
    });
  }

  /** Source → bytes downloaded from it. */
  totals(): Map<string, number> {
    const out = new Map(this.#closed);
    for (const p of this.#torrent.peers()) {
      if (p.downloaded === 0) continue;
      const key = this.#keyOf(p);
      out.set(key, (out.get(key) ?? 0) + p.downloaded);
    }
    return out;
  }
}
