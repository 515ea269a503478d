import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { after, describe, test } from "node:test";
import { prestartHashWorkers } from "./hash-worker.ts";
import { hashPieces } from "./piece-hasher.ts";

const root = mkdtempSync(join(tmpdir(), "shoal-hash-worker-test-"));
after(() => rmSync(root, { recursive: true, force: true }));
const SHOAL = resolve(import.meta.dirname, "..", "..", "bin", "shoal.js");

describe("prestarted hashing workers", () => {
  test("a worker started before the job gets it and hashes every piece", async () => {
    const path = join(root, "data");
    const data = randomBytes(3 * 1024 * 1024 + 77);
    writeFileSync(path, data);
    prestartHashWorkers(1);
    // mainThreadHashes: false, so every digest comes from the prestarted worker.
    const digests = await hashPieces(
      [{ path, length: data.length, offset: 0 }],
      65536,
      data.length,
      {
        workers: 1,
        mainThreadHashes: false,
      },
    );
    for (let i = 0; i * 65536 < data.length; i++) {
      const want = createHash("sha1")
        .update(data.subarray(i * 65536, (i + 1) * 65536))
        .digest();
      assert.deepEqual(digests.subarray(i * 20, i * 20 + 20), want, `piece ${i}`);
    }
  });

  test("the CLI exits promptly when its prestarted worker is not needed", () => {
    // A small file is hashed on the main thread alone, and --help hashes
    // nothing: the idle worker must not keep the process alive.
    const file = join(root, "small.txt");
    writeFileSync(file, "a few bytes\n");
    const out = join(root, "small.torrent");
    for (const args of [
      ["create", file, "--no-date", "-o", out],
      ["create", "--help"],
    ]) {
      const run = spawnSync(process.execPath, [SHOAL, ...args], {
        encoding: "utf8",
        timeout: 20_000,
      });
      assert.equal(run.signal, null, `shoal ${args.join(" ")} did not exit by itself`);
      assert.equal(run.status, 0, run.stderr);
    }
    assert.ok(readFileSync(out).length > 0);
  });
});
