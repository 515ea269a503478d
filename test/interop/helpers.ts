/**
 * Process, port and file helpers for interop tests that drive real BitTorrent
 * programs (Transmission, aria2, libtorrent, opentracker, shoal's own CLI) as
 * child processes on loopback.
 *
 * Every child gets a hard timeout and is registered with a `Children` set that
 * a test's `after` hook empties by PID; every temp dir is registered with a
 * `TempDirs` set that the hook removes. Nothing here talks to anything but
 * 127.0.0.1.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { randomInt } from "node:crypto";
import { createSocket } from "node:dgram";
import { accessSync, constants } from "node:fs";
import { chmod, mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { delimiter, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { createTorrent, type Metainfo } from "../../src/metainfo/index.ts";

/** The repository root (test/interop/ is two levels down). */
export const REPO_ROOT = resolve(fileURLToPath(new URL("../..", import.meta.url)));

/** The pinned Node that runs this test: children that run shoal use it too. */
export const NODE = process.execPath;

/** The shoal CLI entry point, run with the pinned Node. */
export const SHOAL_CLI = join(REPO_ROOT, "src", "cli", "main.ts");

/**
 * The Python that has libtorrent: Debian's, not a pyenv shim earlier on PATH.
 */
export const SYSTEM_PYTHON = "/usr/bin/python3";

// ---------------------------------------------------------------- tools

/** What a shoal command run as a child process did. */
export interface ShoalRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** A shoal command as a user runs it: a child process of src/cli/main.ts, killed after 30 s. */
export function runShoal(
  args: string[],
  opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<ShoalRun> {
  return new Promise((resolveRun, reject) => {
    const child = spawn(NODE, [SHOAL_CLI, ...args], {
      cwd: opts.cwd ?? REPO_ROOT,
      env: opts.env ?? process.env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolveRun({ code, stdout, stderr });
    });
  });
}

/** Finds an executable by absolute path or on PATH. */
export function findExecutable(name: string): string | undefined {
  const candidates = name.includes("/")
    ? [name]
    : (process.env.PATH ?? "").split(delimiter).map((dir) => join(dir, name));
  for (const candidate of candidates) {
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** True when the user asked to skip interop tests whose tools are missing. */
export function skipMissingTools(): boolean {
  return process.env.SHOAL_SKIP_INTEROP === "1";
}

/** A tool an interop test needs, and how to get it. */
export interface ToolRequirement {
  /** Executable name or absolute path. */
  bin: string;
  /** The Debian package that provides it (for the error message). */
  pkg: string;
  /** Optional extra check (e.g. a Python import); returns an error text or undefined. */
  check?: () => string | undefined;
}

/** Returns a one-line reason when a tool is missing, else undefined. */
export function missingTool(req: ToolRequirement): string | undefined {
  const path = findExecutable(req.bin);
  if (!path) {
    return `${req.bin} not found: install it (bash scripts/test-programs.sh install installs every test program) or set SHOAL_SKIP_INTEROP=1`;
  }
  return req.check?.();
}

/**
 * For node:test's `skip` option: the reason to skip when a tool is missing and
 * SHOAL_SKIP_INTEROP=1, else false (a missing tool then fails the test through
 * `assertTools`).
 */
export function skipReason(reqs: ToolRequirement[]): string | false {
  if (!skipMissingTools()) return false;
  const missing = reqs.filter((r) => missingTool(r) !== undefined).map((r) => r.pkg);
  return missing.length > 0
    ? `SHOAL_SKIP_INTEROP=1 and not installed: ${missing.join(", ")}`
    : false;
}

/** Throws a clear error when a tool is missing (CI installs them all). */
export function assertTools(reqs: ToolRequirement[]): void {
  const reasons = reqs.map(missingTool).filter((r) => r !== undefined);
  if (reasons.length > 0) throw new Error(reasons.join("; "));
}

/** Checks that Debian's python3 imports libtorrent. */
export function checkLibtorrent(): string | undefined {
  const probe = spawnSync(SYSTEM_PYTHON, ["-c", "import libtorrent"], { timeout: 10_000 });
  return probe.status === 0
    ? undefined
    : `${SYSTEM_PYTHON} cannot import libtorrent: apt-get install python3-libtorrent, or set SHOAL_SKIP_INTEROP=1`;
}

/** Transmission, aria2 and libtorrent: the real peers the interop tests drive. */
export const REAL_PEER_TOOLS: ToolRequirement[] = [
  { bin: "transmission-cli", pkg: "transmission-cli" },
  { bin: "aria2c", pkg: "aria2" },
  { bin: SYSTEM_PYTHON, pkg: "python3-libtorrent", check: checkLibtorrent },
];

/** libtorrent alone (python3-libtorrent), for tests whose only real peer it is. */
export const LIBTORRENT_TOOLS: ToolRequirement[] = REAL_PEER_TOOLS.filter(
  (t) => t.pkg === "python3-libtorrent",
);

// ---------------------------------------------------------------- ports

function bindTcp(port: number): Promise<number> {
  return new Promise((ok, fail) => {
    const server = createServer();
    server.once("error", fail);
    server.listen({ port, host: "127.0.0.1", exclusive: true }, () => {
      const address = server.address();
      const bound = typeof address === "object" && address ? address.port : 0;
      server.close(() => ok(bound));
    });
  });
}

function bindUdp(port: number): Promise<number> {
  return new Promise((ok, fail) => {
    const socket = createSocket("udp4");
    socket.once("error", (err) => {
      socket.close();
      fail(err);
    });
    socket.bind(port, "127.0.0.1", () => {
      const bound = socket.address().port;
      socket.close(() => ok(bound));
    });
  });
}

/**
 * Where freePort picks: below Linux's ephemeral range (ip_local_port_range,
 * 32768-60999 by default), so no socket bound to port 0 or connecting out
 * elsewhere in the run is handed the port between the pick and the child's bind.
 */
const PICK_FIRST = 20_000;
const PICK_LAST = 32_767;

/**
 * A port free on 127.0.0.1 for both TCP and UDP (trackers and peers listen on
 * both), for a program that cannot take port 0. Picked at random outside the
 * ephemeral range: with the kernel's pick (port 0), a busy run's outgoing
 * connections could take the port before the child bound it.
 */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = randomInt(PICK_FIRST, PICK_LAST + 1);
    try {
      await bindTcp(port);
      await bindUdp(port);
      return port;
    } catch {
      // taken for TCP or UDP: try another
    }
  }
  throw new Error("no port free for both TCP and UDP on 127.0.0.1 after 50 tries");
}

/** Several distinct free ports. */
export async function freePorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < count) ports.add(await freePort());
  return [...ports];
}

