/**
 * HTTP tracker load (BEP 3 announce, compact replies per BEP 23) the way
 * clients generate it: a new TCP connection per announce, `Connection:
 * close`, the reply read until the server closes. `concurrency` connections
 * are in flight at once.
 */
import { connect } from "node:net";
import { performance } from "node:perf_hooks";
import type { LoadOptions, LoadResult } from "./load-result.ts";
import { LatencyRecorder } from "./stats.ts";
import type { SwarmModel } from "./swarm-model.ts";

const NUM_WANT = 50;

/** The request line and headers of announce `seq`. */
export function announceRequest(model: SwarmModel, seq: number, host: string): string {
  const peer = model.peerOf(seq);
  const event = model.isFirstAnnounce(seq) ? "&event=started" : "";
  return (
    `GET /announce?info_hash=${model.infoHashQuery[model.torrentOf(peer)]}` +
    `&peer_id=${model.peerId(peer)}&port=${model.port(peer)}` +
    `&uploaded=0&downloaded=0&left=${model.left(peer)}&compact=1&numwant=${NUM_WANT}` +
    `&key=${peer.toString(16)}${event} HTTP/1.1\r\n` +
    `Host: ${host}\r\nUser-Agent: shoal-bench/0.1\r\nConnection: close\r\n\r\n`
  );
}

/** Why a raw HTTP reply is not a successful announce reply, or undefined. */
export function checkAnnounceReply(raw: Buffer): string | undefined {
  const headerEnd = raw.indexOf("\r\n\r\n");
  if (headerEnd < 0) return `incomplete HTTP reply (${raw.length} bytes)`;
  const statusLine = raw.toString("latin1", 0, Math.min(raw.indexOf("\r\n"), 64));
  if (!/^HTTP\/1\.[01] 200/.test(statusLine)) return `HTTP status: ${statusLine}`;
  const body = raw.subarray(headerEnd + 4);
  if (body.indexOf("failure reason") >= 0) {
    return `failure: ${body.toString("latin1", 0, Math.min(body.length, 120))}`;
  }
  // A bencoded dictionary holding an interval (BEP 3) and a peer list.
  if (body[0] !== 0x64 || body.indexOf("8:interval") < 0 || body.indexOf("5:peers") < 0) {
    return `not an announce reply: ${body.toString("latin1", 0, Math.min(body.length, 120))}`;
  }
  return undefined;
}

export function runHttpLoad(model: SwarmModel, opts: LoadOptions): Promise<LoadResult> {
  const latency = opts.latency ?? new LatencyRecorder();
  const result: LoadResult = {
    ok: 0,
    errors: 0,
    timeouts: 0,
    elapsedMs: 0,
    latency,
    nextSeq: opts.startSeq,
  };
  const limitSeq = opts.startSeq + (opts.maxAnnounces ?? Number.POSITIVE_INFINITY);
  const host = `127.0.0.1:${opts.port}`;
  const start = performance.now();
  let stopping = false;
  let inFlight = 0;

  return new Promise((resolve) => {
    let finished = false;
    let drainTimer: NodeJS.Timeout | undefined;
    const finish = (): void => {
      if (finished) return;
      finished = true;
      clearTimeout(stopTimer);
      clearTimeout(drainTimer);
      result.elapsedMs = performance.now() - start;
      resolve(result);
    };

    const launch = (): void => {
      if (stopping || finished || result.nextSeq >= limitSeq) {
        if (--inFlight === 0) finish();
        return;
      }
      const request = announceRequest(model, result.nextSeq++, host);
      const startedAt = performance.now();
      const chunks: Buffer[] = [];
      let settled = false;
      const socket = connect({ port: opts.port, host: "127.0.0.1", noDelay: true });
      const timer = setTimeout(() => settle("timeout"), opts.timeoutMs);
      const settle = (outcome: "ok" | "error" | "timeout", message?: string): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        socket.destroy();
        if (outcome === "ok") {
          result.ok++;
          latency.record(performance.now() - startedAt);
        } else if (outcome === "error") {
          result.errors++;
          result.firstError ??= message;
        } else {
          result.timeouts++;
          result.firstError ??= message;
        }
        launch();
      };
      socket.on("data", (chunk: Buffer) => chunks.push(chunk));
      socket.on("end", () => {
        const problem = checkAnnounceReply(Buffer.concat(chunks));
        settle(problem ? "error" : "ok", problem);
      });
      socket.on("error", (err: NodeJS.ErrnoException) =>
        settle("timeout", `connection: ${err.code ?? err.message}`),
      );
      socket.write(request);
    };

    const stopTimer = setTimeout(() => {
      stopping = true;
      drainTimer = setTimeout(finish, opts.timeoutMs + 100);
    }, opts.durationMs);
    inFlight = opts.concurrency;
    for (let i = 0; i < opts.concurrency; i++) launch();
  });
}
