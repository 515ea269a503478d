/**
 * The piece I/O modules (piece-io.ts), imported when first needed rather
 * than with the storage module. A torrent that downloads has them from its
 * open on (TorrentStorage.open waits for them), one whose swarm side loads
 * has them too (the torrent loads them with it, before anything can ask for
 * piece memory), and the async reads and writes wait for them themselves.
 */
import { LazyModule } from "../util/index.ts";
import { StorageError } from "./errors.ts";

type PieceIo = typeof import("./piece-io.ts");

const pieceIo = new LazyModule<PieceIo>(() => import("./piece-io.ts"));

/** Imports the piece I/O modules (once). */
export function loadPieceIo(): Promise<PieceIo> {
  return pieceIo.load();
}

/** The piece I/O modules, loaded now if they are not yet (awaiting only then). */
export function pieceIoSoon(): PieceIo | Promise<PieceIo> {
  return pieceIo.module ?? pieceIo.load();
}

/** The piece I/O modules; only after loadPieceIo() resolved. */
export function pieceIoNow(): PieceIo {
  const loaded = pieceIo.module;
  if (!loaded)
    throw new StorageError("internal", "piece memory asked for before loadPieceIo resolved");
  return loaded;
}
