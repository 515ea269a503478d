/**
 * How an add goes: the options a user gives, and what a restore adds to
 * bring a persisted torrent back as it was (its place in the session's
 * order, its settings, queue place, labels, goals and totals).
 */
import type { TorrentOptions } from "../torrent/index.ts";
import type { AddOptions } from "./client-options.ts";
import type { ManagedState } from "./manager.ts";
import type { PersistedTorrent } from "./session-store.ts";
import { type ResolvedSource, selectOnlyPriorities } from "./torrent-source.ts";

/** Restoring keeps a torrent whose data cannot be opened (in `error`). */
export interface AddPlan extends AddOptions {
  /** Resolves when the torrent before this one (restore's order) has joined. */
  turn?: Promise<void>;
  addedAt?: number;
  restoring?: boolean;
  /** A restored torrent's queue place, labels, goals and totals. */
  manage?: Partial<ManagedState>;
  /** A restored torrent's edited tracker tiers. */
  trackerList?: string[][];
  /** A restored torrent's data is in this incomplete folder. */
  incompleteDir?: string;
}

/**
 * What the plan asks of the torrent, on top of the client's options for it
 * (`o`, changed in place); and whether it is added paused, or waits for its
 * metadata to pause.
 */
export function applyPlan(
  o: TorrentOptions,
  resolved: ResolvedSource,
  plan: AddPlan,
): { paused: boolean; waitsForMetadata: boolean } {
  if (plan.verify) o.verify = true;
  if (plan.onCheckProgress) o.onCheckProgress = plan.onCheckProgress;
  if (plan.filePriorities) o.filePriorities = plan.filePriorities;
  if (plan.unlistedFilePriority) o.unlistedFilePriority = plan.unlistedFilePriority;
  // BEP 53: a magnet link's `so` selects the only files to download (a choice given here wins).
  if (!resolved.meta && resolved.selectOnly && !plan.filePriorities) {
    o.filePriorities = selectOnlyPriorities(resolved.selectOnly);
    o.unlistedFilePriority = "skip";
  }
  if (plan.sequential) o.sequential = true;
  if (plan.encryption) o.encryption = plan.encryption;
  if (plan.firstLastPiecePriority) o.firstLastPiecePriority = true;
  if (plan.trackerList) o.trackerList = plan.trackerList;
  // Asked to pause after the metadata: a .torrent has it, so it is added paused.
  const waitsForMetadata = plan.pauseAfterMetadata === true && !resolved.meta;
  const paused = Boolean(plan.paused) || (plan.pauseAfterMetadata === true && !waitsForMetadata);
  if (waitsForMetadata) o.pauseAfterMetadata = true;
  return { paused, waitsForMetadata };
}

/** A persisted torrent's add, joining after `turn` (the one before it). */
export function restorePlan(p: PersistedTorrent, turn: Promise<void>): AddPlan {
  // Set field by field, not spread from small objects: a restore makes a
  // thousand of these in a row.
  const plan: AddPlan = {
    turn,
    downloadDir: p.downloadDir,
    paused: p.paused,
    uploadLimit: p.uploadLimit,
    downloadLimit: p.downloadLimit,
    addedAt: p.addedAt,
    restoring: true,
    manage: restoredState(p),
  };
  if (p.filePriorities) plan.filePriorities = p.filePriorities.map((x) => x ?? undefined);
  if (p.unlistedFilePriority) plan.unlistedFilePriority = p.unlistedFilePriority;
  if (p.sequential) plan.sequential = true;
  if (p.firstLastPiecePriority) plan.firstLastPiecePriority = true;
  if (p.trackerList) plan.trackerList = p.trackerList;
  if (p.incompleteDir) plan.incompleteDir = p.incompleteDir;
  if (p.pauseAfterMetadata) plan.pauseAfterMetadata = true;
  return plan;
}

/** What session.json kept of a torrent's queue place, labels, goals and totals. */
function restoredState(p: PersistedTorrent): Partial<ManagedState> {
  const m: Partial<ManagedState> = {
    uploadedBefore: p.uploadedEver ?? 0,
    downloadedBefore: p.downloadedEver ?? 0,
  };
  if (p.ratioLimit !== undefined || p.idleLimitMinutes !== undefined) {
    m.goals = {
      ...(p.ratioLimit !== undefined ? { ratioLimit: p.ratioLimit } : {}),
      ...(p.idleLimitMinutes !== undefined ? { idleLimitMinutes: p.idleLimitMinutes } : {}),
    };
  }
  if (p.queuePosition !== undefined) m.position = p.queuePosition;
  if (p.labels) m.labels = p.labels;
  return m;
}
