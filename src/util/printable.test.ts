import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { createJsonLogger } from "./logger.ts";
import { jsonPrintable, printable, printableLines } from "./printable.ts";

/** Anything a terminal would act on. */
const ACTIVE =
  /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]/;

test("printable: escapes, C1 controls and bidi overrides made visible", () => {
  assert.equal(printable("a\x1b]0;pwned\x07b"), "a\\x1b]0;pwned\\x07b");
  assert.equal(printable("\x1b[2J"), "\\x1b[2J");
  assert.equal(printable("x\x9b2Jy\x7f"), "x\\x9b2Jy\\x7f");
  assert.equal(printable("line\nbreak\r"), "line\\x0abreak\\x0d");
  assert.equal(printable("photo\u202egpj.exe"), "photo\\u{202e}gpj.exe");
  assert.equal(printable("a\u2066b\u2069c\u2028"), "a\\u{2066}b\\u{2069}c\\u{2028}");
});

test("printable: ordinary text of any script is kept", () => {
  for (const s of [
    "Ubuntu 24.04.iso",
    "Beyoncé – Lemonade",
    "日本語のファイル",
    "عربي",
    "🐟 shoal",
  ]) {
    assert.equal(printable(s), s);
  }
});

test("printableLines keeps line feeds only", () => {
  assert.equal(printableLines("one\ntwo\x1b[2J\r\n"), "one\ntwo\\x1b[2J\\x0d\n");
});

test("printable: nothing active survives, and it is idempotent", () => {
  fc.assert(
    fc.property(fc.string({ unit: "binary" }), (s) => {
      const out = printable(s);
      assert.ok(!ACTIVE.test(out));
      assert.equal(printable(out), out);
    }),
  );
});

test("jsonPrintable: the same value, and no raw C1 or bidi control in the line", () => {
  fc.assert(
    fc.property(fc.string({ unit: "binary" }), (s) => {
      const line = jsonPrintable(JSON.stringify({ msg: s }));
      assert.ok(!ACTIVE.test(line));
      assert.deepEqual(JSON.parse(line), { msg: s });
    }),
  );
});

test("the JSON logger writes terminal-safe lines", () => {
  const lines: string[] = [];
  const log = createJsonLogger("info", (l) => lines.push(l));
  log.warn("tracker says \x9b2J", { name: "evil\u202etxt.exe", peer: "\x1b]0;x\x07" });
  assert.equal(lines.length, 1);
  const line = lines[0]!;
  assert.ok(!ACTIVE.test(line.slice(0, -1)), line);
  const value = JSON.parse(line);
  assert.equal(value.msg, "tracker says \x9b2J");
  assert.equal(value.name, "evil\u202etxt.exe");
  assert.equal(value.peer, "\x1b]0;x\x07");
});
