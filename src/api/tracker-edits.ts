/**
 * Editing a torrent's trackers (BEP 12 tiers): add, remove, replace, as
 * Transmission's `torrent-set` trackerAdd / trackerRemove / trackerReplace
 * do (ids are places in the list, tier by tier; an added URL gets a tier of
 * its own after the others). One request is checked whole before anything
 * changes: a bad URL, an unknown id or a URL already there is an ApiError
 * and the list stays as it was.
 */
import { ApiError } from "./errors.ts";
import type { TrackerView } from "./types.ts";

export const TRACKER_EDIT_LIMITS = {
  /** An announce URL's length. */
  maxUrlLength: 2048,
  /** Trackers a torrent may have after an edit. */
  maxTrackers: 100,
  /** Additions, removals and replacements in one request. */
  maxEdits: 100,
} as const;

const TRACKER_PROTOCOLS = new Set(["http:", "https:", "udp:"]);

export interface TrackerEditRequest {
  /** URLs to add: in a new tier after the others, or into an existing `tier`. */
  add?: { url: string; tier?: number }[];
  /** Ids of trackers to remove (`id` of TrackerView, as the list was before this request). */
  remove?: number[];
  /** New URLs for trackers, by id (as the list was before this request). */
  replace?: { id: number; url: string }[];
}

/** An announce URL shoal can use (BEP 3 http/https, BEP 15 udp with a port), or ApiError. */
export function checkTrackerUrl(url: unknown): string {
  if (typeof url !== "string" || url.length === 0) {
    throw new ApiError("invalid_input", "give the tracker's announce URL");
  }
  if (url.length > TRACKER_EDIT_LIMITS.maxUrlLength) {
    throw new ApiError(
      "invalid_input",
      `a tracker URL is at most ${TRACKER_EDIT_LIMITS.maxUrlLength} characters`,
    );
  }
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {}
  if (
    !parsed ||
    !TRACKER_PROTOCOLS.has(parsed.protocol) ||
    parsed.hostname === "" ||
    (parsed.protocol === "udp:" && parsed.port === "")
  ) {
    throw new ApiError(
      "invalid_input",
      `'${url.slice(0, 200)}' is not a tracker URL (http, https, or udp with a port)`,
    );
  }
  return url;
}

function idOf(id: unknown, count: number): number {
  if (!Number.isSafeInteger(id) || (id as number) < 0 || (id as number) >= count) {
    throw new ApiError(
      "not_found",
      `tracker ${String(id).slice(0, 40)}: no such tracker (ids 0 to ${count - 1})`,
    );
  }
  return id as number;
}

/** The tiers after the edits, from the torrent's trackers now; nothing is changed here. */
export function applyTrackerEdits(current: readonly TrackerView[], req: unknown): string[][] {
  if (typeof req !== "object" || req === null || Array.isArray(req)) {
    throw new ApiError("invalid_input", "give {add?, remove?, replace?}");
  }
  const { add = [], remove = [], replace = [], ...rest } = req as Record<string, unknown>;
  const unknownKey = Object.keys(rest)[0];
  if (unknownKey !== undefined) {
    throw new ApiError("invalid_input", `trackers: unknown field '${unknownKey.slice(0, 40)}'`);
  }
  if (!Array.isArray(add) || !Array.isArray(remove) || !Array.isArray(replace)) {
    throw new ApiError("invalid_input", "add, remove and replace are lists");
  }
  const edits = add.length + remove.length + replace.length;
  if (edits === 0) throw new ApiError("invalid_input", "give a tracker to add, remove or replace");
  if (edits > TRACKER_EDIT_LIMITS.maxEdits) {
    throw new ApiError("invalid_input", `at most ${TRACKER_EDIT_LIMITS.maxEdits} edits at once`);
  }
  // Each tracker under its tier's number as the caller saw it; new tiers after the last.
  const entries = current.map((t) => ({ tier: t.tier, url: t.url, removed: false }));
  const maxTier = current.reduce((m, t) => Math.max(m, t.tier), -1);
  for (const r of replace as unknown[]) {
    const { id, url } = (r ?? {}) as { id?: unknown; url?: unknown };
    entries[idOf(id, entries.length)]!.url = checkTrackerUrl(url);
  }
  for (const id of remove as unknown[]) entries[idOf(id, entries.length)]!.removed = true;
  let nextTier = maxTier + 1;
  for (const a of add as unknown[]) {
    const { url, tier } = (typeof a === "string" ? { url: a } : (a ?? {})) as {
      url?: unknown;
      tier?: unknown;
    };
    const checked = checkTrackerUrl(url);
    if (tier !== undefined && !(Number.isSafeInteger(tier) && (tier as number) >= 0)) {
      throw new ApiError("invalid_input", "tier: give a tier's number from 0");
    }
    const into = tier === undefined || (tier as number) > maxTier ? nextTier++ : (tier as number);
    entries.push({ tier: into, url: checked, removed: false });
  }
  const kept = entries.filter((e) => !e.removed);
  const seen = new Set<string>();
  for (const e of kept) {
    if (seen.has(e.url)) {
      throw new ApiError("duplicate", `'${e.url.slice(0, 200)}' is already a tracker of it`);
    }
    seen.add(e.url);
  }
  if (kept.length > TRACKER_EDIT_LIMITS.maxTrackers) {
    throw new ApiError(
      "invalid_input",
      `a torrent has at most ${TRACKER_EDIT_LIMITS.maxTrackers} trackers`,
    );
  }
  // BEP 12: tiers in order, each keeping its trackers' order; empty tiers dropped.
  const byTier = new Map<number, string[]>();
  for (const e of kept.sort((a, b) => a.tier - b.tier)) {
    const tier = byTier.get(e.tier) ?? [];
    tier.push(e.url);
    byTier.set(e.tier, tier);
  }
  return [...byTier.values()];
}
