/**
 * Helpers the drivers share: what a refusal is called (its code), and a
 * deterministic way to cut one input into stream chunks.
 */
import { isShoalError } from "../../../src/util/index.ts";

/** How an outcome that is a refusal starts. */
export const REFUSED = "refused:";

/**
 * Runs `f`; an expected refusal (a ShoalError) becomes its name, anything
 * else thrown goes on up as a finding.
 */
export function outcome(f: () => unknown): string {
  try {
    f();
    return "ok";
  } catch (err) {
    // The code and the message's first words: refusals of one code for
    // different reasons count as different outcomes, which keeps more
    // varied inputs in the fuzzer's pool.
    // Only words made of letters: a message that quotes the input would make
    // every input an outcome of its own (and keep its text alive).
    if (isShoalError(err)) return `${REFUSED}${err.code} ${firstWords(err.message)}`;
    throw err;
  }
}

function firstWords(message: string): string {
  return message
    .split(" ", 3)
    .map((w) => (/^[A-Za-z]{1,20}$/.test(w) ? w : "_"))
    .join(" ");
}

/**
 * Splits `bytes` into chunks whose lengths come from `sizes` (one byte each,
 * cycled): the same input always splits the same way, so a finding replays.
 */
export function chunked(bytes: Buffer, sizes: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let i = 0;
  for (let at = 0; at < bytes.length; i++) {
    const n = sizes.length === 0 ? bytes.length : 1 + sizes[i % sizes.length]!;
    out.push(bytes.subarray(at, at + n));
    at += n;
  }
  return out;
}

/** A stable form of a decoded value (Buffers as hex, Maps as sorted entries) for comparisons. */
export function stable(value: unknown): string {
  return JSON.stringify(value, (_key, v) => {
    if (v instanceof Map) return { map: [...v.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1)) };
    if (typeof v === "bigint") return `${v}n`;
    if (v && typeof v === "object" && (v as { type?: string }).type === "Buffer") {
      return `hex:${Buffer.from((v as { data: number[] }).data).toString("hex")}`;
    }
    return v;
  });
}
