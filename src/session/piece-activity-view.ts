/** A torrent's piece activity (torrent/piece-activity.ts) as the plain JSON of dto.ts. */
import type { Torrent } from "../torrent/index.ts";
import type { PieceActivityView } from "./dto.ts";

export function pieceActivityView(t: Torrent): PieceActivityView {
  const a = t.pieceActivity();
  return {
    pieceCount: a.pieceCount,
    piecesHave: a.have?.count() ?? 0,
    have: a.have ? a.have.toBuffer().toString("base64") : "",
    availability: Buffer.from(
      a.availability.buffer,
      a.availability.byteOffset,
      a.availability.length,
    ).toString("base64"),
    inFlight: [...a.inFlight].map(([piece, peers]) => ({ piece, peers })),
  };
}
