/**
 * Paths inside a folder without path.join() each time: join normalises the
 * whole string, folder included, and a restore makes two paths for each of
 * a thousand torrents that share one or two folders (their data file, their
 * resume data). Each folder is normalised once (a few folders, kept in a
 * map: one remembered folder missed every time, as a torrent's data and
 * resume folders alternate).
 */
import { join } from "node:path";

/** Folders seen and what join() puts before a plain name in each. */
const prefixes = new Map<string, string>();
/** More folders than a session has: the map starts over rather than grow. */
const MAX_FOLDERS = 64;

function prefixOf(folder: string): string {
  let prefix = prefixes.get(folder);
  if (prefix === undefined) {
    // What join() puts before a plain name in this folder: '' for '.' or
    // './', the folder with one '/' otherwise.
    prefix = join(folder, "x").slice(0, -1);
    if (prefixes.size >= MAX_FOLDERS) prefixes.clear();
    prefixes.set(folder, prefix);
  }
  return prefix;
}

/** A component join() keeps as it is: not empty, not '.' nor '..', no separator. */
function plain(component: string): boolean {
  return component !== "" && component !== "." && component !== ".." && !component.includes("/");
}

/** join(folder, ...components), the folder normalised once for every path in it. */
export function inFolder(folder: string, components: readonly string[]): string {
  for (const c of components) if (!plain(c)) return join(folder, ...components);
  const relative = components.length === 1 ? components[0]! : components.join("/");
  return prefixOf(folder) + relative;
}
