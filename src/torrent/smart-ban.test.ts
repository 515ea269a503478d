import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { BLOCK_LENGTH } from "../util/index.ts";
import { BanList } from "./bans.ts";
import { blockDigests, SmartBan } from "./smart-ban.ts";

/** A piece of `blocks` blocks, block b filled with `fill(b)`. */
function piece(blocks: number, fill: (b: number) => number): Buffer {
  const data = Buffer.alloc(blocks * BLOCK_LENGTH);
  for (let b = 0; b < blocks; b++) data.fill(fill(b), b * BLOCK_LENGTH, (b + 1) * BLOCK_LENGTH);
  return data;
}

describe("BanList", () => {
  test("a failed piece sent by one peer alone bans it", () => {
    const bans = new BanList();
    assert.deepEqual(bans.pieceFailed(["liar", "liar"]), ["liar"]);
    assert.equal(bans.isBanned("liar"), true);
    assert.equal(bans.size, 1);
  });

  test("shared failures are strikes, never a ban, and true blocks clear them", () => {
    const bans = new BanList();
    for (let i = 0; i < 10; i++) assert.deepEqual(bans.pieceFailed(["honest", "liar"]), []);
    assert.equal(bans.strikes("honest"), 10);
    assert.equal(bans.size, 0);
    bans.cleared(["honest"]);
    assert.equal(bans.strikes("honest"), 0);
    assert.deepEqual(bans.ban(["liar"]), ["liar"]);
    assert.deepEqual(bans.ban(["liar"]), [], "banned once");
  });
});

describe("SmartBan", () => {
  test("once the piece passes, the senders of blocks unlike it are the liars", () => {
    const smart = new SmartBan();
    const good = piece(4, (b) => b + 1);
    const bad = piece(4, (b) => (b === 2 ? 0xee : b + 1));
    assert.equal(smart.tracks(7), false);
    smart.failed(7, ["honest", "honest", "liar", "honest"], blockDigests(bad));
    assert.equal(smart.tracks(7), true);
    const verdict = smart.passed(7, blockDigests(good));
    assert.deepEqual(verdict, { liars: ["liar"], honest: ["honest"] });
    assert.equal(smart.tracks(7), false, "the record goes with the verdict");
  });

  test("a liar that also sent true blocks is still a liar; failures add up", () => {
    const smart = new SmartBan();
    const good = piece(3, (b) => b + 1);
    smart.failed(1, ["a", "liar", "liar"], blockDigests(piece(3, (b) => (b === 1 ? 0 : b + 1))));
    smart.failed(1, ["liar", "b", "a"], blockDigests(piece(3, (b) => (b === 0 ? 9 : b + 1))));
    const { liars, honest } = smart.passed(1, blockDigests(good));
    assert.deepEqual(liars, ["liar"]);
    assert.deepEqual(honest.sort(), ["a", "b"]);
  });

  test("a short last block is hashed as it is", () => {
    const digests = blockDigests(Buffer.alloc(BLOCK_LENGTH + 5, 1));
    assert.equal(digests.length, 2);
    assert.notDeepEqual(digests[0], digests[1]);
  });
});
