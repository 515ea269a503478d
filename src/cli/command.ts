import type { CliIO } from "./io.ts";

/** One `shoal <name>` command. `run` resolves to the process exit code. */
export interface Command {
  name: string;
  /** Full help: usage line, options and an example. */
  help: string;
  run(args: string[], io: CliIO): Promise<number>;
}

/**
 * A command as the dispatcher knows it before it is needed: its name and
 * summary line. Its module is imported only when the command runs, so
 * `shoal info` never loads (or compiles) the tracker server.
 */
export interface CommandEntry {
  name: string;
  /** One line for the command list. */
  summary: string;
  load(): Promise<Command>;
}
