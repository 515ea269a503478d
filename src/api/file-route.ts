/**
 * `GET|HEAD /api/v1/torrents/<ref>/files/<n>`: file n of a torrent over
 * HTTP, playable while the torrent downloads (issue 17's streaming). One
 * Range per request (byte-range.ts): 206 with Content-Range, 416 for a
 * range past the end, 200 with the whole file without one. Bytes come from
 * the torrent's storage through the api facade, each piece's only once
 * verified; while the response waits for a piece, the torrent fetches the
 * pieces it needs first. The first bytes are awaited before the status is
 * sent, so a wait that ends badly (timeout, the torrent stopped) is an
 * error answer; later, the connection is cut. Writes follow the client's
 * pace (back-pressure), and a client that leaves stops the reading at once.
 */
import { once } from "node:events";
import type { IncomingMessage, ServerResponse } from "node:http";
import { type ByteRange, parseRange } from "./byte-range.ts";
import { ApiError } from "./errors.ts";
import { HttpError, sendError } from "./http-errors.ts";
import { contentDisposition, mediaTypeOf } from "./media-types.ts";
import type { ShoalApi } from "./shoal-api.ts";

/** A file index in the path: a decimal number, no sign, no leading junk. */
const INDEX = /^\d{1,9}$/;

type FileReader = ReturnType<ShoalApi["file"]>["read"];

/** Answers the request for file `index` (the path's, unparsed) of torrent `ref`. */
export async function serveFile(
  api: ShoalApi,
  req: IncomingMessage,
  res: ServerResponse,
  ref: string,
  index: string,
): Promise<void> {
  if (!INDEX.test(index)) throw new ApiError("invalid_input", "the file index is not a number");
  const file = api.file(ref, Number(index));
  const size = file.view.length;
  const range = parseRange(req.headers.range, size);
  if (range === "unsatisfiable") {
    sendError(res, "range_not_satisfiable", `the file has ${size} bytes`, {
      "content-range": `bytes */${size}`,
    });
    return;
  }
  const { start, end } = range ?? { start: 0, end: size };
  const headers: Record<string, string | number> = {
    "content-type": mediaTypeOf(file.view.path),
    "content-length": end - start,
    "accept-ranges": "bytes",
    "content-disposition": contentDisposition(file.view.path),
    "cache-control": "no-store",
    "x-content-type-options": "nosniff",
    // Opened on its own, a file is a document of no origin that runs nothing.
    "content-security-policy": "sandbox; default-src 'none'; img-src 'self'; media-src 'self'",
  };
  if (range) headers["content-range"] = contentRange(range, size);
  const status = range ? 206 : 200;
  if (req.method === "HEAD" || end === start) {
    res.writeHead(status, headers).end();
    return;
  }
  await sendBytes(res, status, headers, file.read, { start, end });
}

function contentRange(r: ByteRange, size: number): string {
  return `bytes ${r.start}-${r.end - 1}/${size}`;
}

async function sendBytes(
  res: ServerResponse,
  status: number,
  headers: Record<string, string | number>,
  read: FileReader,
  range: ByteRange,
): Promise<void> {
  const gone = new AbortController();
  const onClose = () => gone.abort(new HttpError("invalid_input", "the client went away"));
  res.once("close", onClose);
  const chunks = read(range.start, range.end, { signal: gone.signal })[Symbol.asyncIterator]();
  try {
    let next = await chunks.next();
    res.writeHead(status, headers);
    while (!next.done) {
      if (!res.write(next.value)) await once(res, "drain", { signal: gone.signal });
      next = await chunks.next();
    }
    res.end();
  } catch (err) {
    // The client left: nothing to answer, nothing to log.
    if (gone.signal.aborted) return;
    throw err;
  } finally {
    res.off("close", onClose);
    // Lets go of the reader (its deadlines) if it stopped half-way.
    await chunks.return?.();
  }
}
