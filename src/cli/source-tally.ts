/**
 * How many bytes a torrent got from each source, over every connection it
 * ever had: the live connections' figures plus the last figures of the ones
 * that closed (a peer that reconnects keeps counting under the same key).
 */
import type { PeerView, ShoalApi, TorrentRef } from "../api/index.ts";

export class SourceTally {
  readonly #api: ShoalApi;
  readonly #ref: TorrentRef;
  readonly #keyOf: (p: PeerView) => string;
  readonly #closed = new Map<string, number>();

  /**
   * Follows the torrent `ref` names (its info hash: a short id would outlive it).
   * `keyOf`: what a source is called (default: its peer id, else its address).
   */
  constructor(
    api: ShoalApi,
    ref: TorrentRef,
    keyOf: (p: PeerView) => string = (p) => p.peerId ?? p.address,
  ) {
    this.#api = api;
    this.#ref = ref;
    this.#keyOf = keyOf;
    const infoHash = api.get(ref).infoHash;
    api.subscribe(
      (e) => {
        if (e.type !== "peer-closed" || e.infoHash !== infoHash || e.peer.downloaded === 0) return;
        const key = this.#keyOf(e.peer);
        this.#closed.set(key, (this.#closed.get(key) ?? 0) + e.peer.downloaded);
      },
      { types: ["peer-closed"] },
    );
  }

  /** Source → bytes downloaded from it. */
  totals(): Map<string, number> {
    const out = new Map(this.#closed);
    for (const p of this.#api.peers(this.#ref)) {
      if (p.downloaded === 0) continue;
      const key = this.#keyOf(p);
      out.set(key, (out.get(key) ?? 0) + p.downloaded);
    }
    return out;
  }
}
