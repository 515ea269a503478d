/**
 * Errors a user causes, as one line in the CLI's words: Node's option-parser
 * messages, system errors (a missing file, a port in use) with what to do.
 * Shared by the commands (main.ts) and the shell.
 */

/** parseArgs' own errors carry codes like ERR_PARSE_ARGS_UNKNOWN_OPTION. */
export function isParseArgsError(err: unknown): err is Error & { code: string } {
  const code = (err as { code?: unknown } | undefined)?.code;
  return typeof code === "string" && code.startsWith("ERR_PARSE_ARGS");
}

/**
 * A parseArgs error as one line. Node's texts run on over several sentences
 * (one with unbalanced quotes, one over three lines): only what went wrong is
 * kept, with the nearest real option when one was mistyped.
 * `help` is the command's help, whose `--flags` are the known options.
 */
export function parseArgsMessage(err: Error & { code: string }, help: string): string {
  const quoted = /'([^']*)'/.exec(err.message)?.[1] ?? "";
  switch (err.code) {
    case "ERR_PARSE_ARGS_UNKNOWN_OPTION": {
      // Node's own opening words, which scripts and tests may look for.
      const near = nearestOption(quoted, help);
      return `Unknown option '${quoted}'${near ? ` (did you mean ${near}?)` : ""}`;
    }
    case "ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL":
      return `unexpected argument '${quoted}'`;
    case "ERR_PARSE_ARGS_INVALID_OPTION_VALUE": {
      const flag = /--[\w-]+|-\w/.exec(quoted)?.[0] ?? quoted;
      if (/does not take an argument/.test(err.message)) return `${flag} takes no value`;
      if (/ambiguous/.test(err.message)) {
        return `${flag} needs a value (for one that starts with '-', write ${flag}=-…)`;
      }
      return `${flag} needs a value`;
    }
    default:
      return err.message.split(/\.\s|\n/)[0]!;
  }
}

/** The help's option closest to a mistyped one (at most two edits away). */
function nearestOption(typed: string, help: string): string | undefined {
  if (!typed.startsWith("--")) return undefined;
  const known = new Set(help.match(/--[a-z][a-z0-9-]*/g) ?? []);
  let best: string | undefined;
  let bestDistance = 3;
  for (const option of known) {
    const d = editDistance(typed, option);
    if (d < bestDistance) {
      best = option;
      bestDistance = d;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) {
      next[j] = Math.min(
        row[j]! + 1,
        next[j - 1]! + 1,
        row[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    row = next;
  }
  return row[b.length]!;
}

type SystemError = NodeJS.ErrnoException & { address?: string; port?: number };

function asSystemError(err: unknown): SystemError | undefined {
  const e = err as SystemError | undefined;
  return typeof e?.code === "string" && typeof e.syscall === "string" ? e : undefined;
}

/**
 * A port someone else listens on, from Node's own error or from one of ours
 * that wraps it (NetError "listen_failed" keeps it as its cause).
 */
export function addressInUseMessage(err: unknown): string | undefined {
  const sys = asSystemError(err) ?? asSystemError((err as { cause?: unknown } | undefined)?.cause);
  if (sys?.code !== "EADDRINUSE") return undefined;
  const anyHost = !sys.address || sys.address === "0.0.0.0" || sys.address === "::";
  const where = sys.port === undefined ? "the port" : `port ${sys.port}`;
  return (
    `${where} is already in use${anyHost ? "" : ` on ${sys.address}`} (another shoal?); ` +
    "choose another with --port, or --port 0 for any free one"
  );
}

/**
 * Gives a listen error the address it was about when it lacks one (the
 * tracker's libuv sockets report only the code), so the message can name
 * the port.
 */
export function withListenAddress(err: unknown, host: string | undefined, port: number): unknown {
  const sys = asSystemError(err);
  if (sys?.code === "EADDRINUSE" && sys.port === undefined) {
    sys.port = port;
    if (host !== undefined) sys.address = host;
  }
  return err;
}

/** A system error (a file, a port) as one line; undefined for anything else. */
export function systemErrorMessage(err: unknown): string | undefined {
  const inUse = addressInUseMessage(err);
  if (inUse) return inUse;
  const sys = asSystemError(err);
  if (!sys) return undefined;
  const where = sys.path
    ? ` '${sys.path}'`
    : sys.port !== undefined
      ? ` (port ${sys.port}; ports below 1024 need privileges)`
      : "";
  switch (sys.code) {
    case "ENOENT":
      return `no such file or directory${where}`;
    case "EACCES":
    case "EPERM":
      return `permission denied${where}`;
    case "EISDIR":
      return `is a directory${where}`;
    case "ENOTDIR":
      return `not a directory${where}`;
    case "ENOSPC":
      return `no space left on the disk${where}`;
    default:
      return `${sys.code}${where}: ${sys.message}`;
  }
}
