import assert from "node:assert/strict";
import { test } from "node:test";
import { parse } from "smol-toml";
import { setTomlKey } from "./toml-edit.ts";

const FILE = `# my shoal
download-dir = "~/dl" # where

[peer]
# the port my router forwards
port = 6881
pex = true

[limits]
upload = "1MB"
`;

test("a key is replaced in place: comments and the other keys stay", () => {
  const out = setTomlKey(FILE, "peer", "port", 51413);
  assert.equal(out, FILE.replace("port = 6881", "port = 51413"));
  assert.deepEqual({ ...(parse(out).peer as object) }, { port: 51413, pex: true });
});

test("a missing key goes at its table's end; a missing table at the file's end; top-level keys above the first table", () => {
  let out = setTomlKey(FILE, "peer", "lsd", false);
  assert.match(out, /pex = true\nlsd = false\n\n\[limits\]/);
  out = setTomlKey(out, "queue", "max-active-downloads", 3);
  assert.match(out, /upload = "1MB"\n\n\[queue\]\nmax-active-downloads = 3\n$/);
  out = setTomlKey(out, "", "watch-dir", 'C:\\in "x"');
  const doc = parse(out) as Record<string, Record<string, unknown>>;
  assert.equal(doc["watch-dir"], 'C:\\in "x"');
  assert.equal(doc.peer!.lsd, false);
  assert.equal(doc.queue!["max-active-downloads"], 3);
  assert.ok(out.startsWith('# my shoal\ndownload-dir = "~/dl" # where\nwatch-dir = '));
});

test("removing a key drops its line; removing an absent one changes nothing; an empty file gets a table", () => {
  assert.equal(
    setTomlKey(FILE, "limits", "upload", undefined),
    FILE.replace('upload = "1MB"\n', ""),
  );
  assert.equal(setTomlKey(FILE, "seeding", "ratio-limit", undefined), FILE);
  assert.equal(setTomlKey("", "peer", "dht", true), "[peer]\ndht = true\n");
  assert.equal(setTomlKey("", "", "download-dir", "/d"), 'download-dir = "/d"\n');
});
