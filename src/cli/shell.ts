/**
 * The interactive shell's loop: a prompt with the port, history and tab
 * completion on a terminal (node:readline); plain line-by-line reading when
 * stdin is a script or a pipe, echoing nothing but the commands' output.
 * Commands run one at a time, in order. `quit`, Ctrl-D, end of input or
 * SIGTERM leave gracefully: trackers told `stopped`, resume data saved.
 */
import { readdirSync, statSync } from "node:fs";
import { appendFile, readFile } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import { clearLine, createInterface, cursorTo, type Interface } from "node:readline";
import type { ApiEvent } from "../api/index.ts";
import { isShoalError, printable, printableLines } from "../util/index.ts";
import { consoleSnapshot, renderConsole } from "./console-frame.ts";
import { systemErrorMessage } from "./errors.ts";
import { UsageError } from "./io.ts";
import { type ConsoleStream, startLiveConsole } from "./live-console.ts";
import {
  findShellCommand,
  SHELL_COMMANDS,
  type ShellContext,
  shellHelp,
} from "./shell-commands.ts";
import { ShellError } from "./shell-error.ts";

export interface ShellInput extends NodeJS.ReadableStream {
  isTTY?: boolean;
}

export interface ShellOptions {
  ctx: Omit<ShellContext, "print" | "showConsole">;
  input: ShellInput;
  output: NodeJS.WritableStream & ConsoleStream;
  errors: NodeJS.WritableStream;
  /** A terminal on both ends: prompt, history, completion, notices. */
  interactive: boolean;
  listenHost: string | undefined;
  historyFile?: string;
  /** Ends the session gracefully (trackers told, resume data and the session saved). */
  close(): Promise<void>;
}

const SHOW_WORDS = ["swarms", "progress", "peers", "directory"];
const HISTORY_SIZE = 500;

/** Splits a command line into words; "double" and 'single' quotes keep spaces. */
export function splitWords(line: string): string[] {
  const words: string[] = [];
  let word = "";
  let quote: string | undefined;
  let inWord = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote) {
      if (c === quote) quote = undefined;
      else word += c;
    } else if (c === '"' || c === "'") {
      quote = c;
      inWord = true;
    } else if (c === "\\" && i + 1 < line.length) {
      word += line[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(word);
      word = "";
      inWord = false;
    } else {
      word += c;
      inWord = true;
    }
  }
  if (quote) throw new ShellError("unclosed_quote", `unclosed ${quote} quote`);
  if (inWord) words.push(word);
  return words;
}

function completePath(cwd: string, word: string): string[] {
  const dirPart = word.endsWith("/")
    ? word
    : dirname(word) === "." && !word.startsWith("./")
      ? ""
      : `${dirname(word)}/`;
  const stem = word.endsWith("/") ? "" : basename(word);
  try {
    return readdirSync(resolve(cwd, dirPart || "."))
      .filter((n) => n.startsWith(stem) && (stem.startsWith(".") || !n.startsWith(".")))
      .map((n) => {
        const full = `${dirPart}${n}`;
        let dir = false;
        try {
          dir = statSync(resolve(cwd, full)).isDirectory();
        } catch {}
        return dir ? `${full}/` : full;
      });
  } catch {
    return [];
  }
}

export class Shell {
  readonly ctx: ShellContext;
  readonly #o: ShellOptions;
  readonly #unsubscribe: () => void;
  #rl: Interface | undefined;
  #busy = false;
  #failures = 0;

