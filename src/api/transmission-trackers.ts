/**
 * Transmission's `torrent-set` tracker arguments (RPC version 10 and on,
 * as Transmission 3.00 reads them): `trackerAdd` a list of announce URLs
 * (each in a tier of its own after the others), `trackerRemove` a list of
 * tracker ids, `trackerReplace` a flat list of id, URL pairs. Ids are the
 * `id` of torrent-get's `trackers` / `trackerStats`. Unlike Transmission,
 * which skips the entries it cannot use, one bad entry refuses the whole
 * request (tracker-edits.ts), so nothing half-changes.
 */
import { ApiError } from "./errors.ts";
import type { TrackerEditRequest } from "./tracker-edits.ts";

type Args = Record<string, unknown>;

function list(args: Args, key: string): unknown[] | undefined {
  const v = args[key];
  if (v === undefined) return undefined;
  if (!Array.isArray(v)) throw new ApiError("invalid_input", `${key}: give a list`);
  return v;
}

/** The edit the arguments ask for, or undefined when they name no tracker. */
export function trackerEditOf(args: Args): TrackerEditRequest | undefined {
  const add = list(args, "trackerAdd");
  const remove = list(args, "trackerRemove");
  const replace = list(args, "trackerReplace");
  if (!add && !remove && !replace) return undefined;
  const edit: TrackerEditRequest = {};
  if (add) edit.add = add.map((url) => ({ url: url as string }));
  if (remove) edit.remove = remove as number[];
  if (replace) {
    if (replace.length % 2 !== 0) {
      throw new ApiError("invalid_input", "trackerReplace: give pairs of tracker id and URL");
    }
    edit.replace = [];
    for (let i = 0; i < replace.length; i += 2) {
      edit.replace.push({ id: replace[i] as number, url: replace[i + 1] as string });
    }
  }
  return edit;
}
