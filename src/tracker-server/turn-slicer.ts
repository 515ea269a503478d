/**
 * Time slices per turn of the event loop, for work that arrives in bursts
 * (a pipeline of requests): what is done in one turn, over every caller
 * together, stops after `sliceMs`, and the rest is deferred to the next turn,
 * so the I/O waiting meanwhile (announces over UDP and on other connections,
 * a signal to stop) is served in between, whatever the burst costs.
 */
export class TurnSlicer<T> {
  readonly #sliceMs: number;
  readonly #resume: (item: T) => void;
  /** The end of this turn's slice (performance.now()), 0 when none has begun. */
  #end = 0;
  #deferred: T[] = [];
  #next: NodeJS.Immediate | undefined;

  /** `resume` is called in the next turn for each item deferred in this one. */
  constructor(sliceMs: number, resume: (item: T) => void) {
    this.#sliceMs = sliceMs;
    this.#resume = resume;
  }

  /**
   * Whether time is left in this turn's slice for one more piece of work. The
   * first call in a turn starts the slice.
   */
  timeLeft(): boolean {
    const now = performance.now();
    if (this.#end === 0) {
      this.#end = now + this.#sliceMs;
      this.#next ??= setImmediate(() => this.#turn());
      return true;
    }
    return now < this.#end;
  }

  /** `item` goes on in the next turn. */
  defer(item: T): void {
    this.#deferred.push(item);
    this.#next ??= setImmediate(() => this.#turn());
  }

  #turn(): void {
    this.#next = undefined;
    this.#end = 0;
    const deferred = this.#deferred;
    this.#deferred = [];
    for (const item of deferred) this.#resume(item);
  }

  /** Drops what was deferred (the server is closing). */
  stop(): void {
    clearImmediate(this.#next);
    this.#next = undefined;
    this.#end = 0;
    this.#deferred = [];
  }
}
