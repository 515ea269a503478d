/**
 * The simulation's one clock: a Clock whose time moves only when the driver
 * fires the next timer. FakeClock (src/util) scans every timer to find the
 * next one, fine for unit tests; a swarm keeps thousands (every connection's
 * keep-alive, request and rate timers, every segment on the simulated
 * network), so here they sit in a binary heap ordered by due time, then by
 * the order they were set: timers due together fire in the order they were
 * set, the rule that makes a run repeat.
 */
import type { Clock, TimerHandle } from "../../src/util/index.ts";

interface Timer extends TimerHandle {
  readonly at: number;
  readonly fn: () => void;
  cancelled: boolean;
}

export class SimClock implements Clock {
  #now: number;
  #nextId = 1;
  #heap: Timer[] = [];
  #cancelled = 0;
  /** Timers fired so far. */
  fired = 0;

  constructor(start = 0) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const timer: Timer = {
      id: this.#nextId++,
      at: this.#now + (ms > 0 ? ms : 0),
      fn,
      cancelled: false,
    };
    this.#push(timer);
    return timer;
  }

  clearTimeout(handle: TimerHandle): void {
    const timer = handle as Timer;
    if (timer.cancelled) return;
    timer.cancelled = true;
    this.#cancelled++;
    // Cancelled timers stay in the heap until due; rebuild when they are most of it.
    if (this.#cancelled > 4096 && this.#cancelled * 2 > this.#heap.length) this.#compact();
  }

  /** When the next timer is due, or undefined when none is set. */
  nextAt(): number | undefined {
    this.#dropCancelled();
    return this.#heap[0]?.at;
  }

  /** Moves time to the next timer and fires it; false when no timer is set. */
  fireNext(): boolean {
    this.#dropCancelled();
    const timer = this.#pop();
    if (!timer) return false;
    timer.cancelled = true; // clearTimeout on a fired timer does nothing
    this.#now = timer.at;
    this.fired++;
    timer.fn();
    return true;
  }

  /** Moves time to `at` where no timer falls due before it. */
  advanceTo(at: number): void {
    const next = this.nextAt();
    if (next !== undefined && next < at)
      throw new RangeError(`a timer is due at ${next}, before ${at}`);
    if (at > this.#now) this.#now = at;
  }

  /** Timers set and not yet fired or cleared. */
  get pending(): number {
    return this.#heap.length - this.#cancelled;
  }

  #dropCancelled(): void {
    while (this.#heap.length > 0 && this.#heap[0]!.cancelled) {
      this.#pop();
      this.#cancelled--;
    }
  }

  #compact(): void {
    const live = this.#heap.filter((t) => !t.cancelled);
    this.#heap = [];
    this.#cancelled = 0;
    for (const t of live) this.#push(t);
  }

  #push(timer: Timer): void {
    const heap = this.#heap;
    let i = heap.length;
    heap.push(timer);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(timer, heap[parent]!)) break;
      heap[i] = heap[parent]!;
      i = parent;
    }
    heap[i] = timer;
  }

  #pop(): Timer | undefined {
    const heap = this.#heap;
    const top = heap[0];
    const last = heap.pop();
    if (top === undefined || last === undefined || heap.length === 0) return top;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= heap.length) break;
      const r = l + 1;
      const child = r < heap.length && before(heap[r]!, heap[l]!) ? r : l;
      if (!before(heap[child]!, last)) break;
      heap[i] = heap[child]!;
      i = child;
    }
    heap[i] = last;
    return top;
  }
}

function before(a: Timer, b: Timer): boolean {
  return a.at < b.at || (a.at === b.at && a.id < b.id);
}
