/**
 * The synthetic swarms a tracker benchmark announces: `peers` distinct peers
 * (peer id + port) spread evenly over `torrents` info hashes. Peer i belongs
 * to torrent i mod T and is the k-th peer of it, k = floor(i / T); ports are
 * distinct inside a swarm (trackers such as opentracker key peers by address
 * and port, all of which are 127.0.0.1 here). One peer in five is a seeder.
 *
 * Announces walk the peers round-robin by a sequence number, so the first
 * `peers` announces register every peer once (event=started) and later ones
 * are the periodic re-announces a real swarm is made of.
 */
import { createHash } from "node:crypto";

export const PEER_ID_PREFIX = "-SB0001-";

export class SwarmModel {
  readonly torrents: number;
  readonly peers: number;
  /** Raw 20-byte info hashes. */
  readonly infoHashes: Buffer[];
  /** The same, percent-encoded for an HTTP query (BEP 3). */
  readonly infoHashQuery: string[];

  constructor(peers: number, torrents: number) {
    if (!Number.isInteger(torrents) || torrents < 1) throw new Error("torrents must be ≥ 1");
    if (!Number.isInteger(peers) || peers < torrents) throw new Error("peers must be ≥ torrents");
    if (Math.ceil(peers / torrents) > 64_000) throw new Error("more than 64000 peers per torrent");
    this.peers = peers;
    this.torrents = torrents;
    this.infoHashes = [];
    this.infoHashQuery = [];
    for (let t = 0; t < torrents; t++) {
      const hash = createHash("sha1").update(`shoal-bench-torrent-${t}`).digest();
      this.infoHashes.push(hash);
      let query = "";
      for (const byte of hash) query += `%${byte < 16 ? "0" : ""}${byte.toString(16)}`;
      this.infoHashQuery.push(query);
    }
  }

  /** Peers per swarm for torrent t (the last swarms may have one fewer). */
  swarmSize(t: number): number {
    return Math.floor(this.peers / this.torrents) + (t < this.peers % this.torrents ? 1 : 0);
  }

  peerOf(seq: number): number {
    return seq % this.peers;
  }

  torrentOf(peer: number): number {
    return peer % this.torrents;
  }

  /** 20 ASCII bytes: the client prefix (BEP 20 style) and 12 decimal digits. */
  peerId(peer: number): string {
    return PEER_ID_PREFIX + String(peer).padStart(12, "0");
  }

  port(peer: number): number {
    const t = this.torrentOf(peer);
    const k = Math.floor(peer / this.torrents);
    return 1024 + ((t * 7 + k) % 64_000);
  }

  isSeeder(peer: number): boolean {
    return peer % 5 === 0;
  }

  /** Bytes left to download: 0 for seeders. */
  left(peer: number): number {
    return this.isSeeder(peer) ? 0 : 1_000_000;
  }

  /** The first announce of each peer starts it; later ones are periodic. */
  isFirstAnnounce(seq: number): boolean {
    return seq < this.peers;
  }
}
