/**
 * Reading a request's body within a named limit: a Content-Length over it
 * is refused before a byte is read, a stream that runs past it is cut off.
 */
import type { IncomingMessage } from "node:http";
import { HttpError } from "./http-errors.ts";

/**
 * A .torrent larger than this is refused, uploaded or fetched by URL (one of
 * a 100 GiB torrent with 16 KiB pieces is ~120 KiB).
 */
export const MAX_TORRENT_FILE_BYTES = 8 * 1024 * 1024;

/** A JSON body: a .torrent in base64 (4/3 of its size) and the rest of the request. */
export const MAX_JSON_BODY_BYTES = Math.ceil((MAX_TORRENT_FILE_BYTES * 4) / 3) + 64 * 1024;

export async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers["content-length"]);
  if (Number.isFinite(declared) && declared > limit) {
    req.resume();
    throw new HttpError("payload_too_large", `the body is over ${limit} bytes`);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) {
      req.resume();
      throw new HttpError("payload_too_large", `the body is over ${limit} bytes`);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, size);
}

/** A JSON object body (`{}` when empty); anything else is `invalid_input`. */
export async function readJsonObject(
  req: IncomingMessage,
  limit = MAX_JSON_BODY_BYTES,
): Promise<Record<string, unknown>> {
  const type = mediaType(req);
  const body = await readBody(req, limit);
  if (body.length === 0) return {};
  if (type !== "application/json") {
    throw new HttpError("unsupported_media_type", "send the body as application/json");
  }
  let value: unknown;
  try {
    value = JSON.parse(body.toString("utf8"));
  } catch {
    throw new HttpError("invalid_input", "the body is not JSON");
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new HttpError("invalid_input", "the body must be a JSON object");
  }
  return value as Record<string, unknown>;
}

/** The request's media type, lower case, without parameters. */
export function mediaType(req: IncomingMessage): string {
  return (req.headers["content-type"] ?? "").split(";")[0]!.trim().toLowerCase();
}
