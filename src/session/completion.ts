/**
 * Waiting for a torrent to complete, written once for every front end
 * (`shoal get`, the shell's `wait`, the api): it follows the session's
 * events, so a torrent opened again by a recheck is still followed.
 */

import type { Clock } from "../util/index.ts";
import type { SessionEvent } from "./dto.ts";
import { ClientError } from "./errors.ts";
import type { TorrentEntry } from "./registry.ts";

export interface CompletionSource {
  on(event: "event", listener: (e: SessionEvent) => void): unknown;
  off(event: "event", listener: (e: SessionEvent) => void): unknown;
}

/** Why a torrent stopped on its own (a full disk, a path the system refuses). */
export function stoppedError(name: string, reason: string | undefined): ClientError {
  return new ClientError(
    "torrent_error",
    `'${name}' stopped: ${reason ?? "an error with its data"}`,
  );
}

/**
 * Resolves when the entry's torrent has every piece (at once if it has);
 * rejects with ClientError `torrent_error` when it stops on an error,
 * `removed`, `client_closed` when the client closes first, or `timeout`.
 */
export function whenComplete(
  source: CompletionSource,
  entry: TorrentEntry,
  clock: Clock,
  timeoutMs: number | undefined,
): Promise<void> {
  if (entry.torrent.complete) return Promise.resolve();
  if (entry.torrent.state === "error") {
    return Promise.reject(stoppedError(entry.torrent.name, entry.torrent.error));
  }
  const hash = entry.infoHashHex;
  return new Promise<void>((resolve, reject) => {
    const finish = (err?: Error) => {
      if (timer) clock.clearTimeout(timer);
      source.off("event", onEvent);
      if (err) reject(err);
      else resolve();
    };
    const onEvent = (e: SessionEvent) => {
      if (e.infoHash !== hash) return;
      if (e.type === "completed" || (e.type === "state" && e.state === "seeding")) finish();
      else if (e.type === "error") finish(stoppedError(entry.torrent.name, e.message));
      else if (e.type === "removed") {
        finish(new ClientError("removed", `'${e.name}' was removed before it completed`));
      } else if (e.type === "state" && e.state === "stopped") {
        finish(new ClientError("client_closed", "the client is shutting down"));
      }
    };
    const timer =
      timeoutMs === undefined
        ? undefined
        : clock.setTimeout(() => {
            const s = entry.torrent.stats();
            finish(
              new ClientError(
                "timeout",
                `'${s.name}' is not complete after ${Math.round(timeoutMs / 100) / 10} s ` +
                  `(${(s.progress * 100).toFixed(1)}%)`,
              ),
            );
          }, timeoutMs);
    source.on("event", onEvent);
  });
}
