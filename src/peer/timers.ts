/** Named one-shot timers on the injected Clock: one of each name at a time. */
import type { Clock, TimerHandle } from "../util/index.ts";

/** What a part of the connection may do with the connection's timers. */
export interface TimerSlots<Name extends string> {
  set(name: Name, ms: number, fn: () => void): void;
  has(name: Name): boolean;
  clear(name: Name): void;
}

export class Timers<Name extends string> implements TimerSlots<Name> {
  readonly #clock: Clock;
  /** Runs each callback (the connection routes throws into a close). */
  readonly #run: (fn: () => void) => void;
  readonly #handles = new Map<Name, TimerHandle>();

  constructor(clock: Clock, run: (fn: () => void) => void) {
    this.#clock = clock;
    this.#run = run;
  }

  /** (Re)arms `name` to fire `fn` after `ms`. */
  set(name: Name, ms: number, fn: () => void): void {
    this.clear(name);
    const handle = this.#clock.setTimeout(() => {
      this.#handles.delete(name);
      this.#run(fn);
    }, ms);
    this.#handles.set(name, handle);
  }

  has(name: Name): boolean {
    return this.#handles.has(name);
  }

  clear(name: Name): void {
    const handle = this.#handles.get(name);
    if (handle) this.#clock.clearTimeout(handle);
    this.#handles.delete(name);
  }

  clearAll(): void {
    for (const name of [...this.#handles.keys()]) this.clear(name);
  }
}
