/**
 * One connected peer as the torrent sees it: the wire connection plus what
 * the picker and choker need (an id, the peer's pieces, its rate) and where
 * it can be reached again.
 */
import type { Bitfield } from "../bitfield/index.ts";
import type { ChokerPeer } from "../choker/index.ts";
import type { PeerConnection } from "../peer/index.ts";
import type { PickerPeer } from "../picker/index.ts";
import { formatEndpoint } from "../util/index.ts";
import type { BlockRef } from "../wire/index.ts";
import type { KnownPeer } from "./known-peers.ts";

let nextSerial = 1;

/** How long a peer that let its upload slot go unused gets none (UploadSlots). */
const WASTED_SLOT_MS = 30_000;

export class SwarmPeer implements PickerPeer {
  readonly id: string;
  readonly conn: PeerConnection;
  readonly host: string;
  /** The port the peer listens on, when known (we dialled it, or BEP 10 `p`). */
  listenPort: number | undefined;
  /** The known address this connection stands for (its history is kept there). */
  known: KnownPeer | undefined;
  readonly outgoing: boolean;
  lastBlockAt: number | undefined;
  /** The peer has unchoked us at some point (it shares with us). */
  everUnchokedUs = false;
  /** The newest block the peer asked us for (what it is fetching, for the console). */
  lastRequest: BlockRef | undefined;
  /** Clock time of the peer's newest request (its use to us, eviction.ts). */
  lastRequestAt: number | undefined;
  /** When we last unchoked the peer (UploadSlots). */
  unchokedAt: number | undefined;
  /** When the peer was last choked for asking nothing in its slot (UploadSlots). */
  wastedSlotAt: number | undefined;
  /** Seeds we connected to while seeding ourselves are closed at once. */
  readonly connectedAt: number;
  /** We have wanted some of the peer's pieces (as seen at a choke round). */
  #wanted = false;

  constructor(
    conn: PeerConnection,
    host: string,
    port: number | undefined,
    outgoing: boolean,
    now: number,
  ) {
    this.conn = conn;
    this.host = host;
    this.listenPort = port;
    this.outgoing = outgoing;
    this.connectedAt = now;
    this.id = `${host}:${port ?? conn.remotePort ?? 0}#${nextSerial++}`;
    conn.on("request", (ref) => {
      this.lastRequest = ref;
    });
  }

  get have(): Bitfield {
    return this.conn.peerBitfield;
  }

  get rate(): number {
    return this.conn.stats.downloadRate;
  }

  /** "ip:port" of the peer's listen port, to dial it again or avoid dialling twice. */
  get address(): string | undefined {
    return this.listenPort === undefined ? undefined : formatEndpoint(this.host, this.listenPort);
  }

  /** The key bans are kept under (see banKey). */
  get banKey(): string {
    return banKey(this.host, this.listenPort ?? this.conn.remotePort ?? 0);
  }

  /** The peer let a slot go unused within WASTED_SLOT_MS: it waits behind the others' turns. */
  wastedSlot(now: number): boolean {
    return this.wastedSlotAt !== undefined && now - this.wastedSlotAt < WASTED_SLOT_MS;
  }

  chokerView(now: number): ChokerPeer {
    const s = this.conn.stats;
    if (s.amInterested) this.#wanted = true;
    const stalled = this.conn.uploadStalled;
    const view: ChokerPeer = {
      id: this.id,
      peerInterested: s.peerInterested,
      amInterested: s.amInterested,
      downloadRate: s.downloadRate,
      // Bytes sitting in a backed-up transport are not upload (UploadSlots).
      uploadRate: stalled ? 0 : s.uploadRate,
      uploadStalled: stalled,
      wastedSlot: this.wastedSlot(now),
      connectedAt: this.connectedAt,
      isSeed: this.have.isComplete(),
      reciprocated: this.everUnchokedUs || this.lastBlockAt !== undefined,
      // It took our data and had pieces we wanted: it could have shared back
      // (a newcomer with nothing we want could not; see Choker.freeRider).
      owesUs: this.#wanted && s.uploaded > 0,
    };
    if (this.lastBlockAt !== undefined) view.lastBlockAt = this.lastBlockAt;
    return view;
  }
}

/**
 * Bans are by address, as real clients keep them. On loopback many peers of
 * one machine share an address, so there the port tells them apart.
 */
export function banKey(host: string, port: number): string {
  const loopback = host.startsWith("127.") || host === "::1" || host === "::ffff:127.0.0.1";
  return loopback ? formatEndpoint(host, port) : host;
}
