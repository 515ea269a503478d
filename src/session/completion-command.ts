/**
 * The command run when a torrent completes (Transmission's
 * script-torrent-done): the user's program, started with its arguments as
 * given (an argv list, no shell: nothing in a torrent's name can become
 * part of a command line) and the torrent's details in its environment:
 *
 *   SHOAL_TORRENT_ID     the session's short id
 *   SHOAL_TORRENT_HASH   the info hash, 40 hex digits
 *   SHOAL_TORRENT_NAME   the torrent's name
 *   SHOAL_TORRENT_DIR    the download folder (its files are at DIR/NAME…)
 *   SHOAL_TORRENT_SIZE   bytes of the torrent
 *   SHOAL_TORRENT_LABELS its labels, comma-separated
 *
 * Its output is not read; how it ended is logged. At most
 * MAX_RUNNING_COMMANDS run at once; later ones wait their turn (at most
 * MAX_WAITING_COMMANDS, beyond which they are dropped with a log line).
 */
import type { Logger } from "../util/index.ts";

export const MAX_RUNNING_COMMANDS = 4;
export const MAX_WAITING_COMMANDS = 1000;

export interface CompletedTorrent {
  id: number;
  infoHash: string;
  name: string;
  downloadDir: string;
  size: number;
  labels: readonly string[];
}

export function completionEnvironment(t: CompletedTorrent): Record<string, string> {
  return {
    SHOAL_TORRENT_ID: String(t.id),
    SHOAL_TORRENT_HASH: t.infoHash,
    SHOAL_TORRENT_NAME: t.name,
    SHOAL_TORRENT_DIR: t.downloadDir,
    SHOAL_TORRENT_SIZE: String(t.size),
    SHOAL_TORRENT_LABELS: t.labels.join(","),
  };
}

export class CompletionCommand {
  readonly #argv: readonly string[];
  readonly #log: Logger;
  readonly #waiting: CompletedTorrent[] = [];
  #running = 0;
  /** Resolves when nothing runs or waits (tests, close). */
  #idle: (() => void)[] = [];

  constructor(argv: readonly string[], logger: Logger) {
    if (argv.length === 0 || argv[0] === "")
      throw new RangeError("a completion command needs a program");
    this.#argv = argv;
    this.#log = logger;
  }

  run(t: CompletedTorrent): void {
    if (this.#running >= MAX_RUNNING_COMMANDS) {
      if (this.#waiting.length >= MAX_WAITING_COMMANDS) {
        this.#log.warn("completion command dropped: too many waiting", { infoHash: t.infoHash });
        return;
      }
      this.#waiting.push(t);
      return;
    }
    this.#start(t);
  }

  /** Resolves once every command started or waiting has ended. */
  settled(): Promise<void> {
    if (this.#running === 0 && this.#waiting.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  #start(t: CompletedTorrent): void {
    this.#running++;
    const [program, ...args] = this.#argv;
    let ended = false;
    const done = (outcome: Record<string, unknown>) => {
      if (ended) return; // a spawn that fails may report both error and exit
      ended = true;
      this.#running--;
      const next = this.#waiting.shift();
      if (next) this.#start(next);
      else if (this.#running === 0) for (const r of this.#idle.splice(0)) r();
      if (outcome.error !== undefined || outcome.code !== 0) {
        this.#log.warn("completion command failed", { infoHash: t.infoHash, ...outcome });
      } else this.#log.info("completion command ran", { infoHash: t.infoHash });
    };
    // node:child_process taken when a command runs, not loaded by every process start.
    const child = process.getBuiltinModule("node:child_process").spawn(program!, args, {
      env: { ...process.env, ...completionEnvironment(t) },
      stdio: "ignore",
      shell: false,
    });
    child.once("error", (err) => done({ error: err.message }));
    child.once("exit", (code, signal) => done(signal ? { signal } : { code }));
  }
}
