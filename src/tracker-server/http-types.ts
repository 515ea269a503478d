/** The HTTP front end's contract with the routes (http-server.ts, http-routes.ts). */
import type { AnnounceSource } from "./announce-handler.ts";
import type { HttpResponse } from "./http-reply-writer.ts";
import type { HttpRequest } from "./http-request.ts";

export interface HttpClientInfo extends AnnounceSource {
  /** The address as text, as the socket reports it. */
  address: string;
}

/**
 * A request's reply that comes later, through a callback rather than a
 * promise (the announce to a shared store, issue 19): the handler returns
 * LATER and calls `answer` (or `fail`) once. It is the connection itself, so
 * nothing is allocated per request for it; the response given to `answer` is
 * rendered before it returns, so a reused one may be given.
 */
export interface HttpLater {
  answer(res: HttpResponse): void;
  /** The handler could not answer: logged, and the client gets a 500. */
  fail(err: unknown): void;
}

/** What a handler returns when it answers through its HttpLater. */
export const LATER: unique symbol = Symbol("later");

/**
 * The response, a promise of it, or LATER (answered through `later`): a
 * route that waits for a shared store.
 */
export type HttpHandler = (
  req: HttpRequest,
  client: HttpClientInfo,
  later: HttpLater,
) => HttpResponse | Promise<HttpResponse> | typeof LATER;

/**
 * Called with the head of a request that has a body, before any of the body
 * is read: null to read it and go on, or the response to answer with at once
 * (the body is then never read and the connection is closed).
 */
export type HttpAdmit = (req: HttpRequest, client: HttpClientInfo) => HttpResponse | null;

export interface HttpRoutes {
  handle: HttpHandler;
  admit?: HttpAdmit;
}

export interface HttpServerLimits {
  maxHeaderBytes: number;
  maxBodyBytes: number;
  /** Bytes of request bodies held at once, all connections together; 4 × maxBodyBytes if absent. */
  maxBodyBytesTotal?: number;
  /** A connection with no traffic for this long is closed. */
  idleTimeoutMs: number;
  /** A request must arrive whole within this time of its first byte. */
  requestTimeoutMs: number;
  maxConnections: number;
}
