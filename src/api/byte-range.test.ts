import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { MAX_RANGE_HEADER, parseRange } from "./byte-range.ts";
import { contentDisposition, DEFAULT_MEDIA_TYPE, mediaTypeOf } from "./media-types.ts";

test("one range: first-last, first-, -suffix; the end clamped to the file", () => {
  assert.deepEqual(parseRange("bytes=0-99", 1000), { start: 0, end: 100 });
  assert.deepEqual(parseRange("bytes=500-", 1000), { start: 500, end: 1000 });
  assert.deepEqual(parseRange("bytes=-100", 1000), { start: 900, end: 1000 });
  assert.deepEqual(parseRange("bytes=-5000", 1000), { start: 0, end: 1000 });
  assert.deepEqual(parseRange("bytes=990-5000", 1000), { start: 990, end: 1000 });
  assert.deepEqual(parseRange("Bytes = 7 - 7", 1000), { start: 7, end: 8 });
});

test("past the end, or an empty suffix: unsatisfiable", () => {
  assert.equal(parseRange("bytes=1000-", 1000), "unsatisfiable");
  assert.equal(parseRange("bytes=1000-2000", 1000), "unsatisfiable");
  assert.equal(parseRange("bytes=-0", 1000), "unsatisfiable");
  assert.equal(parseRange("bytes=0-", 0), "unsatisfiable");
  assert.equal(parseRange("bytes=-1", 0), "unsatisfiable");
});

test("what a server may ignore is ignored: the whole file", () => {
  for (const h of [
    undefined,
    "",
    "bytes=",
    "bytes=-",
    "items=0-1",
    "bytes=0-1,5-9",
    "bytes=9-5",
    "bytes=0x10-",
    "bytes=1e3-",
    `bytes=${"9".repeat(17)}-`,
    `bytes=0-${"0".repeat(MAX_RANGE_HEADER)}`,
  ]) {
    assert.equal(parseRange(h, 1000), undefined, String(h));
  }
});

test("any header: a range inside the file, unsatisfiable, or ignored; never a throw", () => {
  fc.assert(
    fc.property(fc.string({ maxLength: 120 }), fc.nat(1e12), (h, size) => {
      const r = parseRange(h, size);
      if (r === undefined || r === "unsatisfiable") return;
      assert.ok(r.start >= 0 && r.start < r.end && r.end <= size, `${h} ${size}`);
    }),
  );
});

test("media types by extension; nothing that would run in the page's origin", () => {
  assert.equal(mediaTypeOf("show/Episode 1.WEBM"), "video/webm");
  assert.equal(mediaTypeOf("a.mp4"), "video/mp4");
  assert.equal(mediaTypeOf("a.mkv"), "video/x-matroska");
  assert.equal(mediaTypeOf("a.mp3"), "audio/mpeg");
  assert.equal(mediaTypeOf("a.flac"), "audio/flac");
  assert.equal(mediaTypeOf("notes.txt"), "text/plain; charset=utf-8");
  assert.equal(mediaTypeOf("book.pdf"), "application/pdf");
  assert.equal(mediaTypeOf("cover.JPG"), "image/jpeg");
  for (const name of ["index.html", "x.svg", "a.js", "noext", ".webm", "dir.mp4/file"]) {
    assert.equal(mediaTypeOf(name), DEFAULT_MEDIA_TYPE, name);
  }
});

test("Content-Disposition: the file's own name, an ASCII fallback without quotes", () => {
  assert.equal(
    contentDisposition("folder/clip.webm"),
    `inline; filename="clip.webm"; filename*=UTF-8''clip.webm`,
  );
  assert.equal(
    contentDisposition('d/é "x".mp3'),
    `inline; filename="_ _x_.mp3"; filename*=UTF-8''%C3%A9%20%22x%22.mp3`,
  );
});
