/**
 * Checking the requests that manage torrents (file selection, piece order;
 * issue 16's "managing many torrents") before they reach the session: a
 * mistake is an ApiError `invalid_input` naming the field.
 */
import type { AddOptions, FilePriorityName, QueueMove, TorrentGoals } from "../session/index.ts";
import { ApiError } from "./errors.ts";
import type {
  AddRequest,
  FilesRequest,
  PieceOrderRequest,
  QueueMoveRequest,
  SeedingGoalsRequest,
} from "./types.ts";

const PRIORITIES: readonly FilePriorityName[] = ["skip", "low", "normal", "high"];

function invalid(message: string): never {
  throw new ApiError("invalid_input", message);
}

function priorityOf(value: unknown, field: string): FilePriorityName {
  if (!PRIORITIES.includes(value as FilePriorityName)) {
    invalid(`${field}: '${String(value)}' is not a file priority (${PRIORITIES.join(", ")})`);
  }
  return value as FilePriorityName;
}

function indexList(value: unknown, field: string, count?: number): number[] {
  if (!Array.isArray(value)) invalid(`${field}: give a list of file indices`);
  for (const i of value) {
    if (!Number.isSafeInteger(i) || i < 0 || (count !== undefined && i >= count)) {
      invalid(
        `${field}: ${JSON.stringify(i)} is not a file index${count !== undefined ? ` (0 to ${count - 1})` : ""}`,
      );
    }
  }
  return value as number[];
}

function flag(value: unknown, field: string): boolean {
  if (typeof value !== "boolean") invalid(`${field}: give true or false`);
  return value;
}

/**
 * The new priority of every file: `req.indices` (all files when absent)
 * get `req.priority`, or with `wanted` alone, `skip` (false) or, for a
 * skipped file, `normal` (true; a wanted file keeps its priority).
 */
export function applyFilesRequest(
  current: readonly FilePriorityName[],
  req: FilesRequest,
): FilePriorityName[] {
  if (typeof req !== "object" || req === null) invalid("files: give indices and a priority");
  if (req.priority === undefined && req.wanted === undefined) {
    invalid("files: give a priority (skip, low, normal, high) or wanted (true or false)");
  }
  const priority = req.priority === undefined ? undefined : priorityOf(req.priority, "priority");
  const wanted = req.wanted === undefined ? undefined : flag(req.wanted, "wanted");
  if (priority !== undefined && wanted !== undefined && (priority === "skip") === wanted) {
    invalid(`files: priority '${priority}' contradicts wanted: ${wanted}`);
  }
  const indices =
    req.indices === undefined
      ? current.map((_, i) => i)
      : indexList(req.indices, "indices", current.length);
  const next = [...current];
  for (const i of indices) {
    if (priority !== undefined) next[i] = priority;
    else if (wanted === false) next[i] = "skip";
    else if (next[i] === "skip") next[i] = "normal";
  }
  return next;
}

export function pieceOrderOf(req: PieceOrderRequest): {
  sequential?: boolean;
  firstLastPiecePriority?: boolean;
} {
  if (typeof req !== "object" || req === null) {
    invalid("give sequential and/or firstLastPiecePriority");
  }
  const out: { sequential?: boolean; firstLastPiecePriority?: boolean } = {};
  if (req.sequential !== undefined) out.sequential = flag(req.sequential, "sequential");
  if (req.firstLastPiecePriority !== undefined) {
    out.firstLastPiecePriority = flag(req.firstLastPiecePriority, "firstLastPiecePriority");
  }
  return out;
}

/** The selection options of an add (files, priorities, piece order), checked. */
export function addSelection(
  req: Omit<AddRequest, "torrent" | "path" | "magnet" | "infoHash">,
): AddOptions {
  const opts: AddOptions = {};
  if (req.files !== undefined && req.filePriorities !== undefined) {
    invalid("add: give files or filePriorities, not both");
  }
  if (req.files !== undefined) {
    // Only these files (BEP 53's `so=`): the others are skipped.
    const priorities: FilePriorityName[] = [];
    for (const i of indexList(req.files, "files")) priorities[i] = "normal";
    opts.filePriorities = priorities;
    opts.unlistedFilePriority = "skip";
  }
  if (req.filePriorities !== undefined) {
    if (!Array.isArray(req.filePriorities)) invalid("filePriorities: give a list of priorities");
    opts.filePriorities = req.filePriorities.map((p) => priorityOf(p, "filePriorities"));
  }
  if (req.sequential !== undefined) opts.sequential = flag(req.sequential, "sequential");
  if (req.firstLastPiecePriority !== undefined) {
    opts.firstLastPiecePriority = flag(req.firstLastPiecePriority, "firstLastPiecePriority");
  }
  if (req.labels !== undefined) {
    if (!Array.isArray(req.labels)) invalid("labels: give a list of labels");
    opts.labels = req.labels;
  }
  return opts;
}

const MOVES: readonly QueueMove[] = ["top", "up", "down", "bottom"];

export function queueMoveOf(req: QueueMoveRequest): number | QueueMove {
  const to = (req as Partial<QueueMoveRequest> | null)?.to;
  if (typeof to === "number" && Number.isSafeInteger(to) && to >= 0) return to;
  if (MOVES.includes(to as QueueMove)) return to as QueueMove;
  invalid(`to: give a queue position (0 first) or ${MOVES.join(", ")}`);
}

export function seedingGoalsOf(req: SeedingGoalsRequest): TorrentGoals {
  if (typeof req !== "object" || req === null) invalid("give ratioLimit and/or idleLimitMinutes");
  const out: TorrentGoals = {};
  for (const key of ["ratioLimit", "idleLimitMinutes"] as const) {
    const v = req[key];
    if (v === undefined) continue;
    if (v === "global") out[key] = undefined;
    else if (v === null) out[key] = null;
    else if (typeof v === "number" && Number.isFinite(v) && v >= 0) out[key] = v;
    else invalid(`${key}: give a number ≥ 0, null (none) or "global"`);
  }
  return out;
}
