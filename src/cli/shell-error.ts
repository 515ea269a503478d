import { ShoalError } from "../util/index.ts";

/** A mistake in a shell command: printed as one `error:` line, and the shell goes on. */
export class ShellError extends ShoalError {}
