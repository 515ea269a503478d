/**
 * Resume data saved while a torrent runs: every 30 s when a piece was
 * verified since the last save, so a crash (kill -9) costs at most that
 * much re-downloading; pause, close and completion save at once.
 */
import type { PieceStore } from "../storage/index.ts";
import type { Clock, TimerHandle } from "../util/index.ts";

const RESUME_SAVE_MS = 30_000;

export class ResumeSaver {
  readonly #clock: Clock;
  readonly #store: () => PieceStore | undefined;
  readonly #warn: (err: unknown) => void;
  #timer: TimerHandle | undefined;
  /** A piece was verified since the last save. */
  dirty = false;

  constructor(clock: Clock, store: () => PieceStore | undefined, warn: (err: unknown) => void) {
    this.#clock = clock;
    this.#store = store;
    this.#warn = warn;
  }

  start(): void {
    if (this.#timer) return;
    this.#timer = this.#clock.setTimeout(async () => {
      this.#timer = undefined;
      if (this.dirty) await this.save();
      this.start();
    }, RESUME_SAVE_MS);
  }

  stop(): void {
    if (this.#timer) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** Saves now; a failure is a warning (the data itself is safe). */
  async save(): Promise<void> {
    this.dirty = false;
    await this.#store()
      ?.saveResume()
      .catch((e) => this.#warn(e));
  }
}
