import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { FakeClock } from "../util/index.ts";
import { RateMeter } from "./rate-meter.ts";

test("RateMeter: the running sum equals the window's bytes, over any gaps (property)", () => {
  fc.assert(
    fc.property(
      fc.array(fc.record({ gap: fc.integer({ min: 0, max: 7000 }), bytes: fc.nat(1 << 20) }), {
        maxLength: 200,
      }),
      (steps) => {
        const clock = new FakeClock(0);
        const meter = new RateMeter(clock, 5);
        const log: { at: number; bytes: number }[] = [];
        for (const { gap, bytes } of steps) {
          clock.advance(gap);
          meter.add(bytes);
          log.push({ at: clock.now(), bytes });
          // What the window holds: the bytes of the last five whole seconds.
          const now = clock.now();
          const second = Math.floor(now / 1000);
          const inWindow = log
            .filter((e) => Math.floor(e.at / 1000) > second - 5)
            .reduce((s, e) => s + e.bytes, 0);
          const span = 4 + (now / 1000 - second);
          assert.ok(Math.abs(meter.rate() - inWindow / span) < 1e-6);
        }
      },
    ),
  );
});
