import assert from "node:assert/strict";
import { test } from "node:test";
import { MAX_SENT_PASSKEY, passkeyFromPath, passkeyFromQuery } from "./private-access.ts";

const KEY = "0123456789abcdef0123456789abcdef";
const percentEncoded = (text: string) =>
  [...text].map((c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`).join("");

test("a passkey reads the same from /announce/<passkey> and ?passkey=: percent-decoded, any case", () => {
  for (const sent of [
    KEY,
    KEY.toUpperCase(),
    percentEncoded(KEY),
    `0123%34%3567%389ABCDEF${KEY.slice(16)}`,
  ]) {
    assert.equal(passkeyFromPath(`/announce/${sent}`, "/announce"), KEY, sent);
    assert.equal(passkeyFromPath(`/scrape/${sent}`, "/scrape"), KEY, sent);
    assert.equal(passkeyFromQuery(`info_hash=%01&passkey=${sent}&port=1`), KEY, sent);
  }
  assert.equal(passkeyFromPath("/announce", "/announce"), "");
  assert.equal(passkeyFromPath("/announcer", "/announce"), undefined);
  assert.equal(passkeyFromQuery("port=1"), "");
});

test("a passkey that does not decode, or is longer than any encoding of one, is no passkey", () => {
  for (const sent of ["%zz", "%E0%A4%A", "a".repeat(MAX_SENT_PASSKEY + 1)]) {
    assert.equal(passkeyFromPath(`/announce/${sent}`, "/announce"), "", sent);
    assert.equal(passkeyFromQuery(`passkey=${sent}`), "", sent);
  }
  // Every one of 32 hex digits percent-encoded is the longest accepted.
  assert.equal(passkeyFromQuery(`passkey=${percentEncoded(KEY)}`).length, 32);
});
