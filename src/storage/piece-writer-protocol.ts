/** Messages between PieceWriter and its worker (piece-worker.ts). */

export interface PieceWrite {
  path: string;
  fileOffset: number;
  /** Where the run starts inside the piece. */
  start: number;
  length: number;
}

export type WorkerRequest =
  | {
      id: number;
      op: "write";
      /** The piece's bytes: the first `length` of a shared buffer, read in place. */
      data: SharedArrayBuffer;
      length: number;
      /** Write with O_DIRECT where the runs allow it (`data` starts on a page boundary). */
      direct: boolean;
      expected: Uint8Array;
      writes: PieceWrite[];
    }
  | { id: number; op: "ready" }
  | { id: number; op: "sync"; paths: string[] }
  | { id: number; op: "close"; paths: string[] };

export interface WorkerReply {
  id: number;
  ok: boolean;
  error?: { message: string; code: string; path?: string | undefined };
}
