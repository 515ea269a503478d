import assert from "node:assert/strict";
import { test } from "node:test";
import { ApiError } from "./errors.ts";
import { applyTrackerEdits, TRACKER_EDIT_LIMITS } from "./tracker-edits.ts";
import type { TrackerView } from "./types.ts";

const view = (tiers: string[][]): TrackerView[] =>
  tiers
    .flatMap((tier, t) =>
      tier.map((url) => ({ url, tier: t, state: "idle" as const, peersReceived: 0 })),
    )
    .map((v, id) => ({ ...v, id }));

const A = "http://a.example/announce";
const B = "udp://b.example:6969/announce";
const C = "https://c.example/announce";

test("adds in a new tier after the others, or into the tier named", () => {
  assert.deepEqual(applyTrackerEdits(view([[A]]), { add: [{ url: B }] }), [[A], [B]]);
  assert.deepEqual(applyTrackerEdits(view([[A], [B]]), { add: [{ url: C, tier: 0 }] }), [
    [A, C],
    [B],
  ]);
  assert.deepEqual(applyTrackerEdits(view([]), { add: [{ url: A }, { url: B }] }), [[A], [B]]);
});

test("ids name the list as it was: replace and remove together, empty tiers dropped", () => {
  const current = view([[A], [B, C]]);
  assert.deepEqual(applyTrackerEdits(current, { remove: [0] }), [[B, C]]);
  assert.deepEqual(
    applyTrackerEdits(current, { replace: [{ id: 2, url: "http://d.example/" }], remove: [1] }),
    [[A], ["http://d.example/"]],
  );
});

test("one bad entry refuses the whole request with its code", () => {
  const current = view([[A], [B]]);
  const code = (req: unknown) => {
    try {
      applyTrackerEdits(current, req);
    } catch (err) {
      assert.ok(err instanceof ApiError);
      return err.code;
    }
    return "changed";
  };
  assert.equal(code({ add: [{ url: C }, { url: "ftp://x/" }] }), "invalid_input");
  assert.equal(code({ add: [{ url: "udp://no-port.example/announce" }] }), "invalid_input");
  assert.equal(
    code({ add: [{ url: `http://x/${"a".repeat(TRACKER_EDIT_LIMITS.maxUrlLength)}` }] }),
    "invalid_input",
  );
  assert.equal(code({ add: [{ url: C }], remove: [2] }), "not_found");
  assert.equal(code({ remove: [-1] }), "not_found");
  assert.equal(code({ replace: [{ id: 1.5, url: C }] }), "not_found");
  assert.equal(code({ add: [{ url: A }] }), "duplicate");
  assert.equal(code({ replace: [{ id: 1, url: A }] }), "duplicate");
  assert.equal(code({}), "invalid_input");
  assert.equal(code({ add: "x" }), "invalid_input");
  assert.equal(code({ drop: [0] }), "invalid_input");
  assert.equal(code({ add: [{ url: C, tier: -1 }] }), "invalid_input");
  assert.equal(
    code({ add: Array.from({ length: 101 }, (_, i) => ({ url: `http://t${i}/` })) }),
    "invalid_input",
  );
});
