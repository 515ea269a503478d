import assert from "node:assert/strict";
import { test } from "node:test";
import type { ActiveRates } from "../session/index.ts";
import { ApiError } from "./errors.ts";
import { MAX_TRACKED_TORRENTS, RATE_SAMPLES, RateHistory } from "./rate-history.ts";
import type { ShoalApi } from "./shoal-api.ts";
import type { ApiListener } from "./types.ts";

/**
 * The calls RateHistory makes of the api, over a session whose torrents'
 * rates the test sets: its two reads are counted, its subscription to
 * removals kept (remove() tells it), and any other call fails.
 */
class FakeApi {
  /** Info hash → [down, up] of each torrent moving data now; the rest are idle. */
  moving = new Map<string, [number, number]>();
  readonly known = new Set<string>();
  readonly calls: string[] = [];
  readonly listeners = new Set<ApiListener>();

  activeRates(): ActiveRates {
    this.calls.push("activeRates");
    let downloadRate = 0;
    let uploadRate = 0;
    const torrents: ActiveRates["torrents"] = [];
    for (const [hash, [down, up]] of this.moving) {
      downloadRate += down;
      uploadRate += up;
      torrents.push([hash, down, up]);
    }
    return { downloadRate, uploadRate, torrents };
  }

  get(ref: string): { infoHash: string } {
    this.calls.push("get");
    if (!this.known.has(ref)) throw new ApiError("not_found", `no torrent ${ref}`);
    return { infoHash: ref };
  }

  subscribe(listener: ApiListener, opts: { types?: readonly string[] }): () => void {
    assert.deepEqual(opts.types, ["removed"]);
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The session removes a torrent. */
  remove(hash: string): void {
    this.moving.delete(hash);
    this.known.delete(hash);
    for (const l of this.listeners) l({ type: "removed", id: 1, infoHash: hash, name: hash });
  }

  asApi(): ShoalApi {
    return new Proxy(this, {
      get: (target, name) => {
        if (name === "activeRates" || name === "get" || name === "subscribe") {
          return target[name].bind(target);
        }
        throw new Error(`RateHistory called api.${String(name)}`);
      },
    }) as unknown as ShoalApi;
  }
}

const hashOf = (i: number) => i.toString(16).padStart(40, "0");

test("a torrent that moved data before its details were first asked for shows those samples, lined up with the session's", () => {
  const fake = new FakeApi();
  const [a, b] = [hashOf(1), hashOf(2)];
  fake.known.add(a).add(b);
  const history = new RateHistory(fake.asApi());
  for (let i = 0; i < 3; i++) history.sample();
  fake.moving.set(a, [1000.4, 20]);
  history.sample();
  fake.moving.set(a, [2000, 40]);
  history.sample();
  fake.moving.clear();
  history.sample();
  assert.deepEqual(history.torrent(a), {
    periodMs: 1000,
    // Before it moved data it was idle: zeros, as long as the session's series.
    download: [0, 0, 0, 1000, 2000, 0],
    upload: [0, 0, 0, 20, 40, 0],
  });
  assert.deepEqual(history.session(), history.torrent(a), "the session's is the sum: only a's");
  assert.deepEqual(history.torrent(b).download, [0, 0, 0, 0, 0, 0], "never moved: zeros");
  assert.throws(() => history.torrent(hashOf(3)), { code: "not_found" });
  // Ten minutes on, only the last ten minutes are kept.
  fake.moving.set(b, [5, 6]);
  for (let i = 0; i < RATE_SAMPLES; i++) history.sample();
  assert.equal(history.session().download.length, RATE_SAMPLES);
  assert.ok(
    history.torrent(a).download.every((r) => r === 0),
    "a's moves are over ten minutes old",
  );
  assert.ok(history.torrent(b).upload.every((r) => r === 6));
});

test("a tracked torrent idle for ten minutes is dropped; nothing but the session's one walk is read, none while idle", () => {
  const fake = new FakeApi();
  const a = hashOf(1);
  fake.known.add(a);
  const history = new RateHistory(fake.asApi());
  fake.moving.set(a, [100, 0]);
  history.sample();
  fake.moving.clear();
  for (let i = 0; i < RATE_SAMPLES - 1; i++) history.sample();
  assert.equal(history.trackedTorrents, 1, "its move is still within the window");
  assert.equal(history.torrent(a).download[0], 100);
  history.sample();
  assert.equal(history.trackedTorrents, 0, "idle for the whole window: dropped");
  assert.deepEqual(history.torrent(a).download, new Array(RATE_SAMPLES).fill(0));
  // A second per sample: the session's activeRates, which walks no torrent
  // while no peer is connected (session-rates.test.ts); no torrent is
  // looked up, only the ones asked for.
  assert.deepEqual(
    fake.calls.filter((c) => c !== "activeRates"),
    ["get", "get"],
  );
  assert.equal(fake.calls.length, RATE_SAMPLES + 1 + 2);
});

test("at most MAX_TRACKED_TORRENTS are tracked: the idlest makes room, and what was not recorded is not shown", () => {
  const fake = new FakeApi();
  const n = MAX_TRACKED_TORRENTS;
  for (let i = 0; i <= n; i++) fake.known.add(hashOf(i));
  const history = new RateHistory(fake.asApi());
  for (let i = 0; i < n; i++) fake.moving.set(hashOf(i), [i + 1, 1]);
  history.sample();
  history.sample();
  fake.moving.set(hashOf(n), [7, 7]);
  history.sample();
  assert.equal(history.trackedTorrents, n);
  // Every tracked one moved data in that sample: the newcomer is not
  // recorded, so it shows nothing rather than zeros that are not known.
  assert.deepEqual(history.torrent(hashOf(n)).download, []);
  assert.deepEqual(history.torrent(hashOf(5)).download, [6, 6, 6], "the tracked keep theirs");
  fake.moving.delete(hashOf(0));
  history.sample();
  assert.equal(history.trackedTorrents, n, "the bound holds");
  assert.deepEqual(history.torrent(hashOf(n)).download, [7], "it took the idle one's place");
  assert.deepEqual(history.torrent(hashOf(0)).download, [0], "idle since it was dropped");
  assert.deepEqual(history.torrent(hashOf(5)).download, [6, 6, 6, 6]);
  assert.equal(history.session().download.length, 4, "the session's is whole");
});

test("a removed torrent's samples go at once: no slot held for ten minutes, and added again it starts with zeros", () => {
  const fake = new FakeApi();
  const a = hashOf(1);
  fake.known.add(a);
  const history = new RateHistory(fake.asApi());
  fake.moving.set(a, [500, 50]);
  history.sample();
  history.sample();
  assert.equal(history.trackedTorrents, 1);
  fake.remove(a);
  assert.equal(history.trackedTorrents, 0, "dropped when removed, not ten minutes later");
  history.sample();
  fake.known.add(a); // added again
  assert.deepEqual(history.torrent(a).download, [0, 0, 0], "its earlier samples went with it");
  history.close();
  assert.equal(fake.listeners.size, 0, "close() unsubscribes");
});
