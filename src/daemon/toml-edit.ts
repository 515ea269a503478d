/**
 * Sets or removes one `key = value` of a TOML config file in place, line by
 * line, so the user's comments, order and other keys stay as they wrote
 * them (the settings page saves through this). Only plain one-line keys
 * under `[table]` headers (or above the first header) are found; a file
 * that spells a key otherwise (dotted keys, inline tables) is caught by the
 * caller, which parses the result again before writing it.
 */

export type TomlScalar = string | number | boolean;

/** Table headers: `[peer]`, not `[[array]]`. */
const HEADER = /^\s*\[\s*([A-Za-z0-9_-]+)\s*\]\s*(#.*)?$/;

function keyLine(key: string): RegExp {
  return new RegExp(`^\\s*("?)${key.replace(/[-]/g, "\\-")}\\1\\s*=`);
}

/** A value as TOML: strings quoted (JSON's escapes are TOML's), numbers and booleans as they are. */
export function tomlValue(v: TomlScalar): string {
  if (typeof v === "string") return JSON.stringify(v);
  if (typeof v === "number") {
    if (!Number.isFinite(v)) throw new RangeError("a TOML number must be finite");
    return String(v);
  }
  return v ? "true" : "false";
}

/** `text` with `[table] key` set to `value`, or removed when `value` is undefined. */
export function setTomlKey(
  text: string,
  table: string,
  key: string,
  value: TomlScalar | undefined,
): string {
  const lines = text === "" ? [] : text.replace(/\n$/, "").split("\n");
  // The section's lines: [start, end), the header excluded.
  let start = table === "" ? 0 : -1;
  let end = lines.length;
  for (let i = 0; i < lines.length; i++) {
    const m = HEADER.exec(lines[i]!);
    if (m === null) continue;
    if (start >= 0 && i >= start) {
      end = i;
      break;
    }
    if (m[1] === table) start = i + 1;
  }
  const line = value === undefined ? undefined : `${key} = ${tomlValue(value)}`;
  if (start < 0) {
    if (line === undefined) return text;
    while (lines.length > 0 && lines.at(-1)!.trim() === "") lines.pop();
    if (lines.length > 0) lines.push("");
    lines.push(`[${table}]`, line);
    return `${lines.join("\n")}\n`;
  }
  const match = keyLine(key);
  const at = lines.findIndex((l, i) => i >= start && i < end && match.test(l));
  if (at >= 0) {
    if (line === undefined) lines.splice(at, 1);
    else lines[at] = line;
  } else if (line !== undefined) {
    // After the section's last non-blank line, so blank lines before the next header stay.
    let last = end;
    while (last > start && lines[last - 1]!.trim() === "") last--;
    lines.splice(last, 0, line);
  }
  return lines.length === 0 ? "" : `${lines.join("\n")}\n`;
}
