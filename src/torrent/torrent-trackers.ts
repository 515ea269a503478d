/**
 * A torrent's trackers as the torrent holds them (BEP 3, BEP 12 tiers): the
 * tiers it announces to (the user's list when edited, else the metadata's,
 * then a magnet link's others), the running announcer, and the early
 * re-announces of a torrent left without peers (announcing.ts).
 *
 * The announcer and the tracker clients under it (HTTP, UDP, their codecs:
 * some twenty modules) are imported with the first start that has a
 * tracker to announce to: a daemon's seeds without trackers never load them.
 */
import type { Metainfo } from "../metainfo/index.ts";
import type { Announcer, TrackerStatus } from "../tracker-client/index.ts";
import type { PeerAddress } from "../tracker-proto/index.ts";
import { type Clock, type InfoHash, LazyModule, type Logger } from "../util/index.ts";
import type { EarlyAnnounces } from "./announcing.ts";
import type { TorrentOptions } from "./options.ts";

const announcing = new LazyModule(() => import("./announcing.ts"));

/**
 * `left` for the trackers before the metadata: unknown, but not 0, which
 * would make us a seed (libtorrent reports one block too).
 */
const LEFT_UNKNOWN = 16 * 1024;

export interface TorrentTrackersHost {
  options: TorrentOptions;
  infoHash: InfoHash;
  clock: Clock;
  logger: Logger;
  meta(): Metainfo | undefined;
  uploaded(): number;
  downloaded(): number;
  left(): number;
  /** Complete as the user asked (some files skipped), yet without every piece (BEP 21). */
  partialSeed(): boolean;
  /** Whether the torrent is active (announces run). */
  active(): boolean;
  peers(peers: PeerAddress[]): void;
  warning(message: string): void;
  /** An announce brought nobody. */
  noPeersReceived(): void;
}

/**
 * The trackers of a torrent from a magnet link: the metadata's tiers (BEP
 * 12), then the link's (`tr`) that the metadata does not name. A BEP 9 info
 * dictionary carries no trackers at all, so taking the metadata's list
 * alone would drop the link's the moment the metadata arrived.
 */
export function unionTiers(
  first: readonly (readonly string[])[],
  second: readonly (readonly string[])[],
): string[][] {
  // Most torrents of a daemon's have none (a restore asks this of each).
  if (first.length === 0 && second.length === 0) return [];
  const seen = new Set<string>();
  const out: string[][] = [];
  for (const tier of [...first, ...second]) {
    const fresh = tier.filter((url) => !seen.has(url));
    for (const url of fresh) seen.add(url);
    if (fresh.length > 0) out.push(fresh);
  }
  return out;
}

/** A metadata's tiers, then a magnet link's others (the tiers of a torrent whose list was not edited). */
export function ownTiers(meta: Metainfo | undefined, o: TorrentOptions): string[][] {
  return unionTiers(meta?.announceList ?? [], o.announceList ?? []);
}

export class TorrentTrackers {
  readonly #host: TorrentTrackersHost;
  #announcer: Announcer | undefined;
  /** Made the first time the torrent is left without peers while it has an announcer. */
  #early: EarlyAnnounces | undefined;
  #trackerList: string[][] | undefined;
  /** Started while announcing.ts was loading: the announcer starts once it is here, unless stopped meanwhile. */
  #starting = false;
  /** completed() while starting: told to the announcer once made. */
  #completedWhileStarting = false;

  constructor(host: TorrentTrackersHost) {
    this.#host = host;
    const list = host.options.trackerList;
    if (list) this.#trackerList = list.map((tier) => [...tier]);
  }

  /** The tiers announced to: the user's list when edited, else the metadata's, then a magnet link's others. */
  get announceList(): string[][] {
    return this.#trackerList ?? ownTiers(this.#host.meta(), this.#host.options);
  }

  /** The user's tracker tiers, when they were edited (undefined: the torrent's own). */
  get trackerList(): string[][] | undefined {
    return this.#trackerList;
  }

  get running(): boolean {
    return this.#announcer !== undefined || this.#starting;
  }

  /**
   * Replaces the tracker tiers. A running announcer says `stopped` to its
   * tracker first, then one for the new tiers says `started` (in that
   * order, so a tracker kept in the list does not drop us).
   */
  setTrackerList(tiers: string[][]): void {
    this.#trackerList = tiers.map((tier) => [...tier]);
    const old = this.#announcer;
    this.#announcer = undefined;
    this.#starting = false;
    const restart = () => {
      if (this.#host.active() && !this.running) this.start();
    };
    if (!old) restart();
    else
      void old
        .stop()
        .catch(() => undefined)
        .then(restart);
  }

  /** Starts announcing, unless trackers are off, there are none, or it runs already. */
  start(): void {
    const h = this.#host;
    const o = h.options;
    const announceList = this.announceList;
    if (o.trackers === false || announceList.length === 0 || this.running) return;
    const loaded = announcing.module;
    if (!loaded) {
      // The first announce of the process waits for the tracker clients' import.
      this.#starting = true;
      void announcing.load().then(
        () => {
          if (!this.#starting) return; // stopped, or the list replaced, meanwhile
          this.#starting = false;
          const completed = this.#completedWhileStarting;
          this.#completedWhileStarting = false;
          this.start();
          if (completed) this.completed();
        },
        (err: unknown) => h.warning(`tracker clients not loaded: ${String(err)}`),
      );
      return;
    }
    this.#announcer = loaded.startAnnouncer({
      infoHash: h.infoHash,
      peerId: o.peerId,
      port: o.listenPort,
      announceList,
      stats: () => ({
        uploaded: h.uploaded(),
        downloaded: h.downloaded(),
        left: h.meta() ? h.left() : LEFT_UNKNOWN,
      }),
      partialSeed: () => h.partialSeed(),
      clock: h.clock,
      logger: h.logger,
      ...(o.random ? { random: o.random } : {}),
      ...o.announcer,
      peers: (peers) => h.peers(peers),
      warning: (message) => h.warning(message),
      // An announce that brought nobody: still alone once its peers are dialled?
      announced: (status) => {
        if (status.peersReceived === 0) h.noPeersReceived();
      },
    });
  }

  /** Says `stopped` to the trackers; resolves once they were told (or gave up). */
  async stop(): Promise<void> {
    const announcer = this.#announcer;
    this.#announcer = undefined;
    this.#starting = false;
    await announcer?.stop();
  }

  announceNow(): void {
    this.#announcer?.announceNow(true);
  }

  /** Tells the trackers of a completed download (`completed`). */
  completed(): void {
    if (this.#starting) this.#completedWhileStarting = true;
    this.#announcer?.completed();
  }

  /** No peer left: the trackers may be asked early (EarlyAnnounces). */
  peerless(): void {
    if (!this.#announcer || !announcing.module) return;
    this.#early ??= new announcing.module.EarlyAnnounces();
    this.#early.peerless(this.#announcer);
  }

  /** A peer connected: the next spell without peers may ask early again. */
  peerConnected(): void {
    this.#early?.reset();
  }

  status(): TrackerStatus[] {
    return this.#announcer?.status() ?? [];
  }
}
