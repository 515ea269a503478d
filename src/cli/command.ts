import type { CliIO } from "./io.ts";

/** One `shoal <name>` command. `run` resolves to the process exit code. */
export interface Command {
  name: string;
  /** One line for the command list. */
  summary: string;
  /** Full help: usage line, options and an example. */
  help: string;
  run(args: string[], io: CliIO): Promise<number>;
}