// ---------------------------------------------------------------- temp dirs

/** Temp dirs made by a test, removed together in its `after` hook. */
export class TempDirs {
  readonly #dirs: string[] = [];

  /** Makes a fresh directory under the OS temp dir (mode 0755, so a daemon that drops to `nobody` can read it). */
  async make(prefix: string): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), `shoal-${prefix}-`));
    await chmod(dir, 0o755);
    this.#dirs.push(dir);
    return dir;
  }

  async removeAll(): Promise<void> {
    const dirs = this.#dirs.splice(0);
    await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
  }
}

// ---------------------------------------------------------------- children

export interface StartOptions {
  /** Name used in error messages. */
  name: string;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Hard limit: the child is killed (SIGKILL) after this many ms. */
  timeoutMs: number;
}

/** A running child: its output as lines, and ways to wait for it and end it. */
export class Child {
  readonly name: string;
  readonly process: ChildProcess;
  readonly pid: number;
  /** Every line seen so far on stdout and stderr (split on \n and \r). */
  readonly lines: string[] = [];
  /** Resolves when the child has exited. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  #exitedFlag = false;
  /** Exited and its output all read: no line can come any more. */
  #closed = false;
  #waiters: Array<() => void> = [];
  readonly #hardTimer: NodeJS.Timeout;

