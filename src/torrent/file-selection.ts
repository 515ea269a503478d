/**
 * What of a torrent the user wants, and in what order: a priority per file
 * (skip, low, normal, high, as Transmission and qBittorrent offer), the
 * first and last piece of each wanted file first (a player can look at a
 * video's header and index early), and sequential download (pieces in
 * order: streaming). Turned into the picker's piece priorities here: a
 * piece gets the highest priority of the files it touches, so a piece
 * shared by a skipped file and a wanted one is still fetched (its bytes of
 * the skipped file wait in the storage's part file).
 */
import type { Metainfo } from "../metainfo/index.ts";
import { TorrentError } from "./errors.ts";

export type FilePriority = "skip" | "low" | "normal" | "high";

export const FILE_PRIORITIES: readonly FilePriority[] = ["skip", "low", "normal", "high"];

/** The picker's scale: 0 never, higher first. */
const PICKER_PRIORITY: Record<FilePriority, number> = { skip: 0, low: 1, normal: 2, high: 3 };
/** First and last pieces of wanted files go before everything else. */
const EDGE_PRIORITY = 4;

export interface Selection {
  /** One per file of the metainfo (padding files included; theirs do not count). */
  files: FilePriority[];
  firstLastPiece: boolean;
  sequential: boolean;
}

/**
 * Priorities given for `fileCount` files: a shorter or longer list (one
 * given before a magnet link's metadata told the count, or BEP 53's `so`
 * naming only some files) is cut, or filled with `fill`.
 */
export function fitPriorities(
  priorities: readonly (FilePriority | undefined)[] | undefined,
  fileCount: number,
  fill: FilePriority = "normal",
): FilePriority[] {
  // Sized at once: grown by push, a one-file torrent's list held room for 17.
  const out = new Array<FilePriority>(fileCount);
  for (let i = 0; i < fileCount; i++) out[i] = priorities?.[i] ?? fill;
  return out;
}

/** Checks a list of priorities for a torrent of `fileCount` files. */
export function checkPriorities(priorities: readonly unknown[], fileCount: number): void {
  if (priorities.length !== fileCount) {
    throw new TorrentError(
      "bad_selection",
      `the torrent has ${fileCount} files, ${priorities.length} priorities were given`,
    );
  }
  for (const p of priorities) {
    if (!FILE_PRIORITIES.includes(p as FilePriority)) {
      throw new TorrentError(
        "bad_selection",
        `'${String(p)}' is not a file priority (${FILE_PRIORITIES.join(", ")})`,
      );
    }
  }
}

/** The picker priority of each piece (0: not wanted). */
export function piecePriorities(meta: Metainfo, selection: Selection): Uint8Array {
  const { pieceLength, pieceCount } = meta;
  const out = new Uint8Array(pieceCount);
  // Pieces no real file touches (padding alone) are fetched as usual. Only
  // padding leaves a piece untouched: without it, no second array.
  const touched = meta.files.some((f) => f.pad) ? new Uint8Array(pieceCount) : undefined;
  meta.files.forEach((f, i) => {
    if (f.pad || f.length === 0) return;
    const priority = PICKER_PRIORITY[selection.files[i] ?? "normal"];
    const first = Math.floor(f.offset / pieceLength);
    const last = Math.floor((f.offset + f.length - 1) / pieceLength);
    for (let p = first; p <= last; p++) {
      if (touched) touched[p] = 1;
      if (priority > out[p]!) out[p] = priority;
    }
    if (selection.firstLastPiece && priority > 0) {
      out[first] = EDGE_PRIORITY;
      out[last] = EDGE_PRIORITY;
    }
  });
  if (touched)
    for (let p = 0; p < pieceCount; p++) if (!touched[p]) out[p] = PICKER_PRIORITY.normal;
  return out;
}

/** A selection as options to open a torrent with again (TorrentOptions' fields of the same names). */
export interface SelectionOptions {
  filePriorities?: (FilePriority | undefined)[];
  unlistedFilePriority?: FilePriority;
  sequential: boolean;
  firstLastPiecePriority: boolean;
}

/**
 * The selection as options to open the torrent again with (a recheck, a
 * move, a restart): its priorities once the metadata is known; before, the
 * ones given (holes for files not named) and the priority of the others
 * (BEP 53's `so=`: skip).
 */
export function selectionOptions(
  selection: Selection,
  metadataKnown: boolean,
  given: {
    filePriorities?: readonly (FilePriority | undefined)[];
    unlistedFilePriority?: FilePriority;
  },
): SelectionOptions {
  const out: SelectionOptions = {
    sequential: selection.sequential,
    firstLastPiecePriority: selection.firstLastPiece,
  };
  if (metadataKnown || selection.files.length > 0) out.filePriorities = [...selection.files];
  else if (given.filePriorities) out.filePriorities = [...given.filePriorities];
  if (!metadataKnown && given.unlistedFilePriority) {
    out.unlistedFilePriority = given.unlistedFilePriority;
  }
  return out;
}