  constructor(o: ShellOptions) {
    this.#o = o;
    this.ctx = {
      ...o.ctx,
      // Everything the commands print passes here: names, paths and tracker
      // replies inside it cannot drive the terminal (util/printable.ts).
      print: (text) => {
        o.output.write(printableLines(text));
      },
      showConsole: () => this.#console(),
    };
    this.#unsubscribe = this.ctx.api.subscribe((e) => this.#onEvent(e), {
      types: ["completed", "error", "warning"],
    });
  }

  get prompt(): string {
    return `shoal:${this.ctx.api.client().port}> `;
  }

  /** Runs one command line; false when it asks to quit. Errors are printed, not thrown. */
  async execute(line: string): Promise<boolean> {
    let words: string[];
    try {
      words = splitWords(line);
    } catch (err) {
      this.#error(err);
      return true;
    }
    const [name, ...args] = words;
    if (name === undefined || name.startsWith("#")) return true;
    if (name === "quit" || name === "exit") return false;
    this.#busy = true;
    try {
      if (name === "help" || name === "?") {
        this.ctx.print(shellHelp(args[0]));
      } else {
        const command = findShellCommand(name);
        if (!command)
          throw new ShellError("unknown_command", `unknown command '${name}' (try 'help')`);
        await this.ctx.api.refresh?.();
        await command.run(this.ctx, args);
      }
    } catch (err) {
      this.#error(err);
    } finally {
      this.#busy = false;
    }
    return true;
  }

  /** Reads commands until quit or end of input, then closes the client; the exit code. */
  async run(): Promise<number> {
    const { input, output, interactive } = this.#o;
    const history = interactive ? await this.#loadHistory() : [];
    const rl = createInterface({
      input,
      ...(interactive
        ? {
            output,
            terminal: true,
            history,
            historySize: HISTORY_SIZE,
            removeHistoryDuplicates: true,
            completer: (line: string) => this.complete(line),
          }
        : { terminal: false }),
      crlfDelay: Number.POSITIVE_INFINITY,
    });
    this.#rl = rl;
    let signals = 0;
    const onSignal = () => {
      if (++signals > 1) process.exit(130);
      rl.close();
    };
    process.on("SIGTERM", onSignal);
    if (!interactive) process.on("SIGINT", onSignal);
    rl.on("SIGINT", () => {
      // Ctrl-C clears a typed line; on an empty line it leaves, as Ctrl-D does.
      if (rl.line.length > 0) {
        rl.write(null, { ctrl: true, name: "u" });
        return;
      }
      output.write("\n");
      rl.close();
    });
    try {
      if (interactive) {
        rl.setPrompt(this.prompt);
        rl.prompt();
      }
      for await (const line of rl) {
        if (interactive && line.trim()) void this.#remember(line);
        if (!(await this.execute(line))) break;
        if (interactive) rl.prompt();
      }
    } finally {
      rl.close();
      process.off("SIGTERM", onSignal);
      process.off("SIGINT", onSignal);
      this.#rl = undefined;
    }
    await this.close();
    return interactive || this.#failures === 0 ? 0 : 1;
  }

  /** Graceful end: every torrent stopped and saved, the session written. */
  async close(): Promise<void> {
    if (this.#o.interactive) {
      this.ctx.print("stopping: telling the trackers, saving resume data…\n");
    }
    this.#unsubscribe();
    await this.#o.close();
  }

  /** Tab completion: command names, then what each command takes. */
  complete(line: string): [string[], string] {
    const words = line.split(/\s+/);
    const word = words.at(-1) ?? "";
    const pick = (options: string[]) =>
      [options.filter((o) => o.startsWith(word)), word] as [string[], string];
    if (words.length <= 1) {
      const names = SHELL_COMMANDS.flatMap((c) => [c.name, ...(c.aliases ?? [])]);
      return pick([...names, "help", "quit"].sort());
    }
    const command = findShellCommand(words[0]!);
    const ids = this.ctx.api.list({ fields: ["id"] }).map((t) => String(t.id));
    const position = words.length - 1;
    switch (words[0] === "help" ? "help" : command?.completes) {
      case "help":
        return pick(SHELL_COMMANDS.map((c) => c.name));
      case "show":
        if (position === 1) return pick(SHOW_WORDS);
        return words[1] === "peers" && position === 2 ? pick(ids) : [[], word];
      case "limit":
        return position === 1 ? pick(["up", "down"]) : [[], word];
      case "id":
        return position === 1 ? pick(ids) : [[], word];
      case "path": {
        if (position !== 1) return [[], word];
        const extra =
          command?.name === "download"
            ? this.ctx.index.map((t) => t.infoHash.slice(0, 12))
            : command?.name === "publish"
              ? ids
              : [];
        return [
          [...completePath(this.ctx.cwd, word), ...extra.filter((x) => x.startsWith(word))],
          word,
        ];
      }
      default:
        return [[], word];
    }
  }

  /** A notice that arrives on its own (a download finished): above the prompt. */
  notify(text: string): void {
    const message = printable(text);
    const rl = this.#rl;
    const { output } = this.#o;
    if (!this.#o.interactive || !rl) return;
    if (this.#busy) {
      output.write(`${message}\n`);
      return;
    }
    clearLine(output, 0);
    cursorTo(output, 0);
    output.write(`${message}\n`);
    rl.prompt(true);
  }

  /** What happens to a torrent on its own: a download finished, an error, a warning. */
  #onEvent(e: ApiEvent): void {
    if (e.type === "completed") {
      this.notify(`[${e.id}] ${e.name}: download complete`);
    } else if (e.type === "error") {
      // Stopped on its own (a full disk, a path the system refuses): said once.
      const line = `[${e.id}] ${e.name}: stopped: ${e.message}`;
      if (this.#o.interactive) this.notify(line);
      else this.#o.errors.write(`${printable(line)}\n`);
    } else if (e.type === "warning") {
      const line = `${e.id === undefined ? "" : `[${e.id}] `}warning: ${e.message}`;
      if (this.#o.interactive) this.notify(line);
      else this.#o.errors.write(`${printable(line)}\n`);
    }
  }

  #error(err: unknown): void {
    this.#failures++;
    const message =
      systemErrorMessage(err) ??
      (err instanceof UsageError || isShoalError(err)
        ? err.message
        : `internal error: ${(err as Error)?.stack ?? String(err)}`);
    this.#o.errors.write(`error: ${printableLines(message)}\n`);
  }

  async #console(): Promise<void> {
    const { api } = this.ctx;
    const trackers = this.ctx.tracker ? [this.ctx.tracker.announce] : [];
    const render = ({ columns, rows }: { columns: number; rows: number | undefined }) =>
      renderConsole(consoleSnapshot(api, { listenHost: this.#o.listenHost, trackers }), {
        columns,
        ...(rows ? { maxLines: rows } : {}),
      });
    const input = this.#o.input;
    if (!this.#o.interactive) {
      this.ctx.print(`${render({ columns: 80, rows: undefined }).join("\n")}\n`);
      return;
    }
    // Readline's own key handling is set aside while the console shows, so
    // the key that ends it is not typed into the next command line.
    const saved = input.listeners("keypress") as ((...a: unknown[]) => void)[];
    input.removeAllListeners("keypress");
    const live = startLiveConsole(this.#o.output, render);
    try {
      await new Promise<void>((done) => input.once("keypress", () => done()));
    } finally {
      live.stop();
      for (const l of saved) input.on("keypress", l);
    }
  }

  async #loadHistory(): Promise<string[]> {
    if (!this.#o.historyFile) return [];
    try {
      const lines = (await readFile(this.#o.historyFile, "utf8")).split("\n").filter(Boolean);
      return lines.slice(-HISTORY_SIZE).reverse();
    } catch {
      return [];
    }
  }

  async #remember(line: string): Promise<void> {
    if (!this.#o.historyFile) return;
    await appendFile(this.#o.historyFile, `${line.trim()}\n`).catch(() => {});
  }
}

/** The history file of a data dir. */
export function historyPath(dataDir: string): string {
  return join(dataDir, "shell-history");
}
