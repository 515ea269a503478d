/** A torrent's trackers (BEP 3, BEP 12 tiers): peers in, problems out as warnings. */
import { Announcer, type AnnouncerOptions } from "../tracker-client/index.ts";
import type { PeerAddress } from "../tracker-proto/index.ts";

export interface AnnouncingOptions extends AnnouncerOptions {
  peers(peers: PeerAddress[]): void;
  warning(message: string): void;
}

/** Starts announcing (`started`, then at the trackers' intervals). */
export function startAnnouncer(o: AnnouncingOptions): Announcer {
  const { peers, warning, ...options } = o;
  const announcer = new Announcer(options);
  announcer.on("peers", (list) => peers(list));
  announcer.on("trackerError", (url, message) => warning(`tracker ${url}: ${message}`));
  announcer.on("warning", (url, message) => warning(`tracker ${url} warns: ${message}`));
  announcer.start();
  return announcer;
}
