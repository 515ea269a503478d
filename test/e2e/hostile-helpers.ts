/**
 * Shared by the hostile-peer and hostile-client suites: shoal commands as
 * child processes (so that "the process stays up" and its memory mean
 * something), their resident memory read from /proc, and raw TCP clients
 * that misbehave. Every loop here is bounded by its caller in count and time.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { resolve } from "node:path";

export const MAIN = resolve(import.meta.dirname, "../../src/cli/main.ts");

export interface Shoal {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Sends SIGTERM, then SIGKILL after 5 s; resolves once it exited. */
  stop(): Promise<void>;
}

/** Starts `shoal seed` on 127.0.0.1:`port`, no trackers nor DHT; resolves once it seeds. */
export function spawnLoopbackSeed(
  torrentPath: string,
  contentDir: string,
  port: number,
  dataDir: string,
  extra: string[] = [],
): Promise<Shoal> {
  return spawnShoal(
    [
      "seed",
      torrentPath,
      contentDir,
      "--port",
      String(port),
      "--host",
      "127.0.0.1",
      "--no-trackers",
      "--no-dht",
      "--data-dir",
      dataDir,
      ...extra,
    ],
    (out) => out.includes("[seeding]"),
  );
}

/** Starts `shoal <args>` and resolves once `ready` holds for its output (stdout then stderr). */
export function spawnShoal(args: string[], ready: (out: string) => boolean): Promise<Shoal> {
  return new Promise((resolveStart, reject) => {
    const child = spawn(process.execPath, [MAIN, ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    const exited = new Promise<void>((r) => child.once("exit", () => r()));
    const shoal: Shoal = {
      child,
      stdout: () => out,
      stderr: () => err,
      async stop() {
        if (child.exitCode !== null || child.signalCode !== null) return;
        child.kill("SIGTERM");
        const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
        await exited;
        clearTimeout(timer);
      },
    };
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`shoal ${args[0]} did not start: ${err}`));
    }, 60_000);
    let started = false;
    const check = () => {
      if (started || !ready(out + err)) return;
      started = true;
      clearTimeout(timer);
      resolveStart(shoal);
    };
    child.stderr!.setEncoding("utf8").on("data", (d: string) => {
      // Keep the start and the last 64 KiB: a live console writes a line a second.
      err = err.length > 128 * 1024 ? err.slice(0, 1024) + err.slice(-65_536) + d : err + d;
      check();
    });
    child.stdout!.setEncoding("utf8").on("data", (d: string) => {
      out += d;
      check();
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`shoal ${args[0]} exited with ${code}: ${err}`));
    });
  });
}

/** A port free on 127.0.0.1 for a child to bind, outside the ephemeral range (interop/helpers.ts says why). */
export { freePort } from "../interop/helpers.ts";

/** Resident memory of a process, in bytes (Linux /proc). */
export function residentBytes(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  if (!m) throw new Error(`no VmRSS for ${pid}`);
  return Number(m[1]) * 1024;
}

/** Samples a process's resident memory every `everyMs` until stopped; the peak. */
export function watchMemory(pid: number, everyMs = 100): { stop(): number } {
  let peak = residentBytes(pid);
  const timer = setInterval(() => {
    try {
      peak = Math.max(peak, residentBytes(pid));
    } catch {
      // the process is gone: the test's own checks say so
    }
  }, everyMs);
  // A test that fails before stop() must not keep its file's process alive.
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
      return peak;
    },
  };
}

/** Resolves once a TCP connection to the port succeeds (polling, for `ms`). */
export async function waitForPort(port: number, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    const ok = await new Promise<boolean>((r) => {
      const s = connect({ port, host: "127.0.0.1" });
      s.once("connect", () => {
        s.destroy();
        r(true);
      });
      s.once("error", () => r(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`nothing listens on ${port}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Every raw connection a test made, so that its end can close what is left. */
const opened = new Set<Socket>();

/** Closes every raw connection still open (a test's `after`). */
export function destroyRawConnections(): void {
  for (const s of opened) s.destroy();
  opened.clear();
}

/**
 * A raw TCP connection; resolves once connected. What arrives is read and
 * dropped (a socket nobody reads never sees the peer close it) unless the
 * caller pauses it. Errors are swallowed (the peer may cut us off).
 */
export function rawConnect(port: number): Promise<Socket> {
  return new Promise((resolveSocket, reject) => {
    const s = connect({ port, host: "127.0.0.1" });
    opened.add(s);
    s.once("close", () => opened.delete(s));
    s.once("connect", () => {
      s.resume();
      s.removeListener("error", reject);
      s.on("error", () => {});
      resolveSocket(s);
    });
    s.once("error", reject);
  });
}

/** Resolves when the socket closes, or false after `ms`. */
export function closed(s: Socket, ms: number): Promise<boolean> {
  if (s.destroyed) return Promise.resolve(true);
  return new Promise((r) => {
    const timer = setTimeout(() => r(false), ms);
    s.once("close", () => {
      clearTimeout(timer);
      r(true);
    });
  });
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
