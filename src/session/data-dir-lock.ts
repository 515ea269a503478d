/**
 * One shoal process per data dir. Two of them on one dir (two shells, or a
 * shell and a `get`) would both start the same torrents, seed them twice
 * under two peer ids and write the same resume files. The first takes
 * <data-dir>/lock, a file holding its PID, created with O_EXCL so only one
 * can; the next is refused with one line naming the holder. A lock left
 * behind by a process that died (kill -9, a crash) names a PID that no
 * longer runs, and is taken over.
 */
import { open, readFile, unlink } from "node:fs/promises";
import { join } from "node:path";
import { ShoalError } from "../util/index.ts";

export class DataDirLockedError extends ShoalError {
  readonly pid: number | undefined;

  constructor(dataDir: string, pid: number | undefined) {
    super(
      "data_dir_locked",
      `the data dir ${dataDir} is in use by another shoal${pid ? ` (PID ${pid})` : ""}; ` +
        "stop that one, or give this one its own --data-dir",
    );
    this.pid = pid;
  }
}

export interface DataDirLock {
  readonly path: string;
  /** Removes the lock file (if it is still ours). */
  release(): Promise<void>;
}

const LOCK_FILE = "lock";

/** True when a process with this PID exists (signal 0 only checks). */
function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists, under another user.
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

async function holder(path: string): Promise<number | undefined> {
  try {
    const pid = Number((await readFile(path, "utf8")).trim());
    return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Takes the data dir's lock (the dir must exist), or throws DataDirLockedError. */
export async function lockDataDir(dataDir: string): Promise<DataDirLock> {
  const path = join(dataDir, LOCK_FILE);
  const mine = String(process.pid);
  // A few rounds: a stale lock is removed and the create tried again; a
  // process that wins that race between our read and our retry is a holder.
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const handle = await open(path, "wx");
      try {
        await handle.writeFile(`${mine}\n`);
      } finally {
        await handle.close();
      }
      return {
        path,
        async release() {
          if ((await holder(path)) === process.pid) await unlink(path).catch(() => {});
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    }
    const pid = await holder(path);
    // A lock being written this instant reads empty: give its writer a moment.
    if (pid === undefined && attempt === 0) {
      await new Promise((r) => setTimeout(r, 50));
      continue;
    }
    if (pid !== undefined && running(pid)) throw new DataDirLockedError(dataDir, pid);
    // Stale (its process is gone) or unreadable: take it over, if it is
    // still the same stale file a moment later.
    if ((await holder(path)) !== pid) continue;
    await unlink(path).catch(() => {});
  }
  throw new DataDirLockedError(dataDir, await holder(path));
}
