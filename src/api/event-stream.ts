/**
 * Live events over Server-Sent Events (`GET /api/v1/events`): every
 * session event (added, state, completed, error, removed, …) with an
 * increasing id, and the client's stats once a second (no id: a stale
 * figure is never worth replaying). A client that reconnects with
 * `Last-Event-ID` gets the events it missed from a bounded backlog; one that
 * fell further behind gets a `reset` event telling it to fetch the lists again.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { HttpError } from "./http-errors.ts";
import type { ShoalApi } from "./shoal-api.ts";
import type { ApiEvent, SessionEventType } from "./types.ts";

/** Events kept for reconnecting clients. */
export const EVENT_BACKLOG = 1000;
/** Streams open at once (each is a socket and a timer's work). */
export const MAX_EVENT_STREAMS = 64;
export const STATS_PERIOD_MS = 1000;
/** Peer events are many and small: streamed only when asked for (`?peers=1`). */
const PEER_EVENTS = new Set<SessionEventType>(["peer-connected", "peer-closed"]);

interface Stored {
  id: number;
  event: ApiEvent;
}

interface Stream {
  res: ServerResponse;
  peers: boolean;
}

export class EventStream {
  readonly #api: ShoalApi;
  readonly #backlog: Stored[] = [];
  readonly #streams = new Set<Stream>();
  #nextId = 1;
  #unsubscribe: () => void;
  /** Stats once a second (which also keeps proxies from closing a quiet stream). */
  #timer: ReturnType<typeof setInterval> | undefined;

  constructor(api: ShoalApi) {
    this.#api = api;
    this.#unsubscribe = api.subscribe((e) => this.#publish(e));
  }

  /** The id the next event gets (tests and clients compare with it). */
  get lastId(): number {
    return this.#nextId - 1;
  }

  open(req: IncomingMessage, res: ServerResponse, url: URL): void {
    if (this.#streams.size >= MAX_EVENT_STREAMS) {
      throw new HttpError("too_many_streams", `at most ${MAX_EVENT_STREAMS} event streams at once`);
    }
    const stream: Stream = { res, peers: url.searchParams.get("peers") === "1" };
    res.writeHead(200, {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-store",
      connection: "keep-alive",
      "x-accel-buffering": "no",
    });
    res.write("retry: 2000\n\n");
    const last = req.headers["last-event-id"] ?? url.searchParams.get("lastEventId") ?? undefined;
    if (typeof last === "string" && last !== "") this.#replay(stream, Number(last));
    this.#write(stream, "stats", undefined, this.#stats());
    this.#streams.add(stream);
    res.on("close", () => {
      this.#streams.delete(stream);
      if (this.#streams.size === 0) this.#stopTimer();
    });
    this.#startTimer();
  }

  close(): void {
    this.#unsubscribe();
    this.#stopTimer();
    for (const s of this.#streams) s.res.end();
    this.#streams.clear();
  }

  #replay(stream: Stream, after: number): void {
    const oldest = this.#backlog[0]?.id ?? this.#nextId;
    if (!Number.isInteger(after) || after < 0 || after >= this.#nextId) {
      // Not an id of this daemon (another run's): start over.
      this.#write(stream, "reset", undefined, { lastId: this.lastId });
      return;
    }
    if (after + 1 < oldest) {
      this.#write(stream, "reset", undefined, { lastId: this.lastId });
      return;
    }
    for (const s of this.#backlog) {
      if (s.id > after) this.#send(stream, s);
    }
  }

  #publish(event: ApiEvent): void {
    const stored = { id: this.#nextId++, event };
    this.#backlog.push(stored);
    if (this.#backlog.length > EVENT_BACKLOG) this.#backlog.shift();
    for (const s of this.#streams) this.#send(s, stored);
  }

  #send(stream: Stream, stored: Stored): void {
    if (!stream.peers && PEER_EVENTS.has(stored.event.type)) return;
    this.#write(stream, stored.event.type, stored.id, stored.event);
  }

  #write(stream: Stream, type: string, id: number | undefined, data: unknown): void {
    const idLine = id === undefined ? "" : `id: ${id}\n`;
    stream.res.write(`event: ${type}\n${idLine}data: ${JSON.stringify(data)}\n\n`);
  }

  #stats(): unknown {
    return this.#api.client();
  }

  #startTimer(): void {
    if (this.#timer) return;
    this.#timer = setInterval(() => {
      const stats = this.#stats();
      for (const s of this.#streams) this.#write(s, "stats", undefined, stats);
    }, STATS_PERIOD_MS);
    this.#timer.unref();
  }

  #stopTimer(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
  }
}
