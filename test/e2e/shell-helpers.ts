/** Drives `shoal …` child processes line by line (the shell reading a script from stdin). */
import { type ChildProcess, spawn } from "node:child_process";
import { join, resolve } from "node:path";

const REPO = resolve(import.meta.dirname, "../..");
export const MAIN = join(REPO, "src/cli/main.ts");

export class CliProcess {
  readonly child: ChildProcess;
  stdout = "";
  stderr = "";
  /** Where the next waitFor starts looking in stdout. */
  #seen = 0;
  /** Exit code once the process has ended and its output is all read. */
  readonly exited: Promise<number>;
  #closed = false;

  constructor(args: string[], env: NodeJS.ProcessEnv = process.env) {
    this.child = spawn(process.execPath, [MAIN, ...args], {
      stdio: ["pipe", "pipe", "pipe"],
      env,
    });
    this.child.stdout!.setEncoding("utf8").on("data", (d: string) => {
      this.stdout += d;
    });
    this.child.stderr!.setEncoding("utf8").on("data", (d: string) => {
      this.stderr += d;
    });
    // 'close', not 'exit': the pipes may still hold the last lines when the process has
    // exited, and a test reads stdout as soon as this settles.
    this.exited = new Promise((done) =>
      this.child.on("close", (code) => {
        this.#closed = true;
        done(code ?? -1);
      }),
    );
  }

  send(line: string): void {
    this.child.stdin!.write(`${line}\n`);
  }

  /** Ends stdin (the script's end of file). */
  end(): void {
    this.child.stdin!.end();
  }

  /** Waits until stdout, after what earlier waits consumed, matches `re`. */
  async waitFor(re: RegExp, timeoutMs = 60_000): Promise<RegExpExecArray> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const rest = this.stdout.slice(this.#seen);
      const m = re.exec(rest);
      if (m) {
        this.#seen += m.index + m[0].length;
        return m;
      }
      // Ended: give up only once its output is all read (the last lines may follow the exit).
      if (Date.now() > deadline || this.#closed) {
        throw new Error(
          `no ${re} in the output after ${timeoutMs} ms\n--- stdout (unread) ---\n${rest}\n--- stderr ---\n${this.stderr}`,
        );
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Sends a command and waits for its answer. */
  async ask(line: string, re: RegExp, timeoutMs?: number): Promise<RegExpExecArray> {
    this.send(line);
    return this.waitFor(re, timeoutMs);
  }

  kill(): void {
    if (this.child.exitCode === null) this.child.kill("SIGKILL");
  }
}
