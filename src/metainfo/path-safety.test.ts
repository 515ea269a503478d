import assert from "node:assert/strict";
import { test } from "node:test";
import { unsafeComponentReason, unsafePathReason } from "./path-safety.ts";

test("safe names pass", () => {
  for (const name of [
    "a",
    "file.txt",
    "..a",
    "a..",
    "a...b",
    ".hidden",
    "foobar ",
    "日本語",
    "x".repeat(255),
  ]) {
    assert.equal(unsafeComponentReason(name), undefined, name);
  }
});

test("names that escape or alias their folder on Linux or Windows are refused", () => {
  for (const name of [
    "",
    ".",
    "..",
    "...",
    ". .",
    ".. ",
    "a/b",
    "a\\b",
    "C:",
    "c:x",
    "a:b",
    "a\0",
    "x".repeat(256),
  ]) {
    assert.ok(unsafeComponentReason(name), JSON.stringify(name));
  }
});

test("paths: empty and too deep are refused", () => {
  assert.ok(unsafePathReason([]));
  assert.ok(unsafePathReason(Array(101).fill("a")));
  assert.equal(unsafePathReason(Array(100).fill("a")), undefined);
  assert.ok(unsafePathReason(["ok", ".."]));
});
