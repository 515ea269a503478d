import assert from "node:assert/strict";
import { test } from "node:test";
import { fileIndexList } from "./file-selection.ts";
import { UsageError } from "./io.ts";

test("--only: indices and ranges, sorted, once each; mistakes are one usage line", () => {
  assert.deepEqual(fileIndexList("--only", "0,2,5-7"), [0, 2, 5, 6, 7]);
  assert.deepEqual(fileIndexList("--only", "3, 1 ,1,2-3"), [1, 2, 3]);
  for (const bad of ["", "a", "1,", "-1", "3-1", "1.5", "0-999999999"]) {
    assert.throws(
      () => fileIndexList("--only", bad),
      (e: Error) => {
        assert.ok(e instanceof UsageError);
        assert.doesNotMatch(e.message, /\n/);
        return /--only/.test(e.message);
      },
    );
  }
});
