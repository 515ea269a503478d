/**
 * A server under benchmark as a child process: started (optionally pinned to
 * a core), watched for its readiness line, and ended by its own PID. Every
 * server started here is recorded so `stopAllServers` (called from `finally`
 * and on SIGINT/SIGTERM) leaves nothing running, even after an error.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { pinnedCommand } from "./taskset.ts";

const running = new Set<ServerProcess>();

export interface ServerStart {
  name: string;
  command: string;
  args: string[];
  cwd?: string;
  /** Cores to pin the server to (taskset -c), or undefined for no pinning. */
  cores?: string;
  /** Hard limit: the server is killed after this many ms whatever happens. */
  timeoutMs: number;
}

export class ServerProcess {
  readonly name: string;
  readonly pid: number;
  readonly #child: ChildProcess;
  readonly #lines: string[] = [];
  readonly #hardTimer: NodeJS.Timeout;
  readonly exited: Promise<number | null>;
  #exited = false;
  #onLine: Array<(line: string) => void> = [];

  constructor(start: ServerStart) {
    this.name = start.name;
    const { command, args } = pinnedCommand(start.cores, start.command, start.args);
    this.#child = spawn(command, args, { cwd: start.cwd, stdio: ["ignore", "pipe", "pipe"] });
    if (this.#child.pid === undefined) throw new Error(`${start.name}: could not start ${command}`);
    this.pid = this.#child.pid;
    running.add(this);
    this.exited = new Promise((ok) => {
      this.#child.once("exit", (code) => {
        this.#exited = true;
        running.delete(this);
        clearTimeout(this.#hardTimer);
        ok(code);
      });
      this.#child.once("error", (err) => {
        this.#push(`spawn error: ${err.message}`);
        this.#exited = true;
        running.delete(this);
        ok(null);
      });
    });
    for (const stream of [this.#child.stdout, this.#child.stderr]) {
      let partial = "";
      stream?.setEncoding("utf8");
      stream?.on("data", (chunk: string) => {
        const parts = (partial + chunk).split(/\r?\n/);
        partial = parts.pop() ?? "";
        for (const line of parts) this.#push(line);
      });
    }
    this.#hardTimer = setTimeout(() => this.#signal("SIGKILL"), start.timeoutMs);
    this.#hardTimer.unref();
  }

  #push(line: string): void {
    this.#lines.push(line);
    if (this.#lines.length > 200) this.#lines.shift();
    for (const listener of this.#onLine) listener(line);
  }

  get hasExited(): boolean {
    return this.#exited;
  }

  /** The server's last lines of output, for error messages. */
  tail(count = 10): string {
    return this.#lines.slice(-count).join("\n");
  }

  /** Resolves when a line matches; rejects on timeout or early exit. */
  waitForLine(pattern: RegExp, timeoutMs: number): Promise<string> {
    return new Promise((ok, fail) => {
      const done = (err?: Error, line?: string): void => {
        clearTimeout(timer);
        this.#onLine = this.#onLine.filter((l) => l !== listener);
        if (err) fail(err);
        else ok(line ?? "");
      };
      const listener = (line: string): void => {
        if (pattern.test(line)) done(undefined, line);
      };
      const timer = setTimeout(
        () => done(new Error(`${this.name}: not ready after ${timeoutMs} ms:\n${this.tail()}`)),
        timeoutMs,
      );
      const seen = this.#lines.find((line) => pattern.test(line));
      if (seen !== undefined) return done(undefined, seen);
      this.#onLine.push(listener);
      this.exited.then(() =>
        done(new Error(`${this.name} exited before it was ready:\n${this.tail()}`)),
      );
    });
  }

  #signal(signal: NodeJS.Signals): void {
    if (this.#exited) return;
    try {
      process.kill(this.pid, signal);
    } catch {
      // already gone
    }
  }

  /** SIGTERM, then SIGKILL after `graceMs`; resolves once it has exited. */
  async stop(graceMs = 2000): Promise<void> {
    if (this.#exited) return;
    this.#signal("SIGTERM");
    const kill = setTimeout(() => this.#signal("SIGKILL"), graceMs);
    await this.exited;
    clearTimeout(kill);
  }
}

/** Stops every server this process started, each by its PID. */
export async function stopAllServers(): Promise<void> {
  await Promise.all([...running].map((server) => server.stop()));
}

/** Synchronous last resort on exit: SIGKILL each server still running, by PID. */
export function killAllServersNow(): void {
  for (const server of running) {
    try {
      process.kill(server.pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
}

/**
 * A port free on 127.0.0.1 for both TCP and UDP (each target listens on both
 * with one number). The kernel picks it; the race until the server binds it
 * is small and a failed start says so.
 */
export async function freePort(): Promise<number> {
  const { createServer } = await import("node:net");
  const { createSocket } = await import("node:dgram");
  for (let attempt = 0; attempt < 20; attempt++) {
    const port = await new Promise<number>((ok, fail) => {
      const server = createServer();
      server.once("error", fail);
      server.listen(0, "127.0.0.1", () => {
        const address = server.address();
        server.close(() => ok(typeof address === "object" && address ? address.port : 0));
      });
    });
    const udpFree = await new Promise<boolean>((ok) => {
      const socket = createSocket("udp4");
      socket.once("error", () => {
        socket.close();
        ok(false);
      });
      socket.bind(port, "127.0.0.1", () => socket.close(() => ok(true)));
    });
    if (udpFree) return port;
  }
  throw new Error("no port free for both TCP and UDP on 127.0.0.1");
}
