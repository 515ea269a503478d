/**
 * The shell attached to a running daemon (`shoal shell --remote URL`): the
 * ShellApi (shell-api.ts) over the daemon's HTTP API. The shell reads its
 * session synchronously (lists, details, peers for the prompt, completion
 * and the live console), so this keeps a mirror of it: fetched whole before
 * each command (refresh) and again on each of the daemon's `stats` events
 * (once a second; past REMOTE_SHELL_LIMITS.liveTorrents torrents only the
 * list is, to keep an idle shell's load on the daemon small). Changes go to the daemon
 * at once and refresh the mirror. The tracker's index (list, publish,
 * download by hash) is asked from here, as the in-process shell does.
 */
import { readFile } from "node:fs/promises";
import {
  type AddFromIndexRequest,
  type AddRequest,
  ApiError,
  type ApiEvent,
  type ApiListener,
  type ClientView,
  type FilesRequest,
  type FileView,
  type IndexEntry,
  type Limits,
  type LimitsRequest,
  type ListRequest,
  openTrackerIndex,
  type PeerView,
  type PublishRequest,
  type PublishResult,
  type RemoveRequest,
  type SessionEventType,
  type TorrentDetail,
  type TorrentRef,
  type TorrentSummary,
  type TrackerIndex,
  type TrackerView,
  type WaitRequest,
} from "../api/index.ts";
import type { DaemonClient } from "./daemon-client.ts";
import type { ShellApi } from "./shell-api.ts";

export const REMOTE_SHELL_LIMITS = {
  /** Torrents whose details are fetched at once while refreshing. */
  fetchBatch: 16,
  /**
   * Up to this many torrents the mirror is refreshed whole on every stats
   * event (a request per torrent for details, peers and files); past it,
   * only the session and the list are, the rest before each command.
   */
  liveTorrents: 50,
  /** How often `wait` asks the daemon whether a torrent is complete. */
  waitPollMs: 500,
  /** Before opening the event stream again after it broke. */
  reconnectMs: 2000,
  /** One event's text (a torrent's name is the largest part). */
  maxEventBytes: 64 * 1024,
} as const;

interface Mirrored {
  detail: TorrentDetail;
  peers: PeerView[];
  files: FileView[];
}

const HEX_PREFIX = /^[0-9a-f]{2,40}$/i;

export class RemoteShellApi implements ShellApi {
  readonly #daemon: DaemonClient;
  readonly #index: TrackerIndex | undefined;
  #client: ClientView | undefined;
  #torrents: TorrentSummary[] = [];
  #mirror = new Map<string, Mirrored>();
  #loading: Promise<void> | undefined;
  readonly #listeners = new Set<{ listener: ApiListener; types?: Set<string> }>();
  readonly #events = new AbortController();

  private constructor(daemon: DaemonClient, opts: { tracker?: string; publishToken?: string }) {
    this.#daemon = daemon;
    this.#index = opts.tracker ? openTrackerIndex(opts.tracker, opts.publishToken) : undefined;
  }

  /** Reads the daemon's session once (a DaemonClientError if it cannot), then follows its events. */
  static async connect(
    daemon: DaemonClient,
    opts: { tracker?: string; publishToken?: string } = {},
  ): Promise<RemoteShellApi> {
    const api = new RemoteShellApi(daemon, opts);
    await api.refresh();
    void api.#follow();
    return api;
  }

  get base(): string {
    return this.#daemon.base;
  }

  /** Stops following the daemon's events (the daemon runs on). */
  close(): void {
    this.#events.abort();
  }

