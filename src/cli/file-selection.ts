/**
 * `shoal get --only 0,2,5-7`: which files of a torrent to download, by
 * index (as `shoal info` lists them, from 0), ranges written as BEP 53's
 * `so=` writes them. The others are skipped: not downloaded nor created.
 */
import { UsageError } from "./io.ts";

/** Most indices a list may name (ranges counted whole). */
export const MAX_SELECTED_FILES = 100_000;

export function fileIndexList(flag: string, text: string): number[] {
  const out = new Set<number>();
  for (const part of text.split(",")) {
    const m = /^\s*(\d{1,9})(?:\s*-\s*(\d{1,9}))?\s*$/.exec(part);
    const from = Number(m?.[1]);
    const to = m?.[2] === undefined ? from : Number(m[2]);
    if (!m || to < from) {
      throw new UsageError(
        `${flag}: '${text}' is not a list of file indices (try 0,2,5-7; \`shoal info\` lists them)`,
      );
    }
    if (out.size + (to - from + 1) > MAX_SELECTED_FILES) {
      throw new UsageError(`${flag}: at most ${MAX_SELECTED_FILES} files`);
    }
    for (let i = from; i <= to; i++) out.add(i);
  }
  return [...out].sort((a, b) => a - b);
}
