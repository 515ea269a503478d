/** Option helpers shared by commands: every mistake becomes a UsageError (exit 2). */
import { ENCRYPTION_POLICIES, type EncryptionPolicy } from "../peer/index.ts";
import { parseSize } from "../util/index.ts";
import { UsageError } from "./io.ts";

/** A size option (`256KiB`, `1m`, `16384`) as a whole number of bytes. */
export function sizeOption(flag: string, text: string): number {
  const bytes = parseSize(text);
  if (bytes === undefined || !Number.isSafeInteger(bytes)) {
    throw new UsageError(`${flag}: '${text}' is not a size (try 256KiB, 1MiB or 16384)`);
  }
  return bytes;
}

/**
 * A rate option in bytes per second (`10MB`, `512KiB`, `2MB/s`; `0` or
 * `unlimited` for no limit) as a whole number; 0 means no limit.
 */
export function rateOption(flag: string, text: string): number {
  if (/^(none|off|unlimited)$/i.test(text)) return 0;
  const bytes = parseSize(text.replace(/\/s$/i, ""));
  if (bytes === undefined || !Number.isSafeInteger(bytes)) {
    throw new UsageError(
      `${flag}: '${text}' is not a rate (bytes per second: try 10MB or 512KiB; 0 for no limit)`,
    );
  }
  return bytes;
}

/** Exactly one positional argument, named `what` in the error. */
export function onePositional(positionals: string[], what: string): string {
  if (positionals.length === 0) throw new UsageError(`missing ${what}`);
  if (positionals.length > 1) {
    throw new UsageError(
      `expected one ${what}, got ${positionals.length}: ${positionals.join(" ")}`,
    );
  }
  return positionals[0]!;
}

/** Values of a repeatable option, each split at commas: `-w a,b -w c` → [a, b, c]. */
export function commaList(values: readonly string[] | undefined): string[] {
  return (values ?? [])
    .flatMap((v) => v.split(","))
    .map((v) => v.trim())
    .filter((v) => v !== "");
}

/** A whole-number option from `min` to `max`; `fallback` when absent. */
export function intOption(
  flag: string,
  text: string | undefined,
  fallback: number,
  min: number,
  max: number,
): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new UsageError(`${flag}: '${text}' is not a whole number from ${min} to ${max}`);
  }
  return n;
}

/** `--encryption`: one of MSE's policies (peer/negotiate.ts), or undefined when not given. */
export const ENCRYPTION_HELP = `      --encryption <policy>   encrypted peer connections (MSE): disabled, enabled
                              (default: accepted, plaintext dialled), prefer
                              (dialled encrypted, plaintext if the peer cannot)
                              or required (plaintext peers refused)
`;

export function encryptionOption(text: string | undefined): EncryptionPolicy | undefined {
  if (text === undefined) return undefined;
  const policy = ENCRYPTION_POLICIES.find((p) => p === text);
  if (!policy) {
    throw new UsageError(
      `--encryption: '${text}' is not a policy (disabled, enabled, prefer or required)`,
    );
  }
  return policy;
}
