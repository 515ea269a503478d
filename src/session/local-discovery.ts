/**
 * The session's side of local service discovery (BEP 14): which torrents
 * the LAN hears of, and where the peers it tells of go. A torrent is
 * announced while it runs (fetching metadata, downloading or seeding) and
 * is not private: BEP 27 forbids any peer source but the trackers for a
 * private torrent, so one is never announced, and a magnet link's torrent
 * stops being announced the moment its metadata says it is private. A peer
 * heard of enters the torrent's candidate list with source "lsd", through
 * Torrent.addPeers: the same ban and port checks as a tracker's peers.
 */
import { LocalPeerDiscovery, type LocalPeerDiscoveryOptions } from "../discovery/index.ts";
import type { UdpFamily } from "../net/index.ts";
import type { Torrent, TorrentState } from "../torrent/index.ts";
import { asInfoHash, infoHashHex, type Logger } from "../util/index.ts";

const ANNOUNCED_STATES: ReadonlySet<TorrentState> = new Set(["metadata", "downloading", "seeding"]);

/** Whether a torrent may be announced on the LAN now. */
export function announcedOnLan(t: Torrent): boolean {
  return ANNOUNCED_STATES.has(t.state) && !t.metadata?.private;
}

/**
 * The groups to announce on: those of the families peers can reach us by
 * (BEP 14: announce "on each interface on which it is listening for
 * bittorrent connections"). The default listen address, 0.0.0.0, takes
 * IPv4 only, so an IPv6 announce would bring dials we refuse; "::" takes
 * both (dual stack).
 */
export function lsdFamilies(listenHost: string | undefined): UdpFamily[] {
  if (listenHost === undefined || !listenHost.includes(":")) return [4];
  return listenHost === "::" ? [4, 6] : [6];
}

export class SessionLocalDiscovery {
  readonly #lsd: LocalPeerDiscovery;
  readonly #torrents = new Map<string, Torrent>();

  private constructor(lsd: LocalPeerDiscovery) {
    this.#lsd = lsd;
    lsd.on("peer", (hash, peer) => {
      const t = this.#torrents.get(infoHashHex(hash));
      // Checked again: a torrent may have turned private or stopped since.
      if (t && announcedOnLan(t)) t.addPeers([{ ip: peer.ip, port: peer.port }], "lsd");
    });
  }

  /**
   * Joins the groups. A LAN where LSD cannot run (no multicast route, the
   * port held) is a warning, not a failure of the client: undefined then.
   */
  static async start(
    o: LocalPeerDiscoveryOptions & { logger: Logger },
  ): Promise<SessionLocalDiscovery | undefined> {
    let lsd: LocalPeerDiscovery;
    try {
      lsd = new LocalPeerDiscovery(o);
      await lsd.start();
    } catch (err) {
      o.logger.warn("local peer discovery is off", { error: (err as Error).message });
      return undefined;
    }
    return new SessionLocalDiscovery(lsd);
  }

  /** Announces the torrent while it may be; returns what stops following it. */
  watch(t: Torrent, infoHash: string): () => void {
    const hash = asInfoHash(Buffer.from(infoHash, "hex"));
    const update = () => {
      if (announcedOnLan(t)) {
        this.#torrents.set(infoHash, t);
        this.#lsd.add(hash);
      } else {
        this.#torrents.delete(infoHash);
        this.#lsd.remove(hash);
      }
    };
    t.on("state", update);
    t.on("metadata", update);
    update();
    return () => {
      t.off("state", update);
      t.off("metadata", update);
      if (this.#torrents.get(infoHash) === t) {
        this.#torrents.delete(infoHash);
        this.#lsd.remove(hash);
      }
    };
  }

  close(): Promise<void> {
    return this.#lsd.close();
  }
}
