/**
 * Announces waiting for one script call of the Redis swarm store
 * (redis-swarm-store.ts): their bytes, packed as the announce script reads them
 * as they arrive, and who waits for each reply. Nothing is kept of an
 * announce but its bytes and its (callback, context) pair: no promise and no
 * object per announce, which at tens of thousands of announces a second is
 * what the collector would otherwise spend its time on. A batch that was
 * answered is emptied and used again (its buffer and list keep their size).
 * The buffer keeps room before the announces and after them for the script
 * call's request to be written around them (redis-announce-call.ts).
 */

import { type ScriptCall, writeScriptCall } from "./redis-announce-call.ts";
import {
  decodeAnnounceReplies,
  encodeAnnounce,
  MAX_ENCODED_ANNOUNCE,
} from "./redis-announce-codec.ts";
import type { SharedAnnounce, SharedAnnounceDone, SharedAnnounceReply } from "./swarm-store.ts";

/** Announces per script call at most: Redis runs nothing else while a script runs. */
export const MAX_BATCH = 256;
/** A batch's first room, in announces; it doubles as needed up to MAX_BATCH. */
const FIRST_ROOM = 16;

export class AnnounceBatch {
  /** Where the announces start: the request's header goes before them. */
  readonly #start: number;
  #bytes: Buffer;
  /** Where the announces end. */
  #length: number;
  #count = 0;
  /** For each announce, in order: its callback, then its context. */
  readonly #waiters: unknown[] = [];

  /** `headRoom`: bytes kept before the announces (redis-announce-call.ts's headRoomFor). */
  constructor(headRoom = 0) {
    this.#start = headRoom;
    this.#length = headRoom;
    // Two more: the request's closing CRLF.
    this.#bytes = Buffer.allocUnsafe(headRoom + FIRST_ROOM * MAX_ENCODED_ANNOUNCE + 2);
  }

  get count(): number {
    return this.#count;
  }

  get full(): boolean {
    return this.#count >= MAX_BATCH;
  }

  /** The announces as one string (the announce script's ARGV[5]). */
  get packed(): Buffer {
    return this.#bytes.subarray(this.#start, this.#length);
  }

  /**
   * The script call `call` `name` 1 `args`… packed (FCALL a function or
   * EVALSHA a SHA-1), as one request written around the announces in place
   * (the batch was made with room for its header): a view of the batch's
   * buffer, valid until the batch changes.
   */
  request(call: ScriptCall, name: string, args: readonly string[]): Buffer {
    return writeScriptCall(this.#bytes, this.#start, this.#length, call, name, args);
  }

  /** Packs `a` now (the caller may reuse it); `done(ctx, …)` gets its reply. */
  add<C>(a: SharedAnnounce, ctx: C, done: SharedAnnounceDone<C>): void {
    if (this.#length + MAX_ENCODED_ANNOUNCE + 2 > this.#bytes.length) {
      const bigger = Buffer.allocUnsafe(this.#bytes.length * 2);
      this.#bytes.copy(bigger, 0, 0, this.#length);
      this.#bytes = bigger;
    }
    this.#length = encodeAnnounce(a, this.#bytes, this.#length);
    const i = this.#count++;
    this.#waiters[2 * i] = done;
    this.#waiters[2 * i + 1] = ctx;
  }

  /** Empty again, for reuse once every announce has had its reply. */
  reset(): void {
    this.#waiters.fill(undefined, 0, 2 * this.#count);
    this.#count = 0;
    this.#length = this.#start;
  }

  /**
   * Gives each announce its reply from the script's reply string, in
   * `reply` (reused); if the string is short, those left get the error. A
   * callback that throws is reported to `thrown` and the others still run.
   */
  answer(r: Buffer, reply: SharedAnnounceReply, thrown: (err: unknown) => void): void {
    const waiters = this.#waiters;
    let answered = 0;
    try {
      decodeAnnounceReplies(this.#bytes, this.#start, this.#count, r, reply, (i, out) => {
        answered = i + 1;
        try {
          (waiters[2 * i] as SharedAnnounceDone<unknown>)(waiters[2 * i + 1], out, null);
        } catch (err) {
          thrown(err);
        }
      });
    } catch (err) {
      this.#failFrom(answered, err, thrown);
    }
  }

  /** Every announce gets the error (the script call failed). */
  fail(err: unknown, thrown: (err: unknown) => void): void {
    this.#failFrom(0, err, thrown);
  }

  #failFrom(first: number, err: unknown, thrown: (err: unknown) => void): void {
    const waiters = this.#waiters;
    for (let i = first; i < this.#count; i++) {
      try {
        (waiters[2 * i] as SharedAnnounceDone<unknown>)(waiters[2 * i + 1], null, err);
      } catch (e) {
        thrown(e);
      }
    }
  }
}
