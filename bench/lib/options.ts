/** Checks of benchmarks' command-line numbers, and waiting for a server to be ready. */

/** Each [flag, value, max] must be a whole number from 1 to max; else one line and exit 2. */
export function requireWholeNumbers(
  bench: string,
  checks: readonly (readonly [string, number, number])[],
): void {
  for (const [name, v, max] of checks) {
    if (!Number.isInteger(v) || v < 1 || v > max) {
      process.stderr.write(`${bench}: ${name} must be a whole number from 1 to ${max}\n`);
      process.exit(2);
    }
  }
}

/** Asks `probe` every `intervalMs` until it says yes (errors: not yet), up to `timeoutMs`. */
export async function poll(
  what: string,
  probe: () => Promise<boolean>,
  timeoutMs: number,
  intervalMs = 10,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await probe()) return;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
