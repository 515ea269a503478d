/**
 * A peer program under the transfer benchmark (a seeder or a leecher) as a
 * child process, with what the benchmark reads about it:
 *
 * - every output line with the time it arrived, so "complete" is timed when
 *   the leecher says so, not when the benchmark next looks;
 * - CPU seconds and peak RSS from /proc/<pid>, sampled every 100 ms and read
 *   on demand (a seeder is read just before it is told to stop);
 * - for a program that exits by itself (a leecher), its exact rusage: it runs
 *   under GNU time (`/usr/bin/time`), which wait4()s it and writes utime, stime
 *   and ru_maxrss to a file. GNU time dies on SIGTERM without passing it on,
 *   so the program's own PID is found (/proc/<time>/task/<time>/children) and
 *   every signal goes to that PID first.
 *
 * Every process started here is recorded; `stopAllPeers` (from `finally`) and
 * `killAllPeersNow` (on SIGINT/exit) end each by its own PID, never by name.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { accessSync, constants, readFileSync, writeFileSync } from "node:fs";
import { cpuTimes, memory } from "./proc.ts";

const GNU_TIME = "/usr/bin/time";
const running = new Set<PeerProcess>();

/** True when GNU time is installed (apt-get install time), so leechers' rusage is exact. */
export function haveGnuTime(): boolean {
  try {
    accessSync(GNU_TIME, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export interface PeerStart {
  name: string;
  command: string;
  args: string[];
  cwd?: string;
  /** Hard limit: killed (SIGKILL) after this many ms whatever happens. */
  timeoutMs: number;
  /** Run under GNU time and write its rusage to this file (for `rusage()`). */
  rusageFile?: string;
}

export interface Line {
  /** performance.now() when the line arrived. */
  at: number;
  text: string;
}

/** CPU seconds (user + system, all threads) and peak resident bytes (VmHWM / ru_maxrss). */
export interface Usage {
  cpuSeconds: number;
  /** Of cpuSeconds, the part in the kernel (stime): system calls, TCP, page cache. */
  systemSeconds: number;
  peakRss: number;
}

/**
 * Resident anonymous memory (RssAnon): the heap and buffers, without file
 * pages a program maps (libtorrent 2.0 mmaps the torrent's files, so its
 * VmHWM counts the page cache it touched). The kernel keeps no peak of it.
 */
function rssAnon(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "latin1");
  const match = status.match(/^RssAnon:\s+(\d+) kB/m);
  return match ? Number(match[1]) * 1024 : Number.NaN;
}

export class PeerProcess {
  readonly name: string;
  /** performance.now() just before the spawn. */
  readonly startedAt: number;
  readonly #child: ChildProcess;
  readonly #rusageFile: string | undefined;
  readonly #lines: Line[] = [];
  readonly #onLine: Array<(line: Line) => void> = [];
  readonly #hardTimer: NodeJS.Timeout;
  readonly #sampler: NodeJS.Timeout;
  /** Resolves when the spawned process (GNU time, when wrapped) has exited. */
  readonly exited: Promise<{ code: number | null; at: number }>;
  #exited = false;
  /** The program's own PID (under GNU time: its child). */
  #pid: number;
  #last: Usage = { cpuSeconds: Number.NaN, systemSeconds: Number.NaN, peakRss: Number.NaN };
  #peakAnon = 0;

  private constructor(start: PeerStart) {
    this.name = start.name;
    this.#rusageFile = start.rusageFile;
    const [command, args] = start.rusageFile
      ? [
          GNU_TIME,
          ["-f", "RUSAGE %e %U %S %M", "-o", start.rusageFile, start.command, ...start.args],
        ]
      : [start.command, start.args];
    this.startedAt = performance.now();
    this.#child = spawn(command, args, { cwd: start.cwd, stdio: ["ignore", "pipe", "pipe"] });
    if (this.#child.pid === undefined) throw new Error(`${start.name}: could not start ${command}`);
    this.#pid = this.#child.pid;
    running.add(this);
    this.exited = new Promise((ok) => {
      const done = (code: number | null): void => {
        if (this.#exited) return;
        this.#exited = true;
        running.delete(this);
        clearTimeout(this.#hardTimer);
        clearInterval(this.#sampler);
        ok({ code, at: performance.now() });
      };
      this.#child.once("exit", (code) => done(code));
      this.#child.once("error", (err) => {
        this.#push(`spawn error: ${err.message}`);
        done(null);
      });
    });
    for (const stream of [this.#child.stdout, this.#child.stderr]) {
      let partial = "";
      stream?.setEncoding("utf8");
      stream?.on("data", (chunk: string) => {
        const parts = (partial + chunk).split(/\r\n|\r|\n/);
        partial = parts.pop() ?? "";
        for (const text of parts) if (text.trim() !== "") this.#push(text);
      });
    }
    this.#hardTimer = setTimeout(() => this.#signal("SIGKILL"), start.timeoutMs);
    this.#hardTimer.unref();
    this.#sampler = setInterval(() => this.sample(), 100);
    this.#sampler.unref();
  }

  /** Starts a program; under GNU time, resolves once the program's own PID is known. */
  static async start(start: PeerStart): Promise<PeerProcess> {
    const peer = new PeerProcess(start);
    if (start.rusageFile) await peer.#findProgramPid();
    return peer;
  }

  async #findProgramPid(): Promise<void> {
    const wrapper = this.#child.pid!;
    const deadline = performance.now() + 5000;
    while (!this.#exited && performance.now() < deadline) {
      try {
        const pid = Number(readFileSync(`/proc/${wrapper}/task/${wrapper}/children`, "latin1"));
        if (pid > 0) {
          this.#pid = pid;
          return;
        }
      } catch {
        // not forked yet, or already gone
      }
      await new Promise((ok) => setTimeout(ok, 2));
    }
    if (!this.#exited)
      throw new Error(`${this.name}: cannot find the PID of the program under time`);
  }

  /** The program's own PID. */
  get pid(): number {
    return this.#pid;
  }

  get hasExited(): boolean {
    return this.#exited;
  }

  #push(text: string): void {
    const line = { at: performance.now(), text };
    this.#lines.push(line);
    if (this.#lines.length > 500) this.#lines.shift();
    for (const listener of [...this.#onLine]) listener(line);
  }

  /** The last lines of output, for error messages. */
  tail(count = 12): string {
    return this.#lines
      .slice(-count)
      .map((l) => l.text)
      .join("\n");
  }

  /** Resolves with the first line (already seen or to come) that matches; rejects on timeout or exit. */
  waitForLine(pattern: RegExp, timeoutMs: number): Promise<Line & { match: RegExpMatchArray }> {
    return new Promise((ok, fail) => {
      const finish = (err: Error | undefined, line?: Line, match?: RegExpMatchArray): void => {
        clearTimeout(timer);
        const i = this.#onLine.indexOf(listener);
        if (i >= 0) this.#onLine.splice(i, 1);
        if (err) fail(err);
        else ok({ ...line!, match: match! });
      };
      const listener = (line: Line): void => {
        const match = line.text.match(pattern);
        if (match) finish(undefined, line, match);
      };
      const timer = setTimeout(
        () =>
          finish(
            new Error(
              `${this.name}: no line matching ${pattern} in ${timeoutMs} ms:\n${this.tail()}`,
            ),
          ),
        timeoutMs,
      );
      for (const line of this.#lines) {
        const match = line.text.match(pattern);
        if (match) return finish(undefined, line, match);
      }
      this.#onLine.push(listener);
      this.exited.then(() => {
        // Let the pipes drain: the last line may arrive just after the exit event.
        setTimeout(
          () =>
            finish(
              new Error(`${this.name} exited before a line matching ${pattern}:\n${this.tail()}`),
            ),
          200,
        );
      });
    });
  }

  /** Waits for the exit, bounded; rejects after `timeoutMs`. */
  async waitForExit(timeoutMs: number): Promise<{ code: number | null; at: number }> {
    let timer: NodeJS.Timeout | undefined;
    const limit = new Promise<never>((_, fail) => {
      timer = setTimeout(
        () => fail(new Error(`${this.name} did not exit in ${timeoutMs} ms:\n${this.tail()}`)),
        timeoutMs,
      );
    });
    try {
      return await Promise.race([this.exited, limit]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Reads CPU seconds and VmHWM now (the last good sample once the program is gone). */
  sample(): Usage {
    if (this.#exited) return this.#last;
    try {
      const { user, system } = cpuTimes(this.#pid);
      const { peakRss } = memory(this.#pid);
      const anon = rssAnon(this.#pid);
      if (anon > this.#peakAnon) this.#peakAnon = anon;
      // A zombie has no memory map and so no VmHWM: keep the last real one.
      this.#last = {
        cpuSeconds: user + system,
        systemSeconds: system,
        peakRss: Number.isFinite(peakRss) ? peakRss : this.#last.peakRss,
      };
    } catch {
      // gone: keep the last sample
    }
    return this.#last;
  }

  /** The largest RssAnon seen by the 100 ms samples since the start or the last reset. */
  get peakAnon(): number {
    return this.#peakAnon;
  }

  /**
   * Resets the peak RSS (VmHWM) to the current RSS (`echo 5 > clear_refs`,
   * Linux ≥ 4.0), so a seeder's peak covers the transfer, not its start-up
   * check. False when the kernel refuses.
   */
  resetPeakRss(): boolean {
    this.#peakAnon = 0;
    try {
      writeFileSync(`/proc/${this.#pid}/clear_refs`, "5");
      return true;
    } catch {
      return false;
    }
  }

  /** After exit under GNU time: the program's whole-life rusage; undefined when unavailable. */
  rusage(): Usage | undefined {
    if (!this.#rusageFile || !this.#exited) return undefined;
    try {
      const lines = readFileSync(this.#rusageFile, "utf8").split("\n");
      const fields = lines.find((l) => l.startsWith("RUSAGE "))?.split(" ");
      if (!fields) return undefined;
      const [, , user, system, maxRssKiB] = fields.map(Number);
      return { cpuSeconds: user! + system!, systemSeconds: system!, peakRss: maxRssKiB! * 1024 };
    } catch {
      return undefined;
    }
  }

  #signal(signal: NodeJS.Signals): void {
    if (this.#exited) return;
    for (const pid of new Set([this.#pid, this.#child.pid!])) {
      try {
        process.kill(pid, signal);
      } catch {
        // already gone
      }
    }
  }

  /** SIGTERM to the program, SIGKILL after `graceMs`; resolves once it has exited (bounded). */
  async stop(graceMs = 5000): Promise<void> {
    if (this.#exited) return;
    try {
      process.kill(this.#pid, "SIGTERM");
    } catch {
      // already gone
    }
    const kill = setTimeout(() => this.#signal("SIGKILL"), graceMs);
    await Promise.race([this.exited, new Promise((ok) => setTimeout(ok, graceMs + 2000))]);
    clearTimeout(kill);
  }

  /** SIGKILL at once, to the program and (under time) the wrapper. */
  killNow(): void {
    this.#signal("SIGKILL");
  }
}

/** Stops every peer process this benchmark started, each by its PID. */
export async function stopAllPeers(): Promise<void> {
  await Promise.all([...running].map((p) => p.stop(2000)));
}

/** Synchronous last resort: SIGKILL every peer process still running, by PID. */
export function killAllPeersNow(): void {
  for (const p of running) p.killNow();
}
