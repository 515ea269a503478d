/**
 * What runs by itself around the session, when the Client's options ask:
 * the watch folder (watch-folder.ts) and the command run on completion
 * (completion-command.ts). Wired to the Client through plain functions.
 * Each is loaded only when the options turn it on, after the Client's start
 * rather than with the session module: most sessions use neither, and a
 * daemon's start-up pays for every module it loads (issue 16).
 */
import { MetainfoError } from "../metainfo/index.ts";
import type { Clock, Logger } from "../util/index.ts";
import type { ClientOptions } from "./client-options.ts";
import type { CompletedTorrent, CompletionCommand } from "./completion-command.ts";
import type { SessionEvent } from "./dto.ts";
import { ClientError } from "./errors.ts";
import type { WatchFolder, WatchOutcome } from "./watch-folder.ts";

export interface AutomationHost {
  clock: Clock;
  logger: Logger;
  add(bytes: Buffer): Promise<unknown>;
  /** A torrent's details for the completion command (undefined once removed). */
  completed(infoHash: string): CompletedTorrent | undefined;
  on(event: "event", listener: (e: SessionEvent) => void): unknown;
  off(event: "event", listener: (e: SessionEvent) => void): unknown;
}

export interface Automation {
  /** Resolves once what the options turned on has started (rejects as its making did). */
  ready: Promise<void>;
  /** Resolves once every completion command started so far has ended. */
  commandsSettled(): Promise<void>;
  close(): Promise<void>;
}

export function startAutomation(o: ClientOptions, host: AutomationHost): Automation {
  let watch: WatchFolder | undefined;
  let closed = false;
  const watching = o.watchDir
    ? import("./watch-folder.ts").then(({ WatchFolder }) => {
        if (closed) return;
        watch = new WatchFolder({
          dir: o.watchDir!,
          clock: host.clock,
          logger: host.logger,
          ...(o.watchIntervalMs !== undefined ? { intervalMs: o.watchIntervalMs } : {}),
          ...(o.watchDeleteAdded ? { deleteAdded: true } : {}),
          add: async (bytes) => {
            try {
              await host.add(bytes);
              return { outcome: "added" as WatchOutcome };
            } catch (err) {
              if (err instanceof MetainfoError) return { outcome: "invalid", reason: err.message };
              if (err instanceof ClientError && err.code === "duplicate_torrent") {
                return { outcome: "duplicate" };
              }
              throw err;
            }
          },
        });
        watch.start();
      })
    : undefined;
  // Completions seen before the command's module is there run once it is, in order.
  const command: Promise<CompletionCommand> | undefined = o.completionCommand?.length
    ? import("./completion-command.ts").then(
        ({ CompletionCommand }) => new CompletionCommand(o.completionCommand!, host.logger),
      )
    : undefined;
  const onEvent = (e: SessionEvent) => {
    if (e.type !== "completed" || !command) return;
    const t = host.completed(e.infoHash);
    if (t)
      void command.then(
        (c) => c.run(t),
        () => {},
      );
  };
  if (command) host.on("event", onEvent);
  return {
    ready: Promise.all([watching, command]).then(() => {}),
    commandsSettled: async () => (await command)?.settled(),
    async close() {
      closed = true;
      host.off("event", onEvent);
      await watching;
      await watch?.close();
    },
  };
}
