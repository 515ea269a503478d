/**
 * A daemon in this process for API tests: its own data dir, peers' and
 * API's ports picked by the kernel on 127.0.0.1, silent logs; and torrents
 * made from generated files, their data already in the download folder
 * (so they seed at once).
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SESSION_ID_HEADER } from "../../src/api/index.ts";
import {
  type ConfigFlags,
  Daemon,
  type DaemonConfig,
  loadConfig,
  resolveConfig,
} from "../../src/daemon/index.ts";
import { createTorrent } from "../../src/metainfo/index.ts";
import { silentLogger } from "../../src/util/index.ts";

export interface TestDaemon {
  daemon: Daemon;
  base: string;
  dir: string;
  downloadDir: string;
  stop(): Promise<void>;
}

export async function startTestDaemon(
  doc: Record<string, unknown> = {},
  flags: ConfigFlags = {},
  dir?: string,
): Promise<TestDaemon> {
  const root = dir ?? (await mkdtemp(join(tmpdir(), "shoal-daemon-test-")));
  const config: DaemonConfig = resolveConfig(
    doc,
    {
      dataDir: join(root, "data"),
      downloadDir: join(root, "downloads"),
      port: 0,
      apiPort: 0,
      ...flags,
    },
    { HOME: root },
    root,
  );
  config.host = "127.0.0.1";
  const daemon = await Daemon.start(config, silentLogger);
  const { port } = daemon.apiAddress;
  return {
    daemon,
    base: `http://127.0.0.1:${port}`,
    dir: root,
    downloadDir: config.downloadDir,
    async stop() {
      await daemon.stop();
      if (!dir) await rm(root, { recursive: true, force: true });
    },
  };
}

/** A torrent of a folder with two files in `downloadDir` (so it seeds); its .torrent bytes. */
export async function makeSeededTorrent(
  downloadDir: string,
  name: string,
  size = 40_000,
): Promise<{ torrent: Buffer; infoHash: string; name: string }> {
  const folder = join(downloadDir, name);
  await mkdir(folder, { recursive: true });
  const bytes = Buffer.alloc(size);
  for (let i = 0; i < size; i++) bytes[i] = (i * 31 + name.length * 7) & 0xff;
  await writeFile(join(folder, "a.bin"), bytes.subarray(0, Math.floor(size / 2)));
  await writeFile(join(folder, "b.bin"), bytes.subarray(Math.floor(size / 2)));
  const created = await createTorrent(folder, { pieceLength: 16384, creationDate: null });
  return { torrent: created.torrent, infoHash: created.metainfo.infoHashHex, name };
}

/** A reply's JSON, read field by field by the tests (asserting as they go). */
// biome-ignore lint/suspicious/noExplicitAny: the API's JSON, checked by the assertions that read it
export type Json = any;

export interface Reply {
  status: number;
  headers: Headers;
  body: Json;
}

/** One request; the body as JSON when it is JSON. Loopback only. */
export async function call(
  base: string,
  method: string,
  path: string,
  opts: { json?: unknown; body?: Uint8Array | string; headers?: Record<string, string> } = {},
): Promise<Reply> {
  if (!/^http:\/\/127\.0\.0\.1:\d+$/.test(base)) throw new Error(`not loopback: ${base}`);
  const headers: Record<string, string> = { ...opts.headers };
  let body: string | Uint8Array | undefined;
  if (opts.json !== undefined) {
    headers["content-type"] ??= "application/json";
    body = JSON.stringify(opts.json);
  } else if (opts.body !== undefined) body = opts.body;
  const res = await fetch(`${base}${path}`, { method, headers, body });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {}
  return { status: res.status, headers: res.headers, body: parsed };
}

/** A request with headers fetch will not send as given (Host); loopback only. */
export function rawCall(
  base: string,
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: string,
): Promise<{ status: number; body: Json }> {
  const url = new URL(base);
  if (url.hostname !== "127.0.0.1") throw new Error(`not loopback: ${base}`);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: "127.0.0.1",
        port: Number(url.port),
        method,
        path,
        headers,
        setHost: !("host" in headers),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          let parsed: unknown = text;
          try {
            parsed = JSON.parse(text);
          } catch {}
          resolve({ status: res.statusCode ?? 0, body: parsed });
        });
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

/**
 * A daemon started from a config file as `shoal daemon --config <file>`
 * starts (loadConfig: so the settings page can write that file), its
 * folders under `dir`, the API's port picked by the kernel on 127.0.0.1.
 * The file names the peer address (`[peer] address = "127.0.0.1"` for a test).
 */
export async function startDaemonFromFile(
  dir: string,
  file: string,
): Promise<{ daemon: Daemon; base: string }> {
  const config = await loadConfig(
    { config: file, dataDir: join(dir, "data"), downloadDir: join(dir, "dl"), apiPort: 0 },
    { HOME: dir },
    dir,
    (p) => readFile(p, "utf8"),
  );
  const daemon = await Daemon.start(config, silentLogger);
  return { daemon, base: `http://127.0.0.1:${daemon.apiAddress.port}` };
}

/** `count` random ranges of at most `maxLength` bytes of a file of `size`, in every Range form. */
export function randomRanges(random: () => number, size: number, count: number, maxLength: number) {
  const out: { header: string; start: number; end: number }[] = [];
  for (let i = 0; i < count; i++) {
    const length = 1 + Math.floor(random() * Math.min(size, maxLength));
    const start = Math.floor(random() * (size - length + 1));
    const end = start + length;
    const form = i % 4;
    if (form === 3) out.push({ header: `bytes=-${length}`, start: size - length, end: size });
    else if (form === 2)
      out.push({ header: `bytes=${size - length}-`, start: size - length, end: size });
    else out.push({ header: `bytes=${start}-${end - 1}`, start, end });
  }
  return out;
}

/** A GET below /api/v1 of `d` (a file's bytes, say): status, headers and body as bytes. */
export async function getBytes(
  d: { base: string },
  path: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Headers; bytes: Buffer }> {
  if (!/^http:\/\/127\.0\.0\.1:\d+$/.test(d.base)) throw new Error(`not loopback: ${d.base}`);
  const res = await fetch(`${d.base}/api/v1${path}`, { headers });
  return { status: res.status, headers: res.headers, bytes: Buffer.from(await res.arrayBuffer()) };
}

/** One Transmission RPC call as its clients make it (the 409 session-id exchange first); the reply. */
export async function rpc(base: string, method: string, args: Json = {}): Promise<Json> {
  const first = await call(base, "POST", "/transmission/rpc", { json: { method } });
  const headers = { [SESSION_ID_HEADER]: first.headers.get(SESSION_ID_HEADER)! };
  return (
    await call(base, "POST", "/transmission/rpc", { json: { method, arguments: args }, headers })
  ).body;
}
