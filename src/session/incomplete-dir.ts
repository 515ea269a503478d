/**
 * The incomplete folder (Transmission's incomplete-dir): a torrent
 * downloads into it and its data is moved to the download folder once every
 * wanted piece is verified (data-move.ts: a rename on one file system, else
 * copy with the times, then delete; the resume data stays valid). Data that
 * is already in the download folder stays there. A move that a crash cut
 * short is finished on the next start: any of the torrent's files in the
 * download folder means the move had begun (none was there when the torrent
 * went to the incomplete folder).
 */
import { stat } from "node:fs/promises";
import { join, resolve } from "node:path";
import type { Metainfo } from "../metainfo/index.ts";
import type { SessionEvent } from "./dto.ts";

/** True when any of the torrent's files is in `dir`. */
export async function hasAnyFile(meta: Metainfo, dir: string): Promise<boolean> {
  for (const f of meta.files) {
    if (f.pad) continue;
    if (
      await stat(join(dir, ...f.path)).then(
        () => true,
        () => false,
      )
    )
      return true;
  }
  return false;
}

/**
 * Where a torrent being added keeps its data until complete: the
 * incomplete folder, or undefined for the download folder itself (no
 * incomplete folder, the same folder, or data already there).
 */
export async function incompleteFolderFor(
  meta: Metainfo | undefined,
  downloadDir: string,
  incompleteDir: string | undefined,
): Promise<string | undefined> {
  if (incompleteDir === undefined || resolve(incompleteDir) === resolve(downloadDir)) {
    return undefined;
  }
  if (meta && (await hasAnyFile(meta, downloadDir))) return undefined;
  return incompleteDir;
}

/**
 * A restored torrent the session kept in `incompleteDir`: still there
 * (the folder), or moved to `downloadDir` (undefined), finishing a move a
 * crash interrupted.
 */
export async function restoredIncompleteFolder(
  meta: Metainfo | undefined,
  downloadDir: string,
  incompleteDir: string,
): Promise<string | undefined> {
  if (!meta || !(await hasAnyFile(meta, downloadDir))) return incompleteDir;
  // data-move.ts loads with the first move, not with the session (issue 16's start-up).
  const { moveTorrentData } = await import("./data-move.ts");
  await moveTorrentData(meta, incompleteDir, downloadDir);
  return undefined;
}

/**
 * Moves out of the incomplete folder as torrents complete: a torrent in it
 * that has every wanted piece moves to its download folder, and its
 * `completed` event waits for the move (so the command run on completion
 * finds the data where it stays).
 */
export class CompletionMoves {
  /** Torrents whose data is moving, by info hash. */
  readonly #moving = new Map<string, Promise<void>>();
  readonly #move: (infoHashHex: string, downloadDir: string) => Promise<void>;
  readonly #warn: (err: unknown) => void;

  constructor(
    move: (infoHashHex: string, downloadDir: string) => Promise<void>,
    warn: (err: unknown) => void,
  ) {
    this.#move = move;
    this.#warn = warn;
  }

  /** Passes the entry's event on through `emit`, starting its move when it is due. */
  relay(
    entry: { infoHashHex: string; downloadDir: string; incompleteDir?: string },
    e: SessionEvent,
    emit: (e: SessionEvent) => void,
  ): void {
    if (entry.incompleteDir && e.type === "state" && e.state === "seeding") {
      const hash = entry.infoHashHex;
      const moving = new Promise<void>((r) => setImmediate(r))
        .then(() => this.#move(hash, entry.downloadDir))
        .catch((err) => this.#warn(err))
        .finally(() => this.#moving.delete(hash));
      this.#moving.set(hash, moving);
    }
    // Only `completed` waits for a move (looked up for it alone: every
    // torrent's state changes pass here, a thousand in a restore).
    const moving = e.type === "completed" ? this.#moving.get(entry.infoHashHex) : undefined;
    if (moving) void moving.then(() => emit(e));
    else emit(e);
  }
}
