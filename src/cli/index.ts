export type { Command } from "./command.ts";
export { type CliIO, processIO, UsageError } from "./io.ts";
export { run } from "./main.ts";
