import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import fc from "fast-check";
import { inFolder } from "./folder-path.ts";

test("inFolder gives what join gives, for plain names and for anything else", () => {
  const folders = [
    "/data",
    "/data/",
    "/data//x/../y",
    "/",
    "",
    ".",
    "./a",
    "..",
    "rel/dir",
    "a/..",
  ];
  const paths = [["f"], ["t", "f.bin"], ["t", "sub", "f"], [".", "f"], ["..", "f"], ["a/b"], [""]];
  for (const folder of folders) {
    for (const path of paths) {
      assert.equal(inFolder(folder, path), join(folder, ...path), `${folder} + ${path}`);
    }
  }
});

test("inFolder agrees with join for any folder and components", () => {
  const part = fc.stringMatching(/^[a-z./]{0,6}$/);
  fc.assert(
    fc.property(part, fc.array(part, { minLength: 1, maxLength: 4 }), (folder, path) => {
      assert.equal(inFolder(folder, path), join(folder, ...path));
    }),
    { numRuns: 2000 },
  );
});
