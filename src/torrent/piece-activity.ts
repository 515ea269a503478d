/**
 * What a live piece map shows of a torrent (issue 17): the pieces we have,
 * how many connected peers hold each (the swarm's availability, from their
 * BEP 3 bitfields and haves), and the pieces we are fetching now with the
 * peers whose blocks are in flight. Read from the peers on demand, so it
 * costs nothing while nobody looks.
 */
import type { Bitfield } from "../bitfield/index.ts";
import { formatEndpoint } from "../util/index.ts";
import type { TorrentView } from "./views.ts";

/** Availability counts stop here (one byte each on the wire). */
export const MAX_AVAILABILITY = 255;

export interface PieceActivity {
  pieceCount: number;
  /** Verified pieces (undefined before the metadata). */
  have: Bitfield | undefined;
  /** Peers holding each piece, capped at MAX_AVAILABILITY. */
  availability: Uint8Array;
  /** Piece index → addresses of the peers it is being requested from, pieces in order. */
  inFlight: Map<number, string[]>;
}

export function pieceActivity(v: TorrentView): PieceActivity {
  const pieceCount = v.meta?.pieceCount ?? 0;
  const availability = new Uint8Array(pieceCount);
  const inFlight = new Map<number, string[]>();
  if (pieceCount === 0) return { pieceCount, have: undefined, availability, inFlight };
  for (const p of v.peers.values()) {
    if (!p.conn.ready) continue;
    countPieces(p.have.toBuffer(), availability);
    const address = formatEndpoint(p.host, p.listenPort ?? p.conn.remotePort ?? 0);
    let last = -1;
    for (const r of p.conn.pendingRequests()) {
      if (r.index === last) continue;
      last = r.index;
      const from = inFlight.get(r.index);
      if (from === undefined) inFlight.set(r.index, [address]);
      else if (!from.includes(address)) from.push(address);
    }
  }
  const sorted = new Map([...inFlight].sort((a, b) => a[0] - b[0]));
  return { pieceCount, have: v.storage?.have, availability, inFlight: sorted };
}

/** Adds one peer's bitfield (BEP 3: first piece in the high bit) to the counts. */
function countPieces(bytes: Uint8Array, counts: Uint8Array): void {
  for (let b = 0; b < bytes.length; b++) {
    const byte = bytes[b]!;
    if (byte === 0) continue;
    const base = b * 8;
    for (let bit = 0; bit < 8; bit++) {
      const i = base + bit;
      if (i < counts.length && byte & (0x80 >> bit) && counts[i]! < MAX_AVAILABILITY) counts[i]!++;
    }
  }
}
