/**
 * The shell's `files` command: a torrent's files with their priorities, and
 * choosing which to download (`files 2 skip 1,3-4`, `files 2 high 0`).
 */
import type { FilePriorityName, FileView, ShoalApi, TorrentSummary } from "../api/index.ts";
import { formatBytes, printable } from "../util/index.ts";
import { fileIndexList } from "./file-selection.ts";
import { ShellError } from "./shell-error.ts";

export const FILE_PRIORITY_WORDS: readonly FilePriorityName[] = ["skip", "low", "normal", "high"];

export function showFiles(t: TorrentSummary, files: readonly FileView[]): string {
  if (files.length === 0)
    return `[${t.id}] ${printable(t.name)}: no files known yet (no metadata)\n`;
  const real = files.filter((f) => !f.padding);
  const wanted = real.filter((f) => f.wanted).length;
  const lines = [
    `[${t.id}] ${printable(t.name)}: ${real.length} file${real.length === 1 ? "" : "s"}, ${wanted} wanted (${formatBytes(t.sizeWanted)})`,
  ];
  for (const f of real) {
    lines.push(
      `  ${String(f.index).padStart(3)}  ${f.priority.padEnd(6)} ${`${Math.floor(f.progress * 100)}%`.padStart(4)}  ${formatBytes(f.length).padStart(10)}  ${printable(f.path)}`,
    );
  }
  return `${lines.join("\n")}\n`;
}

/** `files <id> <priority> <list>`: sets those files' priority; the files after. */
export async function setFilePriority(
  api: Pick<ShoalApi, "setFiles">,
  t: TorrentSummary,
  word: string,
  list: string,
): Promise<FileView[]> {
  if (!FILE_PRIORITY_WORDS.includes(word as FilePriorityName)) {
    throw new ShellError(
      "usage",
      `'${word}' is not a priority (${FILE_PRIORITY_WORDS.join(", ")})`,
    );
  }
  let indices: number[];
  try {
    indices = fileIndexList("files", list);
  } catch (err) {
    throw new ShellError("usage", (err as Error).message);
  }
  return api.setFiles(t.infoHash, { indices, priority: word as FilePriorityName });
}
