/**
 * For the session's tests: a small torrent over random bytes, and Clients on
 * hosts of one in-memory network (no trackers, data in memory), closed and
 * their folders removed by close().
 */
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { encode } from "../bencode/index.ts";
import { type Metainfo, parseMetainfo } from "../metainfo/index.ts";
import { loadMemoryNetwork } from "../net/index.ts";
import { MemoryStorage } from "../storage/index.ts";
import { realClock, sha1 } from "../util/index.ts";
import { Client, type ClientOptions } from "./index.ts";

const { MemoryNetwork } = await loadMemoryNetwork();

const PIECE_LENGTH = 16 * 1024;

/** `size` random bytes in 16 KiB pieces, and their single-file metainfo (parsed, and as a file's bytes). */
export function smallTorrent(
  size: number,
  name: string,
): { content: Buffer; meta: Metainfo; bytes: Buffer } {
  const content = randomBytes(size);
  const hashes: Buffer[] = [];
  for (let at = 0; at < size; at += PIECE_LENGTH) {
    hashes.push(sha1(content.subarray(at, Math.min(size, at + PIECE_LENGTH))));
  }
  const info = { length: size, name, "piece length": PIECE_LENGTH, pieces: Buffer.concat(hashes) };
  const bytes = encode({ info });
  return { content, meta: parseMetainfo(bytes), bytes };
}

/** Resolves once `pred` holds, polling; rejects after `ms` naming `what`. */
export function waitUntil(pred: () => boolean, what: string, ms = 10_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const poll = () => {
      if (pred()) return resolve();
      if (Date.now() - started > ms) return reject(new Error(`timed out waiting for ${what}`));
      setTimeout(poll, 10);
    };
    poll();
  });
}

/** A client with its state folder and address (to start it again there). */
export interface MemoryClient {
  client: Client;
  dir: string;
  address: string;
}

export class MemoryClients {
  readonly #tcp = new MemoryNetwork({ clock: realClock });
  readonly #dirs: string[] = [];
  readonly #clients: Client[] = [];
  readonly #chokeIntervalMs: number | undefined;

  /** `chokeIntervalMs`: the torrents' choke rounds (default the engine's). */
  constructor(o: { chokeIntervalMs?: number } = {}) {
    this.#chokeIntervalMs = o.chokeIntervalMs;
  }

  /** A client at `address` (port 6881); `content` makes it a seeder of torrents of that size. */
  async start(address: string, content?: Buffer, extra: Partial<ClientOptions> = {}) {
    return (await this.open(address, content ? [content] : [], extra)).client;
  }

  /**
   * A client at `address` seeding torrents of the sizes of `contents`; given
   * an earlier client's `at`, it starts again on that one's folder and host.
   */
  async open(
    address: string,
    contents: readonly Buffer[] = [],
    extra: Partial<ClientOptions> = {},
    at?: Pick<MemoryClient, "dir">,
  ): Promise<MemoryClient> {
    const dir = at?.dir ?? (await this.tempDir());
    const host = this.#tcp.host(address) ?? this.#tcp.addHost(address);
    const client = await Client.start({
      dataDir: join(dir, "data"),
      downloadDir: join(dir, "download"),
      port: 6881,
      dialer: host,
      listen: async (port) => host.listen(port),
      torrentDefaults: {
        trackers: false,
        ...(this.#chokeIntervalMs !== undefined ? { chokeIntervalMs: this.#chokeIntervalMs } : {}),
        openStore: (m: Metainfo) => {
          const content = contents.find((c) => c.length === m.totalLength);
          return MemoryStorage.open(m, content ? { content } : {});
        },
      },
      ...extra,
    });
    this.#clients.push(client);
    return { client, dir, address };
  }

  /** A temporary folder, removed by close(). */
  async tempDir(): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), "shoal-session-"));
    this.#dirs.push(dir);
    return dir;
  }

  async close(): Promise<void> {
    await Promise.all(this.#clients.map((c) => c.close()));
    await Promise.all(this.#dirs.map((d) => rm(d, { recursive: true, force: true })));
  }
}
