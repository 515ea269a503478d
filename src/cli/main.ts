/**
 * The `shoal` command line: dispatches to a command, and turns every error a
 * user can cause into one clear line and a non-zero exit, never a stack trace.
 */
import { isShoalError } from "../util/index.ts";
import type { Command, CommandEntry } from "./command.ts";
import { COMMANDS } from "./commands/index.ts";
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

function reportError(err: unknown, command: Command, io: CliIO): number {
  if (err instanceof UsageError) {
    io.stderr.write(`shoal ${command.name}: ${err.message} (see 'shoal help ${command.name}')\n`);
    return 2;
  }
  // parseArgs reports unknown or malformed options with these codes.
  const code = (err as { code?: unknown }).code;
  if (typeof code === "string" && code.startsWith("ERR_PARSE_ARGS")) {
    io.stderr.write(
      `shoal ${command.name}: ${(err as Error).message} (see 'shoal help ${command.name}')\n`,
    );
    return 2;
  }
  if (isShoalError(err)) {
    io.stderr.write(`shoal ${command.name}: ${err.message}\n`);
    return 1;
  }
  const sys = err as NodeJS.ErrnoException;
  if (typeof sys?.code === "string" && typeof sys.syscall === "string") {
    io.stderr.write(`shoal ${command.name}: ${describeSystemError(sys)}\n`);
    return 1;
  }
  io.stderr.write(
    `shoal ${command.name}: internal error: ${(err as Error)?.stack ?? String(err)}\n`,
  );
  return 70;
}

function describeSystemError(err: NodeJS.ErrnoException): string {
  const where = err.path ? ` '${err.path}'` : "";
  switch (err.code) {
    case "ENOENT":
      return `no such file or directory${where}`;
    case "EACCES":
    case "EPERM":
      return `permission denied${where}`;
    case "EISDIR":
      return `is a directory${where}`;
    case "ENOTDIR":
      return `not a directory${where}`;
    case "EADDRINUSE":
      return `address already in use${where}`;
    default:
      return `${err.code}${where}: ${err.message}`;
  }
}

// Run directly (`node src/cli/main.ts …`, as tests do); bin/shoal.js is the faster entry.
if (import.meta.main) {
  process.exitCode = await run(process.argv.slice(2));
}
