import assert from "node:assert/strict";
import { test } from "node:test";
import { DEFAULT_CONFIG, resolveConfig } from "./config.ts";

test("defaults, then file, then flags; min interval follows interval", () => {
  assert.equal(resolveConfig().port, 6969);
  assert.equal(resolveConfig().minInterval, DEFAULT_CONFIG.interval / 2);
  const c = resolveConfig({ port: 1, interval: 60, registeredOnly: true }, { port: 2 });
  assert.deepEqual([c.port, c.interval, c.minInterval, c.registeredOnly], [2, 60, 30, true]);
});

test("mistakes name the setting", () => {
  assert.throws(() => resolveConfig({ prot: 1 }), /unknown setting 'prot'/);
  assert.throws(() => resolveConfig({ port: 70000 }), /port .*at most 65535/);
  assert.throws(() => resolveConfig({ interval: "60" }), /interval .*whole number/);
  assert.throws(() => resolveConfig({ logLevel: "loud" }), /log-level/);
  assert.throws(() => resolveConfig({ interval: 10, minInterval: 20 }), /min-interval/);
});

test("a Redis store: a redis:// URL and a shared secret of 16 characters or more", () => {
  assert.equal(resolveConfig().store, "memory");
  assert.throws(() => resolveConfig({ store: "mysql://x" }), /neither memory nor a redis:\/\//);
  assert.throws(() => resolveConfig({ store: "redis://127.0.0.1:6379/0" }), /needs shared-secret/);
  assert.throws(
    () => resolveConfig({ store: "redis://127.0.0.1:6379/0", sharedSecret: "short" }),
    /16 characters/,
  );
  const c = resolveConfig({
    store: "redis://127.0.0.1:6379/0",
    sharedSecret: "0123456789abcdef,an-older-secret",
  });
  assert.equal(c.storePrefix, "shoal:");
});
