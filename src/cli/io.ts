import type { UdpNetwork } from "../net/index.ts";

/** What a command may touch of the outside world, so tests can drive it in-process. */
export interface CliIO {
  stdout: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  stderr: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  /** Where the shell reads commands (process.stdin when absent). */
  stdin?: NodeJS.ReadableStream & { isTTY?: boolean };
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Where tracker discovery on the LAN sends and listens (the host's network when absent). */
  udp?: UdpNetwork;
}

export const processIO: CliIO = {
  stdout: process.stdout,
  stderr: process.stderr,
  cwd: process.cwd(),
  env: process.env,
};

/** A usage mistake: reported as one line plus a hint, exit code 2. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}
