/**
 * The PeerConnection class, loaded with the first connection rather than
 * with the process: it and the modules under it (request pipeline, serve
 * queue, uploader, downloader, keep-alive, message receiver and writer…)
 * are most of the peer module, and a daemon whose torrents have no peers
 * never runs them. Loading them with its 1,000 seeds cost about 1 MiB of
 * anonymous RSS and 7 ms of CPU at every start.
 *
 * negotiate.ts loads it before it hands out a Negotiated, so whoever holds
 * one can open a connection on it synchronously (openPeerConnection); the
 * first connection waits for the import, every later one finds it there.
 */
import { LazyModule } from "../util/index.ts";
import { PeerError } from "./errors.ts";
import type { Negotiated } from "./negotiated.ts";
import type { PeerConnection } from "./peer-connection.ts";
import type { PeerConnectionOptions } from "./types.ts";

const connection = new LazyModule(() => import("./peer-connection.ts"));

/** Loads the connection class (once); resolves when openPeerConnection can be called. */
export function loadPeerConnection(): Promise<unknown> {
  return connection.load();
}

/** Whether openPeerConnection can be called now (nothing to wait for). */
export function peerConnectionLoaded(): boolean {
  return connection.module !== undefined;
}

/**
 * A connection on a negotiated stream (`new PeerConnection`). Every
 * Negotiated comes from negotiate.ts, which loads the class first.
 */
export function openPeerConnection(
  negotiated: Negotiated,
  options: PeerConnectionOptions,
): PeerConnection {
  const loaded = connection.module;
  if (!loaded) {
    throw new PeerError("internal", "openPeerConnection before loadPeerConnection resolved");
  }
  return new loaded.PeerConnection(negotiated, options);
}
