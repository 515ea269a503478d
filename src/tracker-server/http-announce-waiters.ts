/**
 * HTTP announces waiting for the shared swarm store (issue 19): each is a
 * SharedWaiter that knows its connection (an HttpLater) and the reply's form
 * the client asked for (BEP 23 compact, BEP 3 no_peer_id, its address
 * family). The waiters are kept and reused, as the UDP front end does with
 * its own, so an announce on its way to Redis and back allocates no promise,
 * closure or object of its own.
 */
import type { AnnounceOutcome, SharedWaiter } from "./announce-handler.ts";
import type { HttpResponse } from "./http-reply-writer.ts";
import type { HttpLater } from "./http-types.ts";

/** Free waiters kept for reuse at most (more than this wait only in a burst). */
const MAX_KEPT = 4096;

/** Renders an announce's outcome as the reply (into memory reused by the next one). */
export type AnnounceRenderer = (
  out: AnnounceOutcome,
  isCompact: boolean,
  noPeerId: boolean,
  family: 4 | 6,
) => HttpResponse;

interface HttpAnnounceWaiter extends SharedWaiter {
  later: HttpLater | null;
  isCompact: boolean;
  noPeerId: boolean;
  family: 4 | 6;
}

export class HttpAnnounceWaiters {
  readonly #free: HttpAnnounceWaiter[] = [];
  readonly #render: AnnounceRenderer;

  constructor(render: AnnounceRenderer) {
    this.#render = render;
  }

  /** A waiter answering `later` in the given form; its `done` gives it back. */
  take(later: HttpLater, isCompact: boolean, noPeerId: boolean, family: 4 | 6): SharedWaiter {
    const w = this.#free.pop() ?? { done: this.#done, later: null, isCompact, noPeerId, family };
    w.later = later;
    w.isCompact = isCompact;
    w.noPeerId = noPeerId;
    w.family = family;
    return w;
  }

  readonly #done = (sw: SharedWaiter, out: AnnounceOutcome | null, err: unknown): void => {
    const w = sw as HttpAnnounceWaiter;
    const later = w.later as HttpLater;
    w.later = null;
    const { isCompact, noPeerId, family } = w;
    if (this.#free.length < MAX_KEPT) this.#free.push(w);
    // The outcome is reused by the store: rendered now, and answer() writes it at once.
    if (out === null) later.fail(err);
    else later.answer(this.#render(out, isCompact, noPeerId, family));
  };
}
