/**
 * The download and seed queues, with Transmission's and qBittorrent's
 * semantics: at most `maxActiveDownloads` torrents download and at most
 * `maxActiveSeeds` seed at once; the others wait (queued, transferring
 * nothing), first in queue order. A running torrent that has been stalled
 * (nothing transferred) for `stalledMinutes` no longer counts against its
 * queue's limit, so one dead swarm does not hold up the rest (Transmission's
 * queue-stalled-minutes, qBittorrent's "do not count slow torrents").
 * A torrent the user paused is in neither queue. Pure: the session applies
 * the plan (manager.ts).
 */

export interface QueueSettings {
  /** Most torrents downloading at once (a magnet link's fetching metadata counts); 0: no limit. */
  maxActiveDownloads: number;
  /** Most torrents seeding at once; 0: no limit. */
  maxActiveSeeds: number;
  /** Minutes without transfer after which a running torrent is stalled and not counted; 0: never. */
  stalledMinutes: number;
}

export const NO_QUEUE: QueueSettings = {
  maxActiveDownloads: 0,
  maxActiveSeeds: 0,
  stalledMinutes: 30,
};

export interface QueueCandidate {
  infoHash: string;
  /** Its place in the queue: lower goes first. */
  position: number;
  /** Has every wanted piece: it queues to seed, else to download. */
  done: boolean;
  /** Transferring now (not waiting in the queue). */
  running: boolean;
  /** Running with nothing transferred for the stalled time. */
  stalled: boolean;
}

export interface QueuePlan {
  /** Torrents to run (start if waiting). */
  run: string[];
  /** Torrents to wait (pause if running). */
  wait: string[];
}

/** Whether the queue limits anything at all. */
export function queueLimits(s: QueueSettings): boolean {
  return s.maxActiveDownloads > 0 || s.maxActiveSeeds > 0;
}

export function planQueue(candidates: readonly QueueCandidate[], s: QueueSettings): QueuePlan {
  const plan: QueuePlan = { run: [], wait: [] };
  const ordered = [...candidates].sort((a, b) => a.position - b.position);
  for (const done of [false, true]) {
    const limit = done ? s.maxActiveSeeds : s.maxActiveDownloads;
    let slots = limit > 0 ? limit : Number.POSITIVE_INFINITY;
    for (const c of ordered) {
      if (c.done !== done) continue;
      if (c.running && c.stalled) plan.run.push(c.infoHash);
      else if (slots > 0) {
        plan.run.push(c.infoHash);
        slots--;
      } else plan.wait.push(c.infoHash);
    }
  }
  return plan;
}

export type QueueMove = "top" | "up" | "down" | "bottom";

/**
 * The queue order after moving `infoHash` (`order`: every torrent's info
 * hash, first in queue first): to a position (0 first), or a step.
 */
export function moveInQueue(
  order: readonly string[],
  infoHash: string,
  to: number | QueueMove,
): string[] {
  const from = order.indexOf(infoHash);
  if (from < 0) return [...order];
  const rest = order.filter((h) => h !== infoHash);
  let at: number;
  if (to === "top") at = 0;
  else if (to === "bottom") at = rest.length;
  else if (to === "up") at = Math.max(0, from - 1);
  else if (to === "down") at = Math.min(rest.length, from + 1);
  else at = Math.max(0, Math.min(rest.length, Math.floor(to)));
  rest.splice(at, 0, infoHash);
  return rest;
}
