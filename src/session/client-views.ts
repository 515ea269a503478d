/**
 * What the Client shows of its torrents: plain data for front ends
 * (dto.ts, made in views.ts), its files' bytes as they are verified, and the
 * .torrent files. Client (client.ts) extends this with everything that
 * changes the session; reading here changes nothing.
 */
import { EventEmitter } from "node:events";
import type { Torrent } from "../torrent/index.ts";
import { type Clock, type PeerId, toHex } from "../util/index.ts";
import type { ClientEvents } from "./client-options.ts";
import type {
  ActiveRates,
  ClientView,
  FileView,
  Limits,
  PeerView,
  PieceActivityView,
  TorrentDetail,
  TorrentSummary,
  TrackerView,
} from "./dto.ts";
import { ClientError } from "./errors.ts";
import { clientStream } from "./file-reading.ts";
import type { PeerSources } from "./peer-sources.ts";
import { pieceActivityView } from "./piece-activity-view.ts";
import { type TorrentEntry, TorrentRegistry } from "./registry.ts";
import type { SessionKeeping } from "./session-keeping.ts";
import type { SessionLimits } from "./session-limits.ts";
import { torrentFileOf } from "./torrent-files.ts";
import {
  clientView,
  fileViews,
  peerViews,
  torrentDetail,
  torrentSummariesWithFields,
  torrentSummary,
  trackerViews,
} from "./views.ts";

/** What the views read besides the torrents (set by the Client once made). */
export interface ViewedParts {
  peerId: PeerId;
  port: () => number;
  downloadDir: string;
  clock: Clock;
  limits: SessionLimits;
  keeping: SessionKeeping;
  sources: PeerSources;
}

export class ClientViews extends EventEmitter<ClientEvents> {
  /** The session's torrents (registry.ts). */
  protected readonly registry = new TorrentRegistry();
  #parts: ViewedParts | undefined;

  /** Called once by the Client's constructor. */
  protected showing(parts: ViewedParts): void {
    this.#parts = parts;
  }

  get #v(): ViewedParts {
    if (!this.#parts) throw new Error("ClientViews: showing() was not called");
    return this.#parts;
  }

  get torrents(): Torrent[] {
    return this.registry.entries().map((e) => e.torrent);
  }

  get(infoHashHex: string): Torrent | undefined {
    return this.registry.get(infoHashHex)?.torrent;
  }

  /**
   * The info hash of a torrent named by its short id (`2`) or a unique
   * prefix of its info hash (`3fa2`). Throws ClientError `missing_ref`,
   * `not_found` or `ambiguous`.
   */
  resolve(ref: string | number | undefined): string {
    return this.registry.resolve(ref).infoHashHex;
  }

  /** The limits in force: global, and each torrent's own. */
  limits(): Limits & { torrents: Record<string, Limits> } {
    return this.#v.limits.all();
  }

  view(): ClientView {
    const v = this.#v;
    const view = clientView(this.registry.entries(), {
      peerId: toHex(v.peerId),
      port: v.port(),
      limits: v.limits.global,
      downloadDir: v.downloadDir,
    });
    const dht = v.sources.dhtStats();
    if (dht) view.dht = dht;
    return view;
  }

  /** The session's rates (bytes/s), the sum of every torrent's; cheap while no peer is connected. */
  rates(): { downloadRate: number; uploadRate: number } {
    return this.#v.limits.rates();
  }

  /** The session's rates and each torrent moving data, in one walk; none walked while no peer is connected. */
  activeRates(): ActiveRates {
    return this.#v.limits.activeRates();
  }

  summaries(): TorrentSummary[] {
    return this.registry.entries().map(torrentSummary);
  }

  /** Every torrent's summary with only `fields` (those it has): cheap for the entry's own fields. */
  summaryFields(fields: readonly (keyof TorrentSummary)[]): Partial<TorrentSummary>[] {
    return torrentSummariesWithFields(this.registry.entries(), fields);
  }

  summary(infoHashHex: string): TorrentSummary {
    return torrentSummary(this.entry(infoHashHex));
  }

  detail(infoHashHex: string): TorrentDetail {
    const entry = this.entry(infoHashHex);
    const copy = entry.torrent.metadata ? this.#v.keeping.copyPath(entry.infoHashHex) : undefined;
    return torrentDetail(entry, this.#v.clock.now(), copy);
  }

  peers(infoHashHex: string): PeerView[] {
    return peerViews(this.entry(infoHashHex).torrent);
  }

  /** Have, availability and in-flight pieces, for a live piece map. */
  pieceActivity(infoHashHex: string): PieceActivityView {
    return pieceActivityView(this.entry(infoHashHex).torrent);
  }

  files(infoHashHex: string): FileView[] {
    return fileViews(this.entry(infoHashHex).torrent);
  }

  trackers(infoHashHex: string): TrackerView[] {
    return trackerViews(this.entry(infoHashHex), this.#v.clock.now());
  }

  /**
   * Bytes [start, end) of file `index`, each piece's once verified; the
   * torrent fetches them first while the reader waits (streaming).
   * ClientError `no_metadata`, `not_found`, `file_skipped` or `bad_range` at
   * once; `timeout` or `torrent_error` while reading (file-reading.ts).
   */
  readFile(
    infoHashHex: string,
    index: number,
    range: { start: number; end: number },
    opts: { signal?: AbortSignal } = {},
  ): AsyncGenerator<Buffer> {
    const torrent = this.entry(infoHashHex).torrent;
    return clientStream(() => torrent.readFile(index, range.start, range.end, opts));
  }

  /** The .torrent file: as given, or the session's copy, or made from the metadata. */
  async torrentFile(infoHashHex: string): Promise<Buffer> {
    const entry = this.entry(infoHashHex);
    const bytes = entry.bytes ?? (await this.#v.keeping.readCopy(entry.infoHashHex));
    if (bytes) return bytes;
    if (!entry.torrent.metadata) {
      throw new ClientError("no_metadata", `'${entry.torrent.name}' has no metadata yet`);
    }
    return torrentFileOf(entry.torrent.metadata);
  }

  /** The torrent's entry; ClientError `unknown_torrent` when it is not in this client. */
  protected entry(infoHashHex: string): TorrentEntry {
    const entry = this.registry.get(infoHashHex);
    if (!entry) {
      throw new ClientError("unknown_torrent", `no torrent ${infoHashHex} in this client`);
    }
    return entry;
  }
}
