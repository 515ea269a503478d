/**
 * The one inner view of a torrent its parts' hosts read (torrent.ts makes
 * one per torrent), their shared base, and the trackers' host: loaded with
 * the torrent, as a torrent holds its trackers from its start; the swarm's
 * hosts (torrent-hosts.ts) load with the swarm (swarm-loader.ts).
 */
import type { EventEmitter } from "node:events";
import type { Metainfo } from "../metainfo/index.ts";
import type { ExtensionRegistry } from "../peer/index.ts";
import type { PieceStore } from "../storage/index.ts";
import type { PeerAddress } from "../tracker-proto/index.ts";
import type { Clock, InfoHash, Logger } from "../util/index.ts";
import type { PeerSource } from "./known-peers.ts";
import { isActive } from "./lifecycle.ts";
import type { TorrentEvents, TorrentOptions } from "./options.ts";
import type { PeerSet } from "./peer-set.ts";
import type { Requester } from "./requesting.ts";
import type { SwarmPeer } from "./swarm-peer.ts";
import type { TorrentTrackersHost } from "./torrent-trackers.ts";
import type { TorrentState } from "./types.ts";
import type { UploadSlots } from "./upload-slots.ts";

/** The torrent as its parts' hosts read it (torrent.ts makes one per torrent). */
export interface TorrentInner {
  readonly options: TorrentOptions;
  readonly infoHash: InfoHash;
  readonly clock: Clock;
  readonly logger: Logger;
  /** The torrent itself, for its events. */
  readonly events: EventEmitter<TorrentEvents>;
  readonly state: TorrentState;
  readonly meta: Metainfo | undefined;
  readonly storage: PieceStore | undefined;
  readonly requester: Requester | undefined;
  /** The requester, made now if the data is open (a peer connects to an idle seed). */
  needRequester(): Requester | undefined;
  /** The peer set, made when first asked for (an idle seed has none: views read `peers`). */
  readonly peerSet: PeerSet;
  /** Addresses to dial (the set made, and the swarm loaded, first if need be). */
  addPeers(addresses: readonly PeerAddress[], source: PeerSource): void;
  readonly uploadSlots: UploadSlots;
  readonly extensions: ExtensionRegistry;
  readonly complete: boolean;
  readonly uploaded: number;
  readonly left: number;
  /** Complete as the user asked, yet without every piece (BEP 21). */
  readonly partialSeed: boolean;
  warn(err: unknown): void;
  /** `warn`, as one function made once (handed to each block served). */
  readonly onWarning: (err: unknown) => void;
  peerConnected(peer: SwarmPeer): void;
  peerClosed(peer: SwarmPeer, reason: string): void;
  /** No connection and no dial left (the trackers may be asked early). */
  peerless(): void;
  /** BEP 9: a fetched info dictionary hashed right. */
  metadataVerified(info: Buffer): void;
  pieceVerified(index: number): void;
  completed(): void;
  /** The data refuses pieces for good. */
  failed(err: Error): void;
}

/** What every host reads of the torrent, once on a shared prototype. */
export class TorrentPartHost {
  protected readonly t: TorrentInner;
  constructor(t: TorrentInner) {
    this.t = t;
  }
  get infoHash(): InfoHash {
    return this.t.infoHash;
  }
  get clock(): Clock {
    return this.t.clock;
  }
  get logger(): Logger {
    return this.t.logger;
  }
}

export class TrackersHost extends TorrentPartHost implements TorrentTrackersHost {
  get options(): TorrentOptions {
    return this.t.options;
  }
  meta(): Metainfo | undefined {
    return this.t.meta;
  }
  uploaded(): number {
    return this.t.uploaded;
  }
  downloaded(): number {
    return this.t.requester?.downloaded ?? 0;
  }
  left(): number {
    return this.t.left;
  }
  partialSeed(): boolean {
    return this.t.partialSeed;
  }
  active(): boolean {
    return isActive(this.t.state);
  }
  peers(peers: PeerAddress[]): void {
    this.t.addPeers(peers, "tracker");
  }
  warning(message: string): void {
    this.t.events.emit("warning", message);
  }
  noPeersReceived(): void {
    const t = this.t;
    t.clock.setTimeout(() => t.peerless(), 0);
  }
}
