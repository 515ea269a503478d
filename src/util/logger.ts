/**
 * The logger interface every module takes. Layers below the CLI never print;
 * they log through whatever Logger they were given (silent by default).
 */
import { jsonPrintable } from "./printable.ts";
import { isoTime } from "./utc-time.ts";

export type LogLevel = "debug" | "info" | "warn" | "error" | "silent";

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

const noop = () => {};
export const silentLogger: Logger = { debug: noop, info: noop, warn: noop, error: noop };

const LEVELS: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 99 };

/**
 * A structured logger writing one JSON object per line to `write`. Messages
 * and fields carry names, peer ids and tracker replies from the network:
 * the line is made terminal-safe (printable.ts) without changing the JSON's
 * value, since logs are read with `tail -f` and `less -R`.
 */
export function createJsonLogger(
  level: LogLevel,
  write: (line: string) => void,
  base: Record<string, unknown> = {},
): Logger {
  const threshold = LEVELS[level];
  const emit = (lvl: LogLevel) => (msg: string, fields?: Record<string, unknown>) => {
    if (LEVELS[lvl] < threshold) return;
    const json = JSON.stringify({
      time: isoTime(),
      level: lvl,
      msg,
      ...base,
      ...fields,
    });
    write(`${jsonPrintable(json)}\n`);
  };
  return { debug: emit("debug"), info: emit("info"), warn: emit("warn"), error: emit("error") };
}
