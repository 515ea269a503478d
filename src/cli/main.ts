/**
 * The `shoal` command line: dispatches to a command, and turns every error a
 * user can cause into one clear line and a non-zero exit, never a stack trace.
 */
import { isShoalError, printable, printableLines } from "../util/index.ts";
import type { Command, CommandEntry } from "./command.ts";
import { COMMANDS } from "./commands/index.ts";
import { isParseArgsError, parseArgsMessage, systemErrorMessage } from "./errors.ts";
import { type CliIO, processIO, UsageError } from "./io.ts";

export const USAGE = `shoal — a complete BitTorrent system: tracker, peer and CLI

Usage: shoal <command> [options]

Commands:
${"{commands}"}

Run 'shoal help <command>' for a command's options and an example.
`;

function usage(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length), 4);
  const lines = COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`);
  lines.push(`  ${"help".padEnd(width)}  show this help, or a command's help`);
  return USAGE.replace("{commands}", lines.join("\n"));
}

function find(name: string): CommandEntry | undefined {
  return COMMANDS.find((c) => c.name === name);
}

/** Runs one command line; resolves to its exit code. */
export async function run(argv: string[], io: CliIO = processIO): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined || name === "help" || name === "--help" || name === "-h") {
    const topic = name === "help" && args[0] ? find(args[0]) : undefined;
    if (name === "help" && args[0] && !topic) {
      io.stderr.write(`shoal: unknown command '${args[0]}'\n`);
      return 2;
    }
    io.stdout.write(topic ? (await topic.load()).help : usage());
    return 0;
  }
  if (name === "--version" || name === "-V") {
    io.stdout.write("shoal 0.1.0\n");
    return 0;
  }
  const entry = find(name);
  if (!entry) {
    io.stderr.write(`shoal: unknown command '${name}' (run 'shoal help' for the list)\n`);
    return 2;
  }
  const command = await entry.load();
  if (args.includes("--help") || args.includes("-h")) {
    io.stdout.write(command.help);
    return 0;
  }
  try {
    return await command.run(args, io);
  } catch (err) {
    return reportError(err, command, io);
  }
}

/**
 * The error as one line on stderr. Messages quote what the user or the
 * network gave (a torrent's name and paths, a tracker's failure reason, an
 * argument): control characters in them are made visible (util/printable.ts).
 */
function reportError(err: unknown, command: Command, io: CliIO): number {
  const hint = ` (see 'shoal help ${command.name}')`;
  if (err instanceof UsageError) {
    io.stderr.write(`shoal ${command.name}: ${printable(err.message)}${hint}\n`);
    return 2;
  }
  if (isParseArgsError(err)) {
    io.stderr.write(
      `shoal ${command.name}: ${printable(parseArgsMessage(err, command.help))}${hint}\n`,
    );
    return 2;
  }
  // Before ShoalError: net's "cannot listen" wraps the port in use.
  const system = systemErrorMessage(err);
  if (system) {
    io.stderr.write(`shoal ${command.name}: ${printable(system)}\n`);
    return 1;
  }
  if (isShoalError(err)) {
    io.stderr.write(`shoal ${command.name}: ${printable(err.message)}\n`);
    return 1;
  }
  io.stderr.write(
    `shoal ${command.name}: internal error: ${printableLines((err as Error)?.stack ?? String(err))}\n`,
  );
  return 70;
}

/**
 * The exit status of a writer whose reader went away, as a shell reports one
 * killed by SIGPIPE (`yes | head -1`): Node ignores that signal, so the write
 * fails with EPIPE instead.
 */
const BROKEN_PIPE_EXIT = 128 + 13;

/**
 * The process's entry (bin/shoal.js, or `node src/cli/main.ts …` as tests
 * run it): runs the command line and sets the exit code. When whoever reads
 * stdout stops (`shoal info x.torrent | head -1`), the process ends quietly,
 * as other Unix tools do, instead of dying with an EPIPE stack trace.
 */
export async function main(argv: string[]): Promise<void> {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on("error", (err: NodeJS.ErrnoException) => {
      if (err.code === "EPIPE") process.exit(BROKEN_PIPE_EXIT);
      throw err;
    });
  }
  process.exitCode = await run(argv);
}

if (import.meta.main) await main(process.argv.slice(2));
