/**
 * A redis-server of a test's own: on a free loopback port, in a temp dir the
 * test removes, stopped by its PID. Without persistence unless asked (then
 * an append-only file in that dir, so a restart finds what was written).
 */
import { createConnection } from "node:net";
import { Child, delay, freePort, skipReason, type ToolRequirement } from "../interop/helpers.ts";

export const REDIS_TOOLS: ToolRequirement[] = [{ bin: "redis-server", pkg: "redis-server" }];

/** For node:test's `skip`: a reason when redis-server is missing and SHOAL_SKIP_INTEROP=1. */
export function redisSkip(): string | false {
  return skipReason(REDIS_TOOLS);
}

export interface RedisOptions {
  /** An append-only file with fsync on every write: a restart loses nothing. */
  persist?: boolean;
  /** The port to listen on (a restart passes the previous one). */
  port?: number;
  /** More of redis-server's options, e.g. `--rename-command FUNCTION ""`. */
  args?: string[];
}

/** Sends PING over a fresh connection; true on +PONG within timeoutMs. */
export function pingRedis(port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: "127.0.0.1", port });
    const timer = setTimeout(() => {
      socket.destroy();
      resolve(false);
    }, timeoutMs);
    let got = "";
    socket.on("connect", () => socket.write("PING\r\n"));
    socket.on("data", (d) => {
      got += d.toString("latin1");
      if (got.includes("\r\n")) {
        clearTimeout(timer);
        socket.destroy();
        resolve(got.startsWith("+PONG"));
      }
    });
    socket.on("error", () => {
      clearTimeout(timer);
      resolve(false);
    });
  });
}

export class RedisServer {
  readonly port: number;
  readonly dir: string;
  readonly child: Child;
  readonly persist: boolean;
  readonly args: string[];

  private constructor(port: number, dir: string, child: Child, opts: RedisOptions) {
    this.port = port;
    this.dir = dir;
    this.child = child;
    this.persist = opts.persist ?? false;
    this.args = opts.args ?? [];
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}/0`;
  }

  /** Starts one in `dir` and waits until it answers PING (at most 10 s). */
  static async start(dir: string, opts: RedisOptions = {}): Promise<RedisServer> {
    const port = opts.port ?? (await freePort());
    const args = [
      "--port",
      String(port),
      "--bind",
      "127.0.0.1",
      "--dir",
      dir,
      "--save",
      "",
      "--protected-mode",
      "yes",
      "--daemonize",
      "no",
      "--logfile",
      "",
    ];
    if (opts.persist) args.push("--appendonly", "yes", "--appendfsync", "always");
    else args.push("--appendonly", "no");
    args.push(...(opts.args ?? []));
    const child = new Child("redis-server", args, { name: "redis-server", timeoutMs: 600_000 });
    const deadline = Date.now() + 60_000;
    while (!(await pingRedis(port, 500))) {
      if (child.hasExited || Date.now() > deadline) {
        child.kill("SIGKILL");
        throw new Error(`redis-server did not answer on port ${port}:\n${child.tail()}`);
      }
      await delay(50);
    }
    return new RedisServer(port, dir, child, opts);
  }

  /** Ends it by its PID (SIGTERM: it writes what it must; SIGKILL after 3 s). */
  stop(): Promise<void> {
    return this.child.stop(3000);
  }

  /** Starts it again on the same port and dir (after stop()). */
  restart(): Promise<RedisServer> {
    return RedisServer.start(this.dir, { port: this.port, persist: this.persist, args: this.args });
  }
}

const SHOAL_MAIN = new URL("../../src/cli/main.ts", import.meta.url).pathname;

/** A `shoal tracker` child on loopback, given its store options, once it listens. */
export interface TrackerProcess {
  child: Child;
  port: number;
  base: string;
}

/** Starts `shoal tracker --host 127.0.0.1 --port 0 …args` and waits for its listening line. */
export async function startTrackerProcess(args: string[]): Promise<TrackerProcess> {
  const child = new Child(
    process.execPath,
    [SHOAL_MAIN, "tracker", "--host", "127.0.0.1", "--port", "0", ...args],
    { name: "shoal tracker", timeoutMs: 300_000 },
  );
  const m = await child.waitForLine(/tracker listening on http:\/\/127\.0\.0\.1:(\d+)\//, 60_000);
  const port = Number(m[1]);
  return { child, port, base: `http://127.0.0.1:${port}` };
}
