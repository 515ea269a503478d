/**
 * The one facade every front end talks to (DESIGN.md): the CLI's commands,
 * the shell, and the daemon's HTTP routes, SSE events and Transmission RPC
 * adapter are thin adapters over it. It wraps a session's Client; every
 * method takes and returns plain JSON values (types.ts, the session's
 * dto.ts), names torrents by reference (a short id or a unique info-hash
 * prefix), and throws only ApiError (errors.ts) for anything but a bug.
 */
import { isAbsolute } from "node:path";
import { parseMetainfo } from "../metainfo/index.ts";
import type { ActiveRates, AddOptions, Client, TorrentSource } from "../session/index.ts";
import { ApiError, toApiError } from "./errors.ts";
import { type ListChanges, ListVersions } from "./list-changes.ts";
import type { TrackerEditRequest } from "./tracker-edits.ts";
import type { TrackerIndex } from "./tracker-index.ts";
import { openTrackerIndex } from "./tracker-index-loader.ts";
import type {
  AddFromIndexRequest,
  AddRequest,
  ApiEvent,
  ApiListener,
  ClientView,
  FilesRequest,
  FileView,
  IndexEntry,
  LabelsRequest,
  Limits,
  LimitsRequest,
  ListRequest,
  ManageSettingsView,
  MoveRequest,
  PeerView,
  PieceActivityView,
  PieceMap,
  PieceOrderRequest,
  PublishRequest,
  PublishResult,
  QueueMoveRequest,
  RemoveRequest,
  SeedingGoalsRequest,
  SessionEventType,
  SessionStats,
  TorrentDetail,
  TorrentRef,
  TorrentSummary,
  TrackerView,
  WaitRequest,
} from "./types.ts";
import {
  addOptions,
  base64Bytes,
  exactlyOneSource,
  limitsOf,
  pickFields,
  summaryFields,
} from "./validation.ts";

export interface ShoalApiOptions {
  /** The shoal tracker whose index publish, index and addFromIndex use (its announce URL). */
  tracker?: string;
  /** The tracker's publish token. */
  publishToken?: string;
}

export class ShoalApi {
  readonly #client: Client;
  readonly #index: TrackerIndex | undefined;
  readonly #startedAt = Date.now();
  readonly #listVersions = new ListVersions();

  constructor(client: Client, opts: ShoalApiOptions = {}) {
    this.#client = client;
    this.#index = opts.tracker ? openTrackerIndex(opts.tracker, opts.publishToken) : undefined;
  }

  // ---- the client ------------------------------------------------------------------

  client(): ClientView {
    return this.#client.view();
  }

  /**
   * The session's rates and [info hash, down, up] of each torrent moving data
   * (bytes/s), in one walk: cheap to read every second, none walked while no
   * peer is connected.
   */
  activeRates(): ActiveRates {
    return this.#client.activeRates();
  }

  /** Sets the global limits (bytes/s; 0 = none), kept with the session; the limits now. */
  async setLimits(req: LimitsRequest): Promise<Limits> {
    return guard(async () => {
      this.#client.setLimits(limitsOf(req));
      await this.#client.flush();
      return this.#client.view().limits;
    });
  }

