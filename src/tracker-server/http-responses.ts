/**
 * The shapes of the tracker's HTTP answers: bencoded bodies (BEP 3 says
 * clients read only the body, so failures are `failure reason`s with 200),
 * JSON for the index and the operator views, and the refusals they share.
 */
import type { HttpResponse } from "./http-reply-writer.ts";

export const BENCODE_TYPE = "text/plain";
export const JSON_TYPE = "application/json; charset=utf-8";

export function bencoded(body: string): HttpResponse {
  return { status: 200, contentType: BENCODE_TYPE, body };
}

export function jsonBytes(value: unknown): Buffer {
  return Buffer.from(`${JSON.stringify(value, null, 2)}\n`, "utf8");
}

export function json(status: number, value: unknown): HttpResponse {
  return { status, contentType: JSON_TYPE, body: jsonBytes(value) };
}

export function notFound(what: string): HttpResponse {
  return json(404, { error: `${what} not found` });
}

export function methodNotAllowed(allow: string): HttpResponse {
  return {
    status: 405,
    contentType: JSON_TYPE,
    body: `{"error":"method not allowed"}\n`,
    headers: `Allow: ${allow}\r\n`,
  };
}

/** A whole number from an operator endpoint's query, at most `max` (not the hot path). */
export function queryInt(query: string, name: string, fallback: number, max: number): number {
  const m = new RegExp(`(?:^|&)${name}=(\\d{1,9})(?:&|$)`).exec(query);
  return m ? Math.min(Number(m[1]), max) : fallback;
}
