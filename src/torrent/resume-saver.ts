/**
 * Resume data saved while a torrent runs: 30 s after the first piece
 * verified since the last save, so a crash (kill -9) costs at most that
 * much re-downloading; pause, close and completion save at once. A torrent
 * that verifies nothing (a seed) holds no timer at all.
 */
import type { PieceStore } from "../storage/index.ts";
import type { Clock, TimerHandle } from "../util/index.ts";

const RESUME_SAVE_MS = 30_000;

/** What the saver asks of its torrent (torrent-hosts.ts). */
export interface ResumeHost {
  readonly clock: Clock;
  /** The torrent's data, once open. */
  storage(): PieceStore | undefined;
  /** A save failed (the data itself is safe). */
  warn(err: unknown): void;
}

export class ResumeSaver {
  readonly #host: ResumeHost;
  #timer: TimerHandle | undefined;
  /** Between start() and stop(). */
  #running = false;
  /** A piece was verified since the last save. */
  #dirty = false;

  /** `running`: made between start() and stop() (a torrent makes it at its first verified piece). */
  constructor(host: ResumeHost, running = false) {
    this.#host = host;
    this.#running = running;
  }

  start(): void {
    this.#running = true;
    if (this.#dirty) this.#arm();
  }

  stop(): void {
    this.#running = false;
    if (this.#timer) this.#host.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** A piece was verified: saved within RESUME_SAVE_MS. */
  pieceVerified(): void {
    this.#dirty = true;
    if (this.#running) this.#arm();
  }

  #arm(): void {
    if (this.#timer) return;
    this.#timer = this.#host.clock.setTimeout(() => {
      this.#timer = undefined;
      if (this.#dirty) void this.save();
    }, RESUME_SAVE_MS);
  }

  /** Saves now; a failure is a warning (the data itself is safe). */
  async save(): Promise<void> {
    this.#dirty = false;
    const host = this.#host;
    await host
      .storage()
      ?.saveResume()
      .catch((e) => host.warn(e));
  }
}
