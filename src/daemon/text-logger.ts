/**
 * Plain-text log lines for a person watching the daemon's stderr:
 * `2026-12-06T15:00:00.000Z warn session warning="…"`. Values from the
 * network are made terminal-safe (printable.ts), as the JSON logger does.
 */
import { isoTime, type Logger, type LogLevel, printable } from "../util/index.ts";

const LEVELS: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 99 };

export function createTextLogger(level: LogLevel, write: (line: string) => void): Logger {
  const threshold = LEVELS[level];
  const emit = (lvl: LogLevel) => (msg: string, fields?: Record<string, unknown>) => {
    if (LEVELS[lvl] < threshold) return;
    const parts = [isoTime(), lvl.padEnd(5), msg];
    for (const [k, v] of Object.entries(fields ?? {})) {
      const text = typeof v === "string" ? v : JSON.stringify(v);
      parts.push(`${k}=${/[\s"=]/.test(text ?? "") ? JSON.stringify(text) : text}`);
    }
    write(`${printable(parts.join(" "))}\n`);
  };
  return { debug: emit("debug"), info: emit("info"), warn: emit("warn"), error: emit("error") };
}
