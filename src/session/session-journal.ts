/**
 * The session's journal: <data-dir>/session.journal, the changes to single
 * torrents (one added or changed) since session.json was last
 * written whole, one JSON line each. Appending a line costs the same with
 * ten torrents or ten thousand, where rewriting session.json grows with the
 * session: adding 5,000 torrents one by one rewrote it 5,000 times.
 *
 * Its first line names the generation of the session.json it follows; a
 * journal left behind by an older session.json (a crash between writing a
 * new one and removing the journal) is ignored, never applied twice.
 * Every append is synced before it returns, as session.json's writes are,
 * so a change the user saw done survives `kill -9` and a power cut.
 */
import { open, readFile, unlink } from "node:fs/promises";
import { dirname } from "node:path";
import { syncDirectory } from "./atomic-file.ts";

export const JOURNAL_FILE = "session.journal";

/** A journal larger than this is not read (it is folded into session.json long before: session-persistence.ts). */
export const MAX_JOURNAL_BYTES = 64 * 1024 * 1024;

/** One change: a torrent's whole persisted entry, added or replacing the one before. */
export interface JournalRecord {
  put: unknown;
}

export interface ReadJournal {
  records: JournalRecord[];
  /** Lines that were not a record (cut short by a crash mid-write, edited by hand). */
  damaged: number;
}

/** The records of the journal at `path` when it follows `generation`, else none. */
export async function readJournal(path: string, generation: number): Promise<ReadJournal> {
  let text: string;
  try {
    const handle = await open(path, "r");
    try {
      if ((await handle.stat()).size > MAX_JOURNAL_BYTES) return { records: [], damaged: 1 };
      text = await readFile(handle, "utf8");
    } finally {
      await handle.close();
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return { records: [], damaged: 0 };
    throw err;
  }
  const lines = text.split("\n");
  const header = parseLine(lines[0] ?? "") as { generation?: unknown } | undefined;
  if (header?.generation !== generation) return { records: [], damaged: 0 };
  const records: JournalRecord[] = [];
  let damaged = 0;
  for (const line of lines.slice(1)) {
    if (line === "") continue;
    const value = parseLine(line) as Partial<JournalRecord> | undefined;
    if (value && typeof value === "object" && "put" in value) records.push({ put: value.put });
    else damaged++;
  }
  return { records, damaged };
}

function parseLine(line: string): unknown {
  try {
    return JSON.parse(line);
  } catch {
    return undefined;
  }
}

/**
 * Appends records to the journal of `generation`; `fresh` starts it (the
 * journal of an older session.json, if any, is replaced). Durable on return.
 */
export async function appendJournal(
  path: string,
  generation: number,
  records: readonly JournalRecord[],
  fresh: boolean,
): Promise<void> {
  // Each record starts its line: one cut short by a crash ends where the next begins.
  let text = fresh ? JSON.stringify({ generation }) : "";
  for (const r of records) text += `\n${JSON.stringify(r)}`;
  const handle = await open(path, fresh ? "w" : "a");
  try {
    await handle.writeFile(text);
    await handle.datasync();
  } finally {
    await handle.close();
  }
  // A new file's name must be durable too, not only its bytes.
  if (fresh) await syncDirectory(dirname(path));
}

/** Removes the journal once session.json holds everything it said. */
export async function removeJournal(path: string): Promise<void> {
  await unlink(path).catch(() => {});
}
