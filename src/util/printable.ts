/**
 * Text that came from a .torrent, a peer or a tracker (names, file paths,
 * comments, created-by, tracker messages, peer ids, client names) made safe
 * to show. Such text is chosen by whoever made the torrent or runs the peer:
 * printed raw, `ESC]0;…` retitles the user's terminal, `ESC[2J` clears it,
 * a C1 CSI (0x9b) does the same on terminals that read 8-bit controls, and a
 * right-to-left override makes `gpj.exe` read as `exe.jpg`.
 *
 * One rule for every place that prints such text (the CLI's lines, the
 * shell, the live console, the logs): control characters (C0, DEL, C1)
 * become `\xNN`, bidirectional controls and line/paragraph separators
 * become `\u{NNNN}`. Everything else, other scripts and emoji included, is
 * kept. The escapes are plain ASCII, so printable() of its own result is
 * that result unchanged.
 */

/** C0 controls, DEL, C1 controls. */
const CONTROL = "\\u0000-\\u001f\\u007f-\\u009f";
/**
 * Characters that reorder or break what follows: ALM, LRM, RLM, the bidi
 * embeddings and overrides (U+202A–U+202E), the isolates (U+2066–U+2069),
 * and U+2028/U+2029, which some terminals and editors take as new lines.
 */
const REORDERING = "\\u061c\\u200e\\u200f\\u202a-\\u202e\\u2066-\\u2069\\u2028\\u2029";

const UNSAFE = new RegExp(`[${CONTROL}${REORDERING}]`, "g");
/** The same, keeping line feeds (text of several lines). */
const UNSAFE_BUT_NEWLINE = new RegExp(
  `[\\u0000-\\u0009\\u000b-\\u001f\\u007f-\\u009f${REORDERING}]`,
  "g",
);
/** What JSON.stringify leaves raw of the above: DEL, C1 and the reordering characters. */
const RAW_IN_JSON = new RegExp(`[\\u007f-\\u009f${REORDERING}]`, "g");

function escaped(c: string): string {
  const code = c.charCodeAt(0);
  return code <= 0xff
    ? `\\x${code.toString(16).padStart(2, "0")}`
    : `\\u{${code.toString(16).padStart(4, "0")}}`;
}

/** One line of foreign text, safe for a terminal: every control made visible. */
export function printable(text: string): string {
  return text.replace(UNSAFE, escaped);
}

/** As printable(), but line feeds stay line feeds (a block of output). */
export function printableLines(text: string): string {
  return text.replace(UNSAFE_BUT_NEWLINE, escaped);
}

/**
 * A JSON text (a log line) with the characters JSON.stringify leaves raw,
 * but a terminal would act on, written as `\uNNNN` escapes: the JSON still
 * decodes to exactly the same value, and `tail -f` of the log is safe.
 */
export function jsonPrintable(json: string): string {
  return json.replace(RAW_IN_JSON, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}
