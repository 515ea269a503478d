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
import { MemoryNetwork } from "../net/index.ts";
import { MemoryStorage } from "../storage/index.ts";
import { realClock, sha1 } from "../util/index.ts";
import { Client, type ClientOptions } from "./index.ts";

const PIECE_LENGTH = 16 * 1024;

/** `size` random bytes in 16 KiB pieces, and their single-file metainfo. */
export function smallTorrent(size: number, name: string): { content: Buffer; meta: Metainfo } {
  const content = randomBytes(size);
  const hashes: Buffer[] = [];
  for (let at = 0; at < size; at += PIECE_LENGTH) {
    hashes.push(sha1(content.subarray(at, Math.min(size, at + PIECE_LENGTH))));
  }
  const info = { length: size, name, "piece length": PIECE_LENGTH, pieces: Buffer.concat(hashes) };
  return { content, meta: parseMetainfo(encode({ info })) };
}

export class MemoryClients {
  readonly #tcp = new MemoryNetwork({ clock: realClock });
  readonly #dirs: string[] = [];
  readonly #clients: Client[] = [];

  /** A client at `address` (port 6881); `content` makes it a seeder of torrents of that size. */
  async start(address: string, content?: Buffer, extra: Partial<ClientOptions> = {}) {
    const dir = await mkdtemp(join(tmpdir(), "shoal-session-"));
    this.#dirs.push(dir);
    const host = this.#tcp.addHost(address);
    const client = await Client.start({
      dataDir: join(dir, "data"),
      downloadDir: join(dir, "download"),
      port: 6881,
      dialer: host,
      listen: async (port) => host.listen(port),
      torrentDefaults: {
        trackers: false,
        openStore: (m: Metainfo) =>
          MemoryStorage.open(m, content?.length === m.totalLength ? { content } : {}),
      },
      ...extra,
    });
    this.#clients.push(client);
    return client;
  }

  async close(): Promise<void> {
    await Promise.all(this.#clients.map((c) => c.close()));
    await Promise.all(this.#dirs.map((d) => rm(d, { recursive: true, force: true })));
  }
}
