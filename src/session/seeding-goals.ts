/**
 * Seeding goals: a torrent stops seeding once it has given back enough
 * (its share ratio reaches the limit) or once nobody has wanted anything of
 * it for a while (idle), as Transmission's seedRatioLimit and
 * seedIdleLimit and qBittorrent's share limits. Each torrent follows the
 * session's goals unless it has its own (a number), or none (null).
 */

export interface SeedingGoals {
  /** Stop at this share ratio (uploaded ÷ downloaded); 0: no limit. */
  ratioLimit: number;
  /** Stop after this many minutes seeding without uploading; 0: no limit. */
  idleLimitMinutes: number;
}

export const NO_GOALS: SeedingGoals = { ratioLimit: 0, idleLimitMinutes: 0 };

/** A torrent's own goals: a number is its own, null none, absent the session's. */
export interface TorrentGoals {
  ratioLimit?: number | null;
  idleLimitMinutes?: number | null;
}

export type GoalReached = "ratio" | "idle";

export interface SeedingFigures {
  ratio: number;
  /** Milliseconds seeding since the last upload (or since seeding began). */
  idleMs: number;
}

function effective(own: number | null | undefined, global: number): number {
  if (own === null) return 0;
  return own ?? global;
}

/** Which goal a seeding torrent has reached, if any. */
export function goalReached(
  figures: SeedingFigures,
  own: TorrentGoals,
  global: SeedingGoals,
): GoalReached | undefined {
  const ratio = effective(own.ratioLimit, global.ratioLimit);
  if (ratio > 0 && figures.ratio >= ratio) return "ratio";
  const idle = effective(own.idleLimitMinutes, global.idleLimitMinutes);
  if (idle > 0 && figures.idleMs >= idle * 60_000) return "idle";
  return undefined;
}