  refresh(): Promise<void> {
    this.#loading ??= this.#load().finally(() => {
      this.#loading = undefined;
    });
    return this.#loading;
  }

  /** On the daemon's stats event: the whole mirror while it is small, else the list. */
  #tick(): void {
    if (this.#loading) return;
    if (this.#torrents.length <= REMOTE_SHELL_LIMITS.liveTorrents) {
      this.refresh().catch(() => {});
      return;
    }
    this.#loading = this.#daemon
      .request<TorrentSummary[]>("GET", "/torrents")
      .then((torrents) => {
        this.#torrents = torrents.filter((t) => this.#mirror.has(t.infoHash));
      })
      .catch(() => {})
      .finally(() => {
        this.#loading = undefined;
      });
  }

  async #load(): Promise<void> {
    const [client, torrents] = await Promise.all([
      this.#daemon.request<ClientView>("GET", "/session"),
      this.#daemon.request<TorrentSummary[]>("GET", "/torrents"),
    ]);
    const mirror = new Map<string, Mirrored>();
    for (let at = 0; at < torrents.length; at += REMOTE_SHELL_LIMITS.fetchBatch) {
      const batch = torrents.slice(at, at + REMOTE_SHELL_LIMITS.fetchBatch);
      await Promise.all(
        batch.map(async (t) => {
          const path = `/torrents/${t.infoHash}`;
          try {
            const [detail, peers, files] = await Promise.all([
              this.#daemon.request<TorrentDetail>("GET", path),
              this.#daemon.request<PeerView[]>("GET", `${path}/peers`),
              this.#daemon.request<FileView[]>("GET", `${path}/files`),
            ]);
            mirror.set(t.infoHash, { detail, peers, files });
          } catch (err) {
            // Removed meanwhile: it is simply not in this picture.
            if ((err as { code?: string }).code !== "not_found") throw err;
          }
        }),
      );
    }
    this.#client = client;
    this.#torrents = torrents.filter((t) => mirror.has(t.infoHash));
    this.#mirror = mirror;
  }

  // ---- reads, from the mirror ----------------------------------------------------

  client(): ClientView {
    if (!this.#client) throw new ApiError("unavailable", "not connected to the daemon yet");
    return this.#client;
  }

  list(): TorrentSummary[];
  list(req: ListRequest): Partial<TorrentSummary>[];
  list(req: ListRequest = {}): Partial<TorrentSummary>[] {
    const fields = req.fields;
    if (!fields) return this.#torrents;
    return this.#torrents.map((t) => {
      const out: Record<string, unknown> = {};
      for (const f of fields) out[f] = (t as unknown as Record<string, unknown>)[f];
      return out as Partial<TorrentSummary>;
    });
  }

  get(ref: TorrentRef): TorrentDetail {
    return this.#find(ref).detail;
  }

  peers(ref: TorrentRef): PeerView[] {
    return this.#find(ref).peers;
  }

  files(ref: TorrentRef): FileView[] {
    return this.#find(ref).files;
  }

  trackers(ref: TorrentRef): TrackerView[] {
    return this.#find(ref).detail.trackers;
  }

  /** A torrent by id or unique info-hash prefix, as the session names them. */
  #find(ref: TorrentRef): Mirrored {
    const text = String(ref ?? "").trim();
    if (text === "") throw new ApiError("invalid_input", "which torrent? give its id or info hash");
    if (/^\d+$/.test(text)) {
      const byId = this.#torrents.find((t) => t.id === Number(text));
      if (byId) return this.#mirror.get(byId.infoHash)!;
    }
    if (HEX_PREFIX.test(text)) {
      const found = this.#torrents.filter((t) => t.infoHash.startsWith(text.toLowerCase()));
      if (found.length === 1) return this.#mirror.get(found[0]!.infoHash)!;
      if (found.length > 1) {
        throw new ApiError(
          "ambiguous",
          `'${text}' matches ${found.length} torrents: ${found.map((t) => t.id).join(", ")}`,
        );
      }
    }
    throw new ApiError("not_found", `no torrent '${text}'`);
  }

  #path(ref: TorrentRef): string {
    return `/torrents/${this.#find(ref).detail.infoHash}`;
  }

  // ---- changes, sent to the daemon -------------------------------------------------

  async #changed<T>(work: Promise<T>): Promise<T> {
    const value = await work;
    await this.refresh();
    return value;
  }

  /** A .torrent here (`path`) is uploaded; the daemon keeps its files where it is told. */
  async add(req: AddRequest): Promise<TorrentSummary> {
    const { path, ...rest } = req;
    const body: Record<string, unknown> = { ...rest };
    if (path !== undefined) body.torrent = (await readFile(path)).toString("base64");
    return this.#changed(this.#daemon.request("POST", "/torrents", { json: body }));
  }

  async addFromIndex(req: AddFromIndexRequest): Promise<TorrentSummary> {
    const { infoHash, ...rest } = req;
    const { bytes } = await this.#needIndex().fetch(infoHash);
    return this.add({ ...rest, torrent: bytes.toString("base64") });
  }

  async index(): Promise<IndexEntry[]> {
    return this.#needIndex().entries(new Set(this.#torrents.map((t) => t.infoHash)));
  }

  async publish(req: PublishRequest): Promise<PublishResult> {
    const index = this.#needIndex();
    const torrent =
      req.torrent ??
      (
        await this.#daemon.request<{ torrent: string }>(
          "GET",
          `${this.#path(req.ref!)}/torrent-file`,
        )
      ).torrent;
    return index.publish(Buffer.from(torrent, "base64"));
  }

  #needIndex(): TrackerIndex {
    if (!this.#index)
      throw new ApiError("no_tracker", "no tracker: start the shell with --tracker");
    return this.#index;
  }

  pause(ref: TorrentRef): Promise<TorrentSummary> {
    return this.#changed(this.#daemon.request("POST", `${this.#path(ref)}/pause`));
  }

  resume(ref: TorrentRef): Promise<TorrentSummary> {
    return this.#changed(this.#daemon.request("POST", `${this.#path(ref)}/resume`));
  }

  recheck(ref: TorrentRef): Promise<TorrentSummary> {
    return this.#changed(this.#daemon.request("POST", `${this.#path(ref)}/recheck`));
  }

  reannounce(ref: TorrentRef): Promise<TorrentSummary> {
    return this.#changed(this.#daemon.request("POST", `${this.#path(ref)}/reannounce`));
  }

  async pauseAll(): Promise<TorrentSummary[]> {
    for (const t of this.#torrents) {
      await this.#daemon.request("POST", `/torrents/${t.infoHash}/pause`);
    }
    await this.refresh();
    return this.#torrents;
  }

  remove(ref: TorrentRef, req: RemoveRequest = {}): Promise<TorrentSummary> {
    const query = req.deleteData ? "?deleteData=true" : "";
    return this.#changed(this.#daemon.request("DELETE", `${this.#path(ref)}${query}`));
  }

  setFiles(ref: TorrentRef, req: FilesRequest): Promise<FileView[]> {
    return this.#changed(this.#daemon.request("PUT", `${this.#path(ref)}/files`, { json: req }));
  }

  async setLimits(req: LimitsRequest): Promise<Limits> {
    const reply = await this.#changed(
      this.#daemon.request<{ limits: Limits }>("PUT", "/session/settings", {
        json: { limits: req },
      }),
    );
    return reply.limits;
  }

  /** Asks the daemon every half second; as the facade: `torrent_error`, `not_found`, `timeout`. */
  async whenComplete(ref: TorrentRef, req: WaitRequest = {}): Promise<TorrentSummary> {
    const path = this.#path(ref);
    const until = req.timeoutMs === undefined ? Infinity : Date.now() + req.timeoutMs;
    for (;;) {
      const s = await this.#daemon.request<TorrentDetail>("GET", path);
      if (s.state === "error") {
        throw new ApiError("torrent_error", `'${s.name}' stopped: ${s.error ?? "an error"}`);
      }
      if (s.state === "seeding" || (s.progress === 1 && s.state !== "checking")) return s;
      if (Date.now() >= until) {
        throw new ApiError("timeout", `'${s.name}' is not complete after ${req.timeoutMs} ms`);
      }
      await new Promise((r) => setTimeout(r, REMOTE_SHELL_LIMITS.waitPollMs));
    }
  }

  subscribe(listener: ApiListener, opts: { types?: readonly SessionEventType[] } = {}): () => void {
    const entry = opts.types ? { listener, types: new Set<string>(opts.types) } : { listener };
    this.#listeners.add(entry);
    return () => {
      this.#listeners.delete(entry);
    };
  }

  // ---- the daemon's events ---------------------------------------------------------

  /** Reads /api/v1/events until closed, opening it again after a break. */
  async #follow(): Promise<void> {
    const signal = this.#events.signal;
    while (!signal.aborted) {
      try {
        const res = await this.#daemon.open("/events", signal);
        await this.#read(res, signal);
      } catch {
        // The daemon went away or the stream broke: try again shortly.
      }
      if (signal.aborted) return;
      await new Promise((r) => setTimeout(r, REMOTE_SHELL_LIMITS.reconnectMs).unref());
    }
  }

  async #read(res: Response, signal: AbortSignal): Promise<void> {
    if (!res.body) return;
    const decoder = new TextDecoder();
    let buffer = "";
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      if (signal.aborted) return;
      buffer += decoder.decode(chunk, { stream: true });
      if (buffer.length > REMOTE_SHELL_LIMITS.maxEventBytes * 4) buffer = "";
      let end = buffer.indexOf("\n\n");
      while (end >= 0) {
        this.#onBlock(buffer.slice(0, end));
        buffer = buffer.slice(end + 2);
        end = buffer.indexOf("\n\n");
      }
    }
  }

  #onBlock(block: string): void {
    let type = "";
    let data = "";
    for (const line of block.split("\n")) {
      if (line.startsWith("event: ")) type = line.slice(7);
      else if (line.startsWith("data: ")) data = line.slice(6);
    }
    if (type === "" || data === "" || data.length > REMOTE_SHELL_LIMITS.maxEventBytes) return;
    let value: unknown;
    try {
      value = JSON.parse(data);
    } catch {
      return;
    }
    if (type === "stats") {
      this.#client = value as ClientView;
      this.#tick();
      return;
    }
    for (const { listener, types } of this.#listeners) {
      if (!types || types.has(type)) listener(value as ApiEvent);
    }
  }
}
