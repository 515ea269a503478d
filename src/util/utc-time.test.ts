import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { test } from "node:test";
import fc from "fast-check";
import { isoTime } from "./utc-time.ts";

test("isoTime writes what toISOString writes, for any time from year 0 to 9999", () => {
  const yearZero = Date.parse("0000-01-01T00:00:00.000Z");
  const lastOf9999 = Date.UTC(9999, 11, 31, 23, 59, 59, 999);
  fc.assert(
    fc.property(fc.integer({ min: yearZero, max: lastOf9999 }), (ms) => {
      assert.equal(isoTime(ms), new Date(ms).toISOString());
    }),
    { numRuns: 20_000 },
  );
  for (const ms of [0, 999, 1_000, 86_399_999, lastOf9999, yearZero, Date.now()]) {
    assert.equal(isoTime(ms), new Date(ms).toISOString());
  }
});

test("outside years 0-9999 it is toISOString's six-digit form", () => {
  for (const ms of [Date.UTC(10_000, 0, 1), -62_198_755_200_001, 8.64e15, -8.64e15]) {
    assert.equal(isoTime(ms), new Date(ms).toISOString());
  }
});

test("isoTime leaves ICU's time zone data untouched (toISOString pages it in)", () => {
  // A process's file-backed RSS across one call (the module loaded before).
  const url = JSON.stringify(new URL("./utc-time.ts", import.meta.url).href);
  const grow = (call: string) => {
    const src = `
      import { readFileSync } from "node:fs";
      const { isoTime } = await import(${url});
      const file = () => Number(readFileSync("/proc/self/status", "latin1").match(/RssFile:\\s+(\\d+)/)[1]);
      const before = file(); ${call}; process.stdout.write(String(file() - before));`;
    const r = spawnSync(process.execPath, ["--input-type=module", "-e", src], {
      encoding: "utf8",
      timeout: 30_000,
      env: { ...process.env, TZ: "Europe/Paris" },
    });
    assert.equal(r.status, 0, r.stderr);
    return Number(r.stdout);
  };
  const viaIso = grow("new Date().toISOString()");
  const viaOurs = grow("isoTime()");
  assert.ok(viaIso >= 512, `toISOString paged in ${viaIso} KiB`);
  assert.ok(viaOurs < viaIso / 2, `isoTime paged in ${viaOurs} KiB, toISOString ${viaIso} KiB`);
});
