/** Shared by the tracker e2e tests: an in-process tracker, raw HTTP and UDP clients, torrents. */
import { createSocket, type Socket as UdpSocket } from "node:dgram";
import { connect } from "node:net";
import { encode } from "../../src/bencode/index.ts";
import {
  type AnnounceQueryInput,
  buildAnnounceQuery,
  encodeConnectRequest,
} from "../../src/tracker-proto/index.ts";
import {
  resolveConfig,
  Tracker,
  type TrackerConfig,
  type TrackerOptions,
} from "../../src/tracker-server/index.ts";
import { sha1 } from "../../src/util/index.ts";

export async function startTracker(
  config: Partial<TrackerConfig> = {},
  opts: TrackerOptions = {},
): Promise<{ tracker: Tracker; base: string; port: number }> {
  const tracker = await Tracker.start(
    resolveConfig({ port: 0, host: "127.0.0.1", ...config }),
    opts,
  );
  const host = tracker.config.host?.includes(":")
    ? `[${tracker.config.host}]`
    : tracker.config.host;
  return { tracker, base: `http://${host}:${tracker.port}`, port: tracker.port };
}

/** A small valid single-file torrent (no disk needed). */
export function makeTorrent(name: string, length = 40_000, extra: Record<string, unknown> = {}) {
  const pieceLength = 16384;
  const pieces = Buffer.alloc(20 * Math.ceil(length / pieceLength), 7);
  const info = { length, name, "piece length": pieceLength, pieces };
  const bytes = encode({ announce: "http://127.0.0.1:1/announce", info, ...extra } as never);
  return { bytes, infoHash: sha1(encode(info)) };
}

/** A torrent of a folder `name` holding `files` (path → length), no disk needed. */
export function makeFolderTorrent(name: string, files: Record<string, number>) {
  const list = Object.entries(files).map(([path, length]) => ({ length, path: path.split("/") }));
  const total = list.reduce((n, f) => n + f.length, 0);
  const info = {
    files: list,
    name,
    "piece length": 16384,
    pieces: Buffer.alloc(20 * Math.ceil(total / 16384), 3),
  };
  return { bytes: encode({ info } as never), infoHash: sha1(encode(info as never)) };
}

/** Publishes a .torrent with the publish token; the reply's status. */
export async function publishWithToken(base: string, bytes: Buffer, token: string) {
  const res = await fetch(`${base}/torrents`, {
    method: "POST",
    body: bytes,
    headers: { authorization: `Bearer ${token}` },
  });
  await res.arrayBuffer();
  return res.status;
}

export function hash20(n: number): Buffer {
  return Buffer.alloc(20, n);
}

export function peerId(n: number): Buffer {
  return Buffer.from(`-SH0100-${String(n).padStart(12, "0")}`);
}

export async function announce(base: string, q: AnnounceQueryInput): Promise<Buffer> {
  const res = await fetch(`${base}/announce?${buildAnnounceQuery(q)}`);
  return Buffer.from(await res.arrayBuffer());
}

/** Sends raw bytes over one TCP connection; resolves with everything received until close or `until`. */
export function rawHttp(
  port: number,
  data: string | Buffer | (string | Buffer)[],
  opts: { host?: string; until?: (received: string) => boolean; timeoutMs?: number } = {},
): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: opts.host ?? "127.0.0.1" });
    let received = "";
    const timer = setTimeout(() => {
      socket.destroy();
      resolve(received);
    }, opts.timeoutMs ?? 3000);
    socket.on("data", (chunk) => {
      received += chunk.toString("latin1");
      if (opts.until?.(received)) {
        clearTimeout(timer);
        socket.destroy();
        resolve(received);
      }
    });
    socket.on("close", () => {
      clearTimeout(timer);
      resolve(received);
    });
    socket.on("error", (err) => {
      clearTimeout(timer);
      if (received) resolve(received);
      else reject(err);
    });
    const parts = Array.isArray(data) ? data : [data];
    for (const p of parts) socket.write(p);
  });
}

/** A UDP client socket that queues replies so tests can await them (or their absence). */
export class UdpClient {
  readonly socket: UdpSocket;
  readonly #queue: Buffer[] = [];
  readonly #waiters: ((b: Buffer | undefined) => void)[] = [];

  private constructor(socket: UdpSocket) {
    this.socket = socket;
    socket.on("message", (msg) => {
      const w = this.#waiters.shift();
      if (w) w(msg);
      else this.#queue.push(msg);
    });
  }

  static async open(family: 4 | 6 = 4): Promise<UdpClient> {
    const socket = createSocket(family === 4 ? "udp4" : "udp6");
    await new Promise<void>((r) => socket.bind(0, family === 4 ? "127.0.0.1" : "::1", r));
    return new UdpClient(socket);
  }

  send(packet: Buffer, port: number): void {
    const host = this.socket.address().family === "IPv6" ? "::1" : "127.0.0.1";
    this.socket.send(packet, port, host);
  }

  /**
   * The next reply, or undefined if none comes within `ms`. 10 s by default: a reply
   * that is due may be slow on a loaded machine; a check that none comes passes its own ms.
   */
  next(ms = 10_000): Promise<Buffer | undefined> {
    const queued = this.#queue.shift();
    if (queued) return Promise.resolve(queued);
    return new Promise((resolve) => {
      const waiter = (b: Buffer | undefined) => {
        clearTimeout(timer);
        resolve(b);
      };
      const timer = setTimeout(() => {
        this.#waiters.splice(this.#waiters.indexOf(waiter), 1);
        resolve(undefined);
      }, ms);
      this.#waiters.push(waiter);
    });
  }

  async connectionId(port: number, tid = 1): Promise<Buffer> {
    this.send(encodeConnectRequest(tid), port);
    const reply = await this.next();
    if (!reply || reply.length < 16) throw new Error("no connect reply");
    return Buffer.from(reply.subarray(8, 16));
  }

  close(): void {
    this.socket.close();
  }
}

export async function ipv6Available(): Promise<boolean> {
  const s = createSocket("udp6");
  try {
    await new Promise<void>((resolve, reject) => {
      s.once("error", reject);
      s.bind(0, "::1", () => resolve());
    });
    return true;
  } catch {
    return false;
  } finally {
    s.close();
  }
}
