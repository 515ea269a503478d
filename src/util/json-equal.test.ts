import assert from "node:assert/strict";
import { test } from "node:test";
import { isDeepStrictEqual } from "node:util";
import { jsonEqual } from "./json-equal.ts";

test("jsonEqual agrees with isDeepStrictEqual on JSON values", () => {
  const values: unknown[] = [
    null,
    0,
    1,
    "",
    "a",
    true,
    false,
    [],
    [1],
    [1, 2],
    [2, 1],
    [null],
    [[1], ["a"]],
    {},
    { a: 1 },
    { a: 2 },
    { b: 1 },
    { a: 1, b: 2 },
    { b: 2, a: 1 },
    { a: [1, { c: null }] },
    { a: [1, { c: "x" }] },
    { a: { b: { c: [true] } } },
    { a: { b: { c: [false] } } },
  ];
  for (const a of values) {
    for (const b of values) {
      const copy = JSON.parse(JSON.stringify(b));
      assert.equal(
        jsonEqual(a, copy),
        isDeepStrictEqual(a, copy),
        `${JSON.stringify(a)} vs ${JSON.stringify(b)}`,
      );
    }
  }
});

test("jsonEqual: a key set to undefined is not a missing key; an array is not an object", () => {
  assert.equal(jsonEqual({ a: undefined }, {}), false);
  assert.equal(jsonEqual({}, { a: undefined }), false);
  assert.equal(jsonEqual({ a: undefined }, { a: undefined }), true);
  assert.equal(jsonEqual([], {}), false);
  assert.equal(jsonEqual({}, []), false);
  assert.equal(jsonEqual({ 0: 1 }, [1]), false);
});
