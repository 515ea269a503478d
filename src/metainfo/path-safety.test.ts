import assert from "node:assert/strict";
import { test } from "node:test";
import {
  MAX_PATH_BYTES,
  pathBytes,
  pathTooLongReason,
  unsafeComponentReason,
  unsafePathReason,
} from "./path-safety.ts";

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

test("paths longer than PATH_MAX are refused: 20 names of 250 bytes (issue 13, item 4)", () => {
  const long = Array.from({ length: 20 }, (_, i) => `${i}`.padEnd(250, "x"));
  assert.match(unsafePathReason(long) ?? "", /a path of 5019 bytes/);
  // 16 of them (4015 bytes) fit on their own.
  assert.equal(unsafePathReason(long.slice(0, 16)), undefined);
  // Multi-byte names count in UTF-8 bytes, as the kernel counts them.
  assert.ok(unsafePathReason(Array(20).fill("é".repeat(110))));
});

test("pathTooLongReason: the whole path under the download folder", () => {
  const names = Array.from({ length: 15 }, () => "n".repeat(250)); // 3764 bytes
  assert.equal(pathBytes("/d", names), 2 + 15 * 251);
  assert.equal(pathBytes("/d/", names), 2 + 15 * 251);
  assert.equal(pathTooLongReason("/d", names), undefined);
  const deep = `/${"f".repeat(400)}`;
  assert.match(pathTooLongReason(deep, names) ?? "", /a path of 4166 bytes there/);
  assert.equal(pathTooLongReason("/", ["a".repeat(255)]), undefined);
  assert.match(pathTooLongReason("/", ["a".repeat(256)]) ?? "", /longer than 255 bytes/);
  const exact = "/".concat("p".repeat(MAX_PATH_BYTES - 3));
  assert.equal(pathBytes(exact, ["x"]), MAX_PATH_BYTES);
  assert.equal(pathTooLongReason(exact, ["x"]), undefined);
  assert.ok(pathTooLongReason(exact, ["xy"]));
});
