import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { DataDirLockedError, lockDataDir } from "./data-dir-lock.ts";

const dir = mkdtempSync(join(tmpdir(), "shoal-lock-"));
after(() => rmSync(dir, { recursive: true, force: true }));

test("one holder at a time; the second is told the data dir and the holder's PID", async () => {
  const lock = await lockDataDir(dir);
  assert.equal(readFileSync(join(dir, "lock"), "utf8"), `${process.pid}\n`);
  await assert.rejects(lockDataDir(dir), (err: unknown) => {
    assert.ok(err instanceof DataDirLockedError);
    assert.equal(err.pid, process.pid);
    assert.equal(err.code, "data_dir_locked");
    assert.equal(
      err.message,
      `the data dir ${dir} is in use by another shoal (PID ${process.pid}); ` +
        "stop that one, or give this one its own --data-dir",
    );
    return true;
  });
  await lock.release();
  assert.equal(existsSync(join(dir, "lock")), false, "released");
  const again = await lockDataDir(dir);
  await again.release();
});

test("a lock left by a process that is gone (kill -9) is taken over", async () => {
  // A PID that surely ran and has exited: a child's, after it ended.
  const child = spawnSync(process.execPath, ["-e", "0"]);
  const dead = child.pid!;
  writeFileSync(join(dir, "lock"), `${dead}\n`);
  const lock = await lockDataDir(dir);
  assert.equal(readFileSync(join(dir, "lock"), "utf8"), `${process.pid}\n`);
  await lock.release();
  // Unreadable content is no holder either.
  writeFileSync(join(dir, "lock"), "garbage");
  const taken = await lockDataDir(dir);
  await taken.release();
});

test("release leaves a lock that another process took meanwhile", async () => {
  const lock = await lockDataDir(dir);
  writeFileSync(join(dir, "lock"), "1\n"); // PID 1 (init) always runs
  await lock.release();
  assert.equal(readFileSync(join(dir, "lock"), "utf8"), "1\n");
  await assert.rejects(lockDataDir(dir), /in use by another shoal \(PID 1\)/);
  rmSync(join(dir, "lock"));
});
