/**
 * Liveness of a connection, checked on its one-second tick: a peer silent
 * for `idleTimeoutMs` is dropped, and we send a keep-alive after
 * `keepAliveMs` of our own silence (BEP 3: peers drop connections silent
 * for about two minutes).
 */
import type { Clock } from "../util/index.ts";
import { encodeMessage } from "../wire/index.ts";
import { PeerError } from "./errors.ts";
import type { MessageWriter } from "./message-writer.ts";
import type { PeerSettings } from "./types.ts";

export class KeepAlive {
  readonly #writer: MessageWriter;
  readonly #settings: Pick<PeerSettings, "idleTimeoutMs" | "keepAliveMs">;
  /** Clock time the peer last sent us anything. */
  lastReceived: number;

  constructor(clock: Clock, writer: MessageWriter, settings: PeerSettings) {
    this.#writer = writer;
    this.#settings = settings;
    this.lastReceived = clock.now();
  }

  /** Throws PeerError `idle_timeout` for a silent peer; else keeps our side alive. */
  check(now: number): void {
    const silent = now - this.lastReceived;
    if (silent >= this.#settings.idleTimeoutMs) {
      const s = Math.round(silent / 1000);
      throw new PeerError("idle_timeout", `nothing received from the peer in ${s} s`);
    }
    if (now - this.#writer.lastSent >= this.#settings.keepAliveMs) {
      this.#writer.write(encodeMessage({ type: "keep-alive" }));
    }
  }
}
