import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  LSD_FIRST_ROUND_GAP_MS,
  LSD_MIN_ROUND_GAP_MS,
  LSD_REANNOUNCE_MS,
  LsdSchedule,
} from "./index.ts";

describe("LSD schedule (BEP 14: every 5 minutes, no more than once a minute)", () => {
  it("announces a new torrent at once, then every 5 minutes", () => {
    const s = new LsdSchedule();
    assert.equal(s.nextRoundAt(), undefined);
    s.add("a", 0);
    assert.equal(s.nextRoundAt(), 0);
    assert.deepEqual(s.takeRound(0), ["a"]);
    assert.deepEqual(s.takeRound(1), []);
    assert.equal(s.nextRoundAt(), LSD_REANNOUNCE_MS);
    assert.deepEqual(s.takeRound(LSD_REANNOUNCE_MS), ["a"]);
  });

  it("torrents added together share a round; a first announce waits only a second after the last round", () => {
    const s = new LsdSchedule();
    s.add("a", 0);
    s.add("b", 0);
    assert.deepEqual(s.takeRound(0), ["a", "b"]);
    s.add("c", 100);
    assert.equal(s.nextRoundAt(), LSD_FIRST_ROUND_GAP_MS);
    assert.deepEqual(s.takeRound(500), []);
    assert.deepEqual(s.takeRound(LSD_FIRST_ROUND_GAP_MS), ["c"]);
  });

  it("no more than one round a minute once past the first announces, whatever is added", () => {
    const s = new LsdSchedule();
    let rounds = 0;
    let sends = 0;
    // 100 torrents added one per 10 s over 1000 s; simulate 30 minutes in 100 ms steps.
    const sent = new Map<string, number[]>();
    for (let t = 0; t <= 30 * 60_000; t += 100) {
      if (t % 10_000 === 0 && t < 1_000_000) s.add(`t${t}`, t);
      const keys = s.takeRound(t);
      if (keys.length > 0) rounds++;
      for (const k of keys) {
        sends++;
        const list = sent.get(k) ?? [];
        list.push(t);
        sent.set(k, list);
      }
    }
    for (const [k, times] of sent) {
      for (let i = 1; i < times.length; i++) {
        assert.ok(times[i]! - times[i - 1]! >= LSD_MIN_ROUND_GAP_MS * 4, `${k} ${times}`);
      }
    }
    // First announces may come every 10 s (one torrent each); the rest at most once a minute.
    assert.ok(rounds <= 100 + 30, `${rounds} rounds`);
    assert.ok(sends >= 100 * 5, `${sends} sends`);
  });

  it("a torrent removed and added again is not announced twice within a minute", () => {
    const s = new LsdSchedule();
    s.add("a", 0);
    assert.deepEqual(s.takeRound(0), ["a"]);
    s.remove("a");
    s.add("a", 5_000);
    s.add("b", 5_000);
    assert.deepEqual(s.takeRound(5_000), ["b"]);
    // Its own minute is up at 60 s, but the round of 5 s holds the next one to 65 s.
    assert.equal(s.nextRoundAt(), 5_000 + LSD_MIN_ROUND_GAP_MS);
    assert.deepEqual(s.takeRound(5_000 + LSD_MIN_ROUND_GAP_MS), ["a"]);
  });
});
