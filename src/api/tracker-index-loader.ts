/**
 * A tracker's index (tracker-index.ts) is made for an api that names a
 * tracker; its module, and the tracker clients under it (HTTP and UDP
 * announces, their codecs: some twenty modules), load then rather than
 * with the api: the daemon names none. Loaded synchronously (require of an
 * ES module) because the api is made synchronously and a tracker URL that
 * is not one throws at once. The commands that name a tracker have loaded
 * the tracker clients already.
 */
import { createRequire } from "node:module";
import type { TrackerIndex } from "./tracker-index.ts";

const require = createRequire(import.meta.url);

/** `new TrackerIndex(tracker, token)`, its module loaded first. */
export function openTrackerIndex(tracker: string, token?: string): TrackerIndex {
  const loaded = require("./tracker-index.ts") as typeof import("./tracker-index.ts");
  return new loaded.TrackerIndex(tracker, token);
}
