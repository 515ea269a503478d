/**
 * Runs the live console: on a terminal the frame is redrawn in place about
 * once a second by log-update (it rewrites only the lines that changed,
 * inside a synchronized-output block, so the picture does not flicker); when
 * the stream is not a terminal, the frame is printed as plain lines every few
 * seconds, so logs and pipes get readable text without escape codes.
 */
import { createLogUpdate } from "log-update";

export interface ConsoleStream {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
  rows?: number;
}

export interface LiveConsoleOptions {
  /** Redraw period on a terminal (default 1000 ms). */
  intervalMs?: number;
  /** Print period when the stream is not a terminal (default 5000 ms). */
  plainIntervalMs?: number;
  /** Print plain frames even on a terminal. */
  plain?: boolean;
}

/** What a frame is drawn for. */
export interface ConsoleView {
  /** Width to fit (at most 80). */
  columns: number;
  /** Most lines (a terminal's height), when redrawing in place. */
  rows: number | undefined;
  /** Redrawn in place (a terminal) rather than printed as plain lines. */
  live: boolean;
}

export interface LiveConsole {
  /** True when redrawing in place. */
  readonly live: boolean;
  /** Draws now. */
  refresh(): void;
  /** A line that stays (a warning, a finished download), printed above the frame. */
  log(message: string): void;
  /** Draws the last frame, leaves it on screen and stops the timer. */
  stop(): void;
}

/**
 * Starts drawing `render(view)` (the lines of one frame) to `stream`.
 */
export function startLiveConsole(
  stream: ConsoleStream,
  render: (view: ConsoleView) => string[],
  opts: LiveConsoleOptions = {},
): LiveConsole {
  const live = Boolean(stream.isTTY) && !opts.plain;
  const columns = () =>
    stream.columns && stream.columns >= 40 ? Math.min(80, stream.columns) : 80;
  let stopped = false;
  if (!live) {
    const draw = () => {
      stream.write(`${render({ columns: 80, rows: undefined, live }).join("\n")}\n\n`);
    };
    const timer = setInterval(draw, opts.plainIntervalMs ?? 5000);
    timer.unref();
    return {
      live,
      refresh: draw,
      log: (message) => {
        stream.write(`${message}\n`);
      },
      stop: () => {
        if (stopped) return;
        stopped = true;
        clearInterval(timer);
        draw();
      },
    };
  }
  const update = createLogUpdate(stream as NodeJS.WriteStream, { defaultWidth: 80 });
  // One line is kept free so the frame never scrolls the terminal.
  const draw = () =>
    update(
      render({ columns: columns(), rows: stream.rows ? stream.rows - 1 : undefined, live }).join(
        "\n",
      ),
    );
  const timer = setInterval(draw, opts.intervalMs ?? 1000);
  timer.unref();
  draw();
  return {
    live,
    refresh: draw,
    log: (message) => {
      update.persist(message);
      draw();
    },
    stop: () => {
      if (stopped) return;
      stopped = true;
      clearInterval(timer);
      draw();
      update.done();
    },
  };
}
