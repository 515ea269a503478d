/**
 * Regression seeds: every input a fuzz run found a problem with is kept in
 * test/fuzz/regressions/<driver>/<sha1 prefix>.bin and replayed on every
 * test run, once its bug is fixed.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type Finding, inputName } from "./engine.ts";

export const REGRESSIONS_DIR = join(import.meta.dirname, "regressions");

/** The kept inputs of a driver, by file name. */
export function regressionSeeds(driver: string): { file: string; input: Buffer }[] {
  const dir = join(REGRESSIONS_DIR, driver);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith(".bin"))
    .sort()
    .map((file) => ({ file: join(dir, file), input: readFileSync(join(dir, file)) }));
}

/** Keeps a finding's input; returns the file it went to. */
export function saveFinding(f: Finding): string {
  const dir = join(REGRESSIONS_DIR, f.driver);
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${inputName(f.input)}.bin`);
  writeFileSync(file, f.input);
  return file;
}