  constructor(command: string, args: string[], opts: StartOptions) {
    this.name = opts.name;
    this.process = spawn(command, args, {
      cwd: opts.cwd,
      env: opts.env ?? process.env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    if (this.process.pid === undefined) {
      throw new Error(`${opts.name}: could not start ${command}`);
    }
    this.pid = this.process.pid;
    this.exited = new Promise((ok) => {
      this.process.once("exit", (code, signal) => {
        this.#exitedFlag = true;
        clearTimeout(this.#hardTimer);
        // Settle once the pipes have delivered the last lines too: Node may emit 'exit'
        // before them, and tests read `lines` as soon as this settles. A grandchild
        // holding a pipe open must not hold the test: 2 s at most.
        const settle = () => {
          clearTimeout(late);
          this.#closed = true;
          this.#notify();
          ok({ code, signal });
        };
        const late = setTimeout(settle, 2000);
        this.process.once("close", settle);
      });
    });
    // A spawn failure (ENOENT) arrives as 'error' and then no 'exit'.
    this.process.once("error", (err) => {
      this.lines.push(`spawn error: ${err.message}`);
      this.#exitedFlag = true;
      this.#closed = true;
      this.#notify();
    });
    for (const stream of [this.process.stdout, this.process.stderr]) {
      let partial = "";
      stream?.setEncoding("utf8");
      stream?.on("data", (chunk: string) => {
        const parts = (partial + chunk).split(/\r\n|\r|\n/);
        partial = parts.pop() ?? "";
        for (const line of parts) if (line.trim() !== "") this.lines.push(line);
        this.#notify();
      });
      stream?.on("end", () => {
        if (partial.trim() !== "") this.lines.push(partial);
        partial = "";
        this.#notify();
      });
    }
    this.#hardTimer = setTimeout(() => this.kill("SIGKILL"), opts.timeoutMs);
    this.#hardTimer.unref();
  }

  get hasExited(): boolean {
    return this.#exitedFlag;
  }

  #notify(): void {
    for (const waiter of this.#waiters.splice(0)) waiter();
  }

  /** The last lines of output, for error messages. */
  tail(count = 15): string {
    return this.lines.slice(-count).join("\n");
  }

  /**
   * Waits until a line matches; rejects on timeout or if the child exits
   * first, with the child's last output in the message.
   */
  waitForLine(pattern: RegExp, timeoutMs: number): Promise<RegExpMatchArray> {
    return new Promise((ok, fail) => {
      let seen = 0;
      const timer = setTimeout(() => {
        fail(
          new Error(
            `${this.name}: no line matching ${pattern} within ${timeoutMs} ms; last output:\n${this.tail()}`,
          ),
        );
      }, timeoutMs);
      const check = (): void => {
        for (; seen < this.lines.length; seen++) {
          const match = this.lines[seen]?.match(pattern);
          if (match) {
            clearTimeout(timer);
            ok(match);
            return;
          }
        }
        if (this.#closed) {
          clearTimeout(timer);
          fail(
            new Error(
              `${this.name} exited before printing a line matching ${pattern}; last output:\n${this.tail()}`,
            ),
          );
          return;
        }
        this.#waiters.push(check);
      };
      check();
    });
  }

  /** Sends a signal to this child's PID (only ever this PID). */
  kill(signal: NodeJS.Signals = "SIGTERM"): void {
    if (this.#exitedFlag) return;
    try {
      process.kill(this.pid, signal);
    } catch {
      // already gone
    }
  }

  /** SIGTERM, then SIGKILL if it has not exited within `graceMs`. */
  async stop(graceMs = 3000): Promise<void> {
    if (this.#exitedFlag) return;
    this.kill("SIGTERM");
    const timer = setTimeout(() => this.kill("SIGKILL"), graceMs);
    await Promise.race([this.exited, delay(graceMs + 2000)]);
    clearTimeout(timer);
  }
}

/** The children a test started; `stopAll` in `after` ends each by its PID. */
export class Children {
  readonly #children: Child[] = [];

  start(command: string, args: string[], opts: StartOptions): Child {
    const child = new Child(command, args, opts);
    this.#children.push(child);
    return child;
  }

  async stopAll(): Promise<void> {
    const children = this.#children.splice(0);
    await Promise.all(children.map((child) => child.stop()));
  }
}

// ---------------------------------------------------------------- waiting and HTTP

export function delay(ms: number): Promise<void> {
  return new Promise((ok) => setTimeout(ok, ms));
}

/**
 * Polls `probe` until it returns a value other than undefined; rejects after
 * `timeoutMs` with `what` and the last probe error in the message.
 */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs: number,
  intervalMs = 200,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() >= deadline) {
      const detail = lastError instanceof Error ? ` (last error: ${lastError.message})` : "";
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${detail}`);
    }
    await delay(intervalMs);
  }
}

/** Refuses any URL that is not on loopback (DESIGN.md: networking rules). */
export function assertLoopbackUrl(url: string): URL {
  const parsed = new URL(url);
  if (parsed.hostname !== "127.0.0.1" && parsed.hostname !== "[::1]") {
    throw new Error(`refusing to contact ${parsed.hostname}: tests talk only to loopback`);
  }
  return parsed;
}

/** GET on loopback with a timeout; resolves to status and body bytes. */
export async function httpGet(
  url: string,
  timeoutMs = 15_000,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: Buffer }> {
  assertLoopbackUrl(url);
  const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), headers });
  return { status: response.status, body: Buffer.from(await response.arrayBuffer()) };
}

/** GET of a JSON document on loopback. */
export async function httpGetJson(url: string, timeoutMs = 15_000): Promise<unknown> {
  const { status, body } = await httpGet(url, timeoutMs, { accept: "application/json" });
  if (status !== 200) throw new Error(`GET ${url} answered HTTP ${status}`);
  return JSON.parse(body.toString("utf8"));
}

/** Percent-encodes raw bytes for a tracker query (BEP 3: info_hash is raw bytes). */
export function percentEncodeBytes(bytes: Uint8Array): string {
  let out = "";
  for (const byte of bytes) out += `%${byte.toString(16).padStart(2, "0")}`;
  return out;
}

// ---------------------------------------------------------------- real peers

/**
 * Starts transmission-cli on one torrent with its own config dir. DHT, LSD,
 * PEX, uTP and port mapping are off and it binds to loopback only. Note that
 * Transmission refuses to dial 127.0.0.0/8, so in a loopback swarm the other
 * side must connect to it.
 */
export async function startTransmission(
  children: Children,
  opts: {
    torrent: string;
    dir: string;
    configDir: string;
    port: number;
    /** More settings.json keys (e.g. "encryption": 2 for required). */
    settings?: Record<string, unknown>;
  },
  timeoutMs: number,
): Promise<Child> {
  const settings = {
    ...opts.settings,
    "bind-address-ipv4": "127.0.0.1",
    "bind-address-ipv6": "::1",
    "blocklist-enabled": false,
    "dht-enabled": false,
    "download-dir": opts.dir,
    "idle-seeding-limit-enabled": false,
    "incomplete-dir-enabled": false,
    "lpd-enabled": false,
    "message-level": 2,
    "peer-port": opts.port,
    "peer-port-random-on-start": false,
    "pex-enabled": false,
    "port-forwarding-enabled": false,
    "ratio-limit-enabled": false,
    "rpc-enabled": false,
    "script-torrent-done-enabled": false,
    "speed-limit-down-enabled": false,
    "speed-limit-up-enabled": false,
    "start-added-torrents": true,
    "utp-enabled": false,
    "watch-dir-enabled": false,
  };
  await writeFile(join(opts.configDir, "settings.json"), JSON.stringify(settings, null, 2));
  // No -v: Transmission checks existing data of a torrent it adds anyway, and
  // transmission-cli quits when it sees the torrent stopped, which -v's
  // restart of that check can show it for a moment.
  const args = ["-g", opts.configDir, "-w", opts.dir, "-p", String(opts.port), "-M", opts.torrent];
  return children.start("transmission-cli", args, { name: "transmission-cli", timeoutMs });
}

/**
 * Starts aria2c on one torrent. DHT, LSD and PEX are off; with `udpTracker`
 * the IPv4 DHT switch must be on, because aria2 sends UDP tracker packets
 * from its DHT socket: the torrent is then private (so aria2 never uses DHT
 * for it), the routing table file lives in the temp dir and no DHT entry
 * point is given, so nothing is contacted but the tracker.
 */
export function startAria2(
  children: Children,
  opts: {
    torrent: string;
    dir: string;
    port: number;
    udpTracker: boolean;
    dhtPort?: number;
    /** Seed existing data (checked first) for this many minutes instead of exiting when done. */
    seedMinutes?: number;
    /** More aria2c options (e.g. --bt-require-crypto=true). */
    extraArgs?: string[];
  },
  timeoutMs: number,
): Child {
  const args = [
    "--no-conf=true",
    `--dir=${opts.dir}`,
    `--listen-port=${opts.port}`,
    `--enable-dht=${opts.udpTracker}`,
    "--enable-dht6=false",
    "--bt-enable-lpd=false",
    "--enable-peer-exchange=false",
    "--disable-ipv6=true",
    `--seed-time=${opts.seedMinutes ?? 0}`,
    ...(opts.seedMinutes ? ["--check-integrity=true", "--seed-ratio=0.0"] : []),
    "--bt-save-metadata=false",
    "--bt-tracker-connect-timeout=5",
    "--bt-tracker-timeout=10",
    "--file-allocation=none",
    "--allow-overwrite=true",
    "--auto-file-renaming=false",
    "--summary-interval=1",
    "--console-log-level=notice",
    "--enable-color=false",
    `--stop=${Math.ceil(timeoutMs / 1000)}`,
    ...(opts.extraArgs ?? []),
  ];
  if (opts.udpTracker) {
    args.push(`--dht-listen-port=${opts.dhtPort ?? opts.port}`);
    args.push(`--dht-file-path=${join(opts.dir, "dht.dat")}`);
  }
  args.push(opts.torrent);
  return children.start("aria2c", args, { name: "aria2c", timeoutMs });
}

/**
 * A libtorrent session on loopback with DHT, LSD, UPnP, NAT-PMP and PEX off.
 * Prints `ALERT <name> <message>` for tracker and error alerts, `STATE ...`
 * when the state changes, and `DONE` (then exits 0) when a leecher has every
 * piece. It stops by itself after `seconds`.
 */
const LIBTORRENT_SCRIPT = `
import json, sys, time
import libtorrent as lt
cfg = json.loads(sys.argv[1])
cat = lt.alert.category_t
s = lt.session({
    "listen_interfaces": "127.0.0.1:%d" % cfg["port"],
    "enable_dht": False, "enable_lsd": False,
    "enable_upnp": False, "enable_natpmp": False,
    "allow_multiple_connections_per_ip": True,
    "alert_mask": cat.error_notification | cat.tracker_notification | cat.status_notification,
    **cfg.get("settings", {}),
})
atp = lt.add_torrent_params()
atp.ti = lt.torrent_info(cfg["torrent"])
atp.save_path = cfg["save_path"]
tf = lt.torrent_flags
atp.flags = (atp.flags | tf.disable_pex | tf.disable_dht | tf.disable_lsd) & ~tf.auto_managed & ~tf.paused
h = s.add_torrent(atp)
print("ADDED", flush=True)
deadline = time.time() + cfg["seconds"]
last = None
while time.time() < deadline:
    for a in s.pop_alerts():
        print("ALERT", type(a).__name__, a.message(), flush=True)
    st = h.status()
    now = (str(st.state), st.num_peers, round(st.progress, 2))
    if now != last:
        print("STATE %s peers=%d progress=%.2f" % now, flush=True)
        last = now
    if cfg["mode"] == "leech" and st.is_seeding:
        print("DONE", flush=True)
        sys.exit(0)
    time.sleep(0.2)
print("TIMEOUT", flush=True)
sys.exit(3)
`;

export function startLibtorrent(
  children: Children,
  opts: {
    torrent: string;
    savePath: string;
    port: number;
    mode: "seed" | "leech";
    /** More settings_pack keys (e.g. out_enc_policy 0: encryption forced). */
    settings?: Record<string, unknown>;
  },
  timeoutMs: number,
): Child {
  const config = {
    settings: opts.settings ?? {},
    torrent: opts.torrent,
    save_path: opts.savePath,
    port: opts.port,
    mode: opts.mode,
    seconds: Math.ceil(timeoutMs / 1000),
  };
  return children.start(SYSTEM_PYTHON, ["-c", LIBTORRENT_SCRIPT, JSON.stringify(config)], {
    name: `libtorrent ${opts.mode}er`,
    timeoutMs: timeoutMs + 2000,
  });
}

/**
 * A torrent of `folder` (in `dir`/seed), written to `dir`/<name>.torrent and
 * seeded by libtorrent on a free loopback port; resolves once it seeds.
 */
export async function seedFolderWithLibtorrent(
  children: Children,
  o: { dir: string; name: string; pieceLength: number; timeoutMs: number },
): Promise<{
  torrent: Buffer;
  metainfo: Metainfo;
  torrentPath: string;
  port: number;
  seeder: Child;
}> {
  const { torrent, metainfo } = await createTorrent(join(o.dir, "seed", o.name), {
    trackers: [["http://127.0.0.1:9/announce"]],
    pieceLength: o.pieceLength,
  });
  const torrentPath = join(o.dir, `${o.name}.torrent`);
  await writeFile(torrentPath, torrent);
  const port = await freePort();
  const seeder = startLibtorrent(
    children,
    { torrent: torrentPath, savePath: join(o.dir, "seed"), port, mode: "seed" },
    o.timeoutMs,
  );
  await seeder.waitForLine(/STATE seeding/, 60_000);
  return { torrent, metainfo, torrentPath, port, seeder };
}

/** Makes a private single-file torrent with mktorrent; resolves to its path. */
export async function makeTorrent(
  dataFile: string,
  announce: string,
  out: string,
  pieceLengthExp = 16,
): Promise<string> {
  const child = new Child(
    "mktorrent",
    ["-p", "-l", String(pieceLengthExp), "-a", announce, "-o", out, dataFile],
    { name: "mktorrent", timeoutMs: 30_000 },
  );
  const { code } = await child.exited;
  if (code !== 0) throw new Error(`mktorrent failed (exit ${code}):\n${child.tail()}`);
  return out;
}
