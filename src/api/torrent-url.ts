/**
 * Adding a torrent by URL: the .torrent is fetched with the tracker
 * client's bounded GET (http and https only, a deadline, a few redirects,
 * at most MAX_TORRENT_FILE_BYTES), and must answer 200. The tracker client
 * is imported with the first such fetch (a daemon may never make one).
 */
import { ApiError } from "./errors.ts";
import { MAX_TORRENT_FILE_BYTES } from "./http-body.ts";

const FETCH_TIMEOUT_MS = 30_000;

export async function fetchTorrentUrl(url: string): Promise<Buffer> {
  if (!/^https?:\/\//i.test(url)) {
    throw new ApiError("invalid_input", `url: '${url.slice(0, 100)}' is not an http(s) URL`);
  }
  const { httpGet } = await import("../tracker-client/index.ts");
  const reply = await httpGet(url, {
    maxBytes: MAX_TORRENT_FILE_BYTES,
    timeoutMs: FETCH_TIMEOUT_MS,
  });
  if (reply.status !== 200) {
    throw new ApiError("failed", `url: the server answered ${reply.status}`);
  }
  return reply.body;
}
