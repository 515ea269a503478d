/**
 * What a fuzz driver is: one entry point of shoal that reads bytes from the
 * network or from a user's files, its valid sample inputs, and where in the
 * shared corpus more samples live. Running an input either returns, or
 * throws a ShoalError (the entry point refused the input as it should); any
 * other throw is a finding, as is a run that takes too long.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { readGoFuzzSeed } from "../fixtures/go-fuzz-seed.ts";

export interface CorpusSource {
  /** A folder under ../shared/corpus, read recursively. */
  dir: string;
  /** Which files to take (default: all). */
  accept?: (name: string) => boolean;
  /** The files are Go fuzz seeds (`go test fuzz v1`). */
  goFuzz?: boolean;
}

export interface Driver {
  name: string;
  /** Valid sample inputs, built here (the corpus may be absent). */
  seeds(): Buffer[];
  corpus?: CorpusSource[];
  /** Mutated inputs are cut to this many bytes (default 64 KiB). */
  maxLength?: number;
  /**
   * Runs one input. Returns a short name for what happened ("ok" or the
   * refusal's code) so the fuzzer keeps inputs that reach new outcomes.
   */
  run(input: Buffer): string | Promise<string>;
}

/** The shared corpus, beside the repository (absent on a user's machine). */
export const CORPUS_DIR = resolve(import.meta.dirname, "../../../shared/corpus");

function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) out.push(...filesUnder(full));
    else out.push(full);
  }
  return out;
}

/** The driver's corpus files' bytes; none when the corpus is absent. */
export function corpusSeeds(driver: Driver, root = CORPUS_DIR): Buffer[] {
  const out: Buffer[] = [];
  for (const source of driver.corpus ?? []) {
    const dir = join(root, source.dir);
    if (!existsSync(dir)) continue;
    for (const file of filesUnder(dir)) {
      if (source.accept && !source.accept(file)) continue;
      const bytes = readFileSync(file);
      if (!source.goFuzz) out.push(bytes);
      else if (bytes.toString("latin1", 0, 15) === "go test fuzz v1") {
        try {
          out.push(readGoFuzzSeed(bytes.toString("utf8")));
        } catch {
          // a seed of another shape (several arguments): not bytes for us
        }
      }
    }
  }
  return out;
}