  /** The client's view with this session's transfer totals and how long it has run. */
  stats(): SessionStats {
    const view = this.#client.view();
    let downloaded = 0;
    let uploaded = 0;
    for (const s of this.#client.summaries()) {
      downloaded += s.downloaded;
      uploaded += s.uploaded;
    }
    const secondsActive = Math.floor((Date.now() - this.#startedAt) / 1000);
    return { ...view, downloaded, uploaded, secondsActive };
  }

  /** The incomplete folder new torrents download into (null: none; see session/incomplete-dir.ts). */
  incompleteDir(): { incompleteDir: string | null } {
    return { incompleteDir: this.#client.incompleteDir ?? null };
  }

  /** Sets or clears (null) the incomplete folder for torrents added from now on; an absolute path. */
  setIncompleteDir(req: { incompleteDir: string | null }): { incompleteDir: string | null } {
    return guardSync(() => {
      const dir = req?.incompleteDir;
      if (dir !== null && (typeof dir !== "string" || !isAbsolute(dir))) {
        throw new ApiError("invalid_input", "incompleteDir: give an absolute path, or null");
      }
      this.#client.setIncompleteDir(dir ?? undefined);
      return this.incompleteDir();
    });
  }

  // ---- torrents --------------------------------------------------------------------

  /** Every torrent in the order added; with `fields`, only those of each. */
  list(): TorrentSummary[];
  list(req: ListRequest): Partial<TorrentSummary>[];
  list(req: ListRequest = {}): Partial<TorrentSummary>[] {
    return guardSync(() => {
      if (req.fields === undefined) return this.#client.summaries();
      return this.#client.summaryFields(summaryFields(req.fields));
    });
  }

  /**
   * The list's changes since a version this gave (list-changes.ts), or the
   * whole list without one; with `fields`, only those of each torrent.
   */
  listChanges(req: ListRequest & { since?: string } = {}): ListChanges {
    return guardSync(() => {
      const fields = req.fields === undefined ? undefined : summaryFields(req.fields);
      if (req.since !== undefined && (typeof req.since !== "string" || req.since.length > 64)) {
        throw new ApiError("invalid_input", "since: give the version a list of changes gave");
      }
      return this.#listVersions.changes(this.#client.summaries(), req.since, (s) =>
        fields ? pickFields(s, fields) : s,
      );
    });
  }

  get(ref: TorrentRef): TorrentDetail {
    return guardSync(() => this.#client.detail(this.#hash(ref)));
  }

  /** Adds a torrent (a .torrent's bytes or path, a magnet link, an info hash); its summary. */
  async add(req: AddRequest): Promise<TorrentSummary> {
    return guard(async () => {
      const kind = exactlyOneSource(req);
      let source: TorrentSource;
      if (kind === "torrent") source = base64Bytes(req.torrent!, "torrent");
      else if (kind === "path") source = req.path!;
      else if (kind === "magnet") source = req.magnet!;
      // torrent-url.ts loads with the first add by URL (issue 16's start-up).
      else if (kind === "url")
        source = await (await import("./torrent-url.ts")).fetchTorrentUrl(req.url!);
      else {
        source = { infoHash: req.infoHash!, trackers: req.trackers ?? [] };
        if (req.name !== undefined) source.name = req.name;
      }
      const options = addOptions(req);
      const { addSelection } = await manageValidation();
      return this.#add(source, { ...options, ...addSelection(req) });
    });
  }

  async pause(ref: TorrentRef): Promise<TorrentSummary> {
    return guard(async () => {
      const hash = this.#hash(ref);
      await this.#client.pause(hash);
      return this.#client.summary(hash);
    });
  }

  async resume(ref: TorrentRef): Promise<TorrentSummary> {
    return guard(async () => {
      const hash = this.#hash(ref);
      await this.#client.resume(hash);
      return this.#client.summary(hash);
    });
  }

  /** Pauses every torrent; their summaries. */
  async pauseAll(): Promise<TorrentSummary[]> {
    return guard(async () => {
      const hashes = this.#client.summaries().map((s) => s.infoHash);
      await Promise.all(hashes.map((h) => this.#client.pause(h)));
      return this.#client.summaries();
    });
  }

  /** Hashes every piece on disk again (ignoring resume data). */
  async recheck(ref: TorrentRef): Promise<TorrentSummary> {
    return guard(async () => {
      const hash = this.#hash(ref);
      await this.#client.recheck(hash);
      return this.#client.summary(hash);
    });
  }

  /** Announces to its trackers now. */
  async reannounce(ref: TorrentRef): Promise<TorrentSummary> {
    return guard(async () => {
      const hash = this.#hash(ref);
      this.#client.reannounce(hash);
      return this.#client.summary(hash);
    });
  }

  /** Removes a torrent (its files stay unless `deleteData`); its last summary. */
  async remove(ref: TorrentRef, req: RemoveRequest = {}): Promise<TorrentSummary> {
    return guard(async () => {
      const hash = this.#hash(ref);
      const last = this.#client.summary(hash);
      await this.#client.remove(hash, { deleteData: req.deleteData === true });
      return last;
    });
  }

  /** Sets a torrent's own limits (bytes/s; 0 = only the global ones). */
  async setTorrentLimits(ref: TorrentRef, req: LimitsRequest): Promise<TorrentSummary> {
    return guard(async () => {
      const hash = this.#hash(ref);
      this.#client.setTorrentLimits(hash, limitsOf(req));
      await this.#client.flush();
      return this.#client.summary(hash);
    });
  }

  /** Moves its data to another folder (not rechecked: the resume data moves with it). */
  async move(ref: TorrentRef, req: MoveRequest): Promise<TorrentSummary> {
    return guard(async () => {
      const hash = this.#hash(ref);
      if (typeof req?.downloadDir !== "string" || !isAbsolute(req.downloadDir)) {
        throw new ApiError("invalid_input", "downloadDir: give an absolute folder");
      }
      await this.#client.move(hash, req.downloadDir);
      return this.#client.summary(hash);
    });
  }

  /** The verified pieces: a BEP 3 bitfield (first piece in the high bit), base64. */
  pieces(ref: TorrentRef): PieceMap {
    return guardSync(() => {
      const d = this.#client.detail(this.#hash(ref));
      return { pieceCount: d.pieceCount, piecesHave: d.piecesHave, bitfield: d.pieces };
    });
  }

  /** The live piece map: have, availability and in-flight pieces (compact for large torrents). */
  pieceActivity(ref: TorrentRef): PieceActivityView {
    return guardSync(() => this.#client.pieceActivity(this.#hash(ref)));
  }

  files(ref: TorrentRef): FileView[] {
    return guardSync(() => this.#client.files(this.#hash(ref)));
  }

  /**
   * File `index` of a torrent, to read as it downloads (streaming): its
   * view, and its bytes [start, end) in order, each piece's once verified;
   * the torrent fetches them first while the reader waits. ApiError
   * `not_found` for no such file, `file_skipped` for a skipped one; reading
   * throws `timeout` when a piece does not come, `torrent_error` when the
   * torrent stops.
   */
  file(
    ref: TorrentRef,
    index: number,
  ): {
    view: FileView;
    read(start: number, end: number, opts?: { signal?: AbortSignal }): AsyncIterable<Buffer>;
  } {
    return guardSync(() => {
      const hash = this.#hash(ref);
      const files = this.#client.files(hash);
      const view = files[index];
      if (files.length === 0) {
        throw new ApiError("no_metadata", "the torrent has no metadata yet: its files are unknown");
      }
      if (!view || view.padding) {
        throw new ApiError("not_found", `the torrent has no file ${index}`);
      }
      if (!view.wanted) {
        throw new ApiError("file_skipped", `${view.path} is skipped: want it first`);
      }
      const client = this.#client;
      return {
        view,
        read: (start, end, opts = {}) =>
          guardSync(() => translated(client.readFile(hash, index, { start, end }, opts))),
      };
    });
  }

  /**
   * Changes files' priorities (selective download; `skip`: not downloaded
   * nor created), live and kept with the session; the files after.
   */
  async setFiles(ref: TorrentRef, req: FilesRequest): Promise<FileView[]> {
    return guard(async () => {
      const hash = this.#hash(ref);
      const files = this.#client.files(hash);
      if (files.length === 0) {
        throw new ApiError("no_metadata", "the torrent has no metadata yet: its files are unknown");
      }
      const { applyFilesRequest } = await manageValidation();
      const next = applyFilesRequest(
        files.map((f) => f.priority),
        req,
      );
      await this.#client.setFilePriorities(hash, next);
      return this.#client.files(hash);
    });
  }

  /** Sequential download and first-and-last-piece priority, live; the summary after. */
  async setPieceOrder(ref: TorrentRef, req: PieceOrderRequest): Promise<TorrentSummary> {
    return guard(async () => {
      const hash = this.#hash(ref);
      const { pieceOrderOf } = await manageValidation();
      await this.#client.setPieceOrder(hash, pieceOrderOf(req));
      return this.#client.summary(hash);
    });
  }

  // ---- queues, seeding goals, labels ----------------------------------------------

  /** The queue limits and seeding goals of the session (0: none). */
  manageSettings(): ManageSettingsView {
    return this.#client.managed.settings();
  }

  /** Changes queue limits and seeding goals live (kept); the settings after. */
  async setManageSettings(req: Partial<ManageSettingsView>): Promise<ManageSettingsView> {
    return guard(async () => {
      if (typeof req !== "object" || req === null) {
        throw new ApiError("invalid_input", "give the settings to change");
      }
      return this.#client.managed.setSettings(req);
    });
  }

  /** Moves a torrent in the queue; its summary after. */
  async moveInQueue(ref: TorrentRef, req: QueueMoveRequest): Promise<TorrentSummary> {
    return guard(async () => {
      const hash = this.#hash(ref);
      const { queueMoveOf } = await manageValidation();
      await this.#client.managed.move(hash, queueMoveOf(req));
      return this.#client.summary(hash);
    });
  }

  /** Replaces a torrent's labels; its summary after. */
  async setLabels(ref: TorrentRef, req: LabelsRequest): Promise<TorrentSummary> {
    return guard(async () => {
      const hash = this.#hash(ref);
      await this.#client.managed.setLabels(hash, req?.labels);
      return this.#client.summary(hash);
    });
  }

  /** Every label in use. */
  labels(): string[] {
    return this.#client.managed.labels();
  }

  /** A torrent's own seeding goals; its summary after. */
  async setSeedingGoals(ref: TorrentRef, req: SeedingGoalsRequest): Promise<TorrentSummary> {
    return guard(async () => {
      const hash = this.#hash(ref);
      const { seedingGoalsOf } = await manageValidation();
      await this.#client.managed.setSeedingGoals(hash, seedingGoalsOf(req));
      return this.#client.summary(hash);
    });
  }

  peers(ref: TorrentRef): PeerView[] {
    return guardSync(() => this.#client.peers(this.#hash(ref)));
  }

  trackers(ref: TorrentRef): TrackerView[] {
    return guardSync(() => this.#client.trackers(this.#hash(ref)));
  }

  /**
   * Adds, removes and replaces trackers (tracker-edits.ts), all or nothing;
   * kept with the session. The trackers after.
   */
  async editTrackers(ref: TorrentRef, req: TrackerEditRequest): Promise<TrackerView[]> {
    return guard(async () => {
      const hash = this.#hash(ref);
      const { applyTrackerEdits } = await import("./tracker-edits.ts");
      await this.#client.setTrackers(hash, applyTrackerEdits(this.#client.trackers(hash), req));
      return this.#client.trackers(hash);
    });
  }

  /** The .torrent file, base64 (the exact bytes it was added from, when known). */
  async torrentFile(ref: TorrentRef): Promise<string> {
    return guard(async () => (await this.#client.torrentFile(this.#hash(ref))).toString("base64"));
  }

  /**
   * Resolves with its summary once the torrent has every piece; ApiError
   * `torrent_error` if it stops on an error, `not_found` if it is removed,
   * `timeout` after `timeoutMs`.
   */
  async whenComplete(ref: TorrentRef, req: WaitRequest = {}): Promise<TorrentSummary> {
    return guard(async () => {
      const hash = this.#hash(ref);
      const { timeoutMs } = req;
      if (timeoutMs !== undefined && !(Number.isFinite(timeoutMs) && timeoutMs > 0)) {
        throw new ApiError("invalid_input", `timeoutMs: ${timeoutMs} is not a positive number`);
      }
      await this.#client.whenComplete(hash, timeoutMs === undefined ? {} : { timeoutMs });
      return this.#client.summary(hash);
    });
  }

  /**
   * Calls `listener` with every event of every torrent (only `types`, when
   * given), until the returned function is called.
   */
  subscribe(listener: ApiListener, opts: { types?: readonly SessionEventType[] } = {}): () => void {
    const types = opts.types ? new Set(opts.types) : undefined;
    const forward = (e: ApiEvent) => {
      if (!types || types.has(e.type)) listener(e);
    };
    this.#client.on("event", forward);
    return () => {
      this.#client.off("event", forward);
    };
  }

  // ---- the tracker's index ---------------------------------------------------------

  /** The tracker these index operations use (its base URL), if one is set. */
  get tracker(): string | undefined {
    return this.#index?.base;
  }

  /** What the tracker's index offers, each marked when the session has it. */
  async index(): Promise<IndexEntry[]> {
    return guard(async () => {
      const have = new Set(this.#client.summaries().map((s) => s.infoHash));
      return this.#needIndex().entries(have);
    });
  }

  /** Uploads a torrent of the session (its exact .torrent) or a .torrent's bytes to the index. */
  async publish(req: PublishRequest): Promise<PublishResult> {
    return guard(async () => {
      const index = this.#needIndex();
      if ((req.ref === undefined) === (req.torrent === undefined)) {
        throw new ApiError(
          "invalid_input",
          "publish takes a torrent's ref or a .torrent, not both",
        );
      }
      const bytes =
        req.torrent !== undefined
          ? base64Bytes(req.torrent, "torrent")
          : await this.#client.torrentFile(this.#hash(req.ref!));
      parseMetainfo(bytes);
      return index.publish(bytes);
    });
  }

  /** Fetches a torrent from the index (by info hash or a unique prefix) and adds it. */
  async addFromIndex(req: AddFromIndexRequest): Promise<TorrentSummary> {
    return guard(async () => {
      const index = this.#needIndex();
      if (typeof req.infoHash !== "string") {
        throw new ApiError("invalid_input", "infoHash: give the torrent's info hash or a prefix");
      }
      const { bytes } = await index.fetch(req.infoHash);
      return this.#add(bytes, addOptions(req));
    });
  }

  // ---- helpers ---------------------------------------------------------------------

  #hash(ref: TorrentRef): string {
    if (typeof ref !== "string" && typeof ref !== "number") {
      throw new ApiError("invalid_input", "which torrent? give its id or info hash");
    }
    return this.#client.resolve(ref);
  }

  async #add(source: TorrentSource, opts: AddOptions): Promise<TorrentSummary> {
    const torrent = await this.#client.add(source, opts);
    return this.#client.summary(torrent.infoHashHex);
  }

  #needIndex(): TrackerIndex {
    if (!this.#index) throw new ApiError("no_tracker", "no tracker with an index is set");
    return this.#index;
  }
}

/**
 * The checks of the managing requests (files, piece order, queue, goals, an
 * add's selection), loaded by the first such request rather than with the
 * daemon: most starts serve none (issue 16's start-up).
 */
const manageValidation = () => import("./manage-validation.ts");

async function guard<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    throw toApiError(err);
  }
}

/** A stream whose errors are ApiErrors. */
async function* translated(chunks: AsyncGenerator<Buffer>): AsyncGenerator<Buffer> {
  try {
    yield* chunks;
  } catch (err) {
    throw toApiError(err);
  }
}

function guardSync<T>(run: () => T): T {
  try {
    return run();
  } catch (err) {
    throw toApiError(err);
  }
}
