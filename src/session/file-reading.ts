/**
 * Streaming a torrent's file for front ends (the daemon's file route): the
 * torrent's errors (TorrentError, for a file or range it cannot stream, or
 * a wait that ended) as the session's ClientError codes the api knows.
 */
import { ClientError } from "./errors.ts";

const CODES: Record<string, string> = {
  no_metadata: "no_metadata",
  no_file: "not_found",
  file_skipped: "file_skipped",
  bad_range: "bad_range",
  stream_timeout: "timeout",
  stopped: "torrent_error",
};

function clientError(err: unknown): unknown {
  const code = CODES[(err as { code?: string } | undefined)?.code ?? ""];
  return code ? new ClientError(code, (err as Error).message, { cause: err }) : err;
}

/** `open()`'s stream, its refusals (at once, or while reading) as ClientErrors. */
export function clientStream(open: () => AsyncGenerator<Buffer>): AsyncGenerator<Buffer> {
  let chunks: AsyncGenerator<Buffer>;
  try {
    chunks = open();
  } catch (err) {
    throw clientError(err);
  }
  return (async function* () {
    try {
      yield* chunks;
    } catch (err) {
      throw clientError(err);
    }
  })();
}
