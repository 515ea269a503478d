import type { Command } from "../command.ts";

/**
 * Every command, in the order `shoal help` lists them. A command lives in its
 * own file under commands/ and is registered here.
 */
export const COMMANDS: Command[] = [];
