import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { type ApiError, ShoalApi } from "../api/index.ts";
import { encode } from "../bencode/index.ts";
import { Client } from "../session/index.ts";
import { MemoryStorage } from "../storage/index.ts";
import { sha1 } from "../util/index.ts";
import { findShellCommand, type ShellContext } from "./shell-commands.ts";
import { ShellError } from "./shell-error.ts";

const cleanup: (() => Promise<unknown>)[] = [];
after(async () => {
  for (const c of cleanup.reverse()) await c();
});

test("shell files: lists files with priorities, sets them by index list; mistakes are one line", async () => {
  const dir = await mkdtemp(join(tmpdir(), "shoal-shell-files-"));
  cleanup.push(() => rm(dir, { recursive: true, force: true }));
  const client = await Client.start({
    dataDir: join(dir, "data"),
    downloadDir: join(dir, "dl"),
    port: 0,
    host: "127.0.0.1",
    torrentDefaults: { trackers: false, openStore: (meta) => MemoryStorage.open(meta) },
  });
  cleanup.push(() => client.close());
  const PIECE = 16384;
  const files = [20_000, 30_000, 5_000].map((length, i) => ({ length, path: [`f${i}.bin`] }));
  const content = randomBytes(55_000);
  const pieces: Buffer[] = [];
  for (let at = 0; at < content.length; at += PIECE)
    pieces.push(sha1(content.subarray(at, at + PIECE)));
  const bytes = encode({
    info: { name: "set", "piece length": PIECE, files, pieces: Buffer.concat(pieces) },
  } as never);
  const api = new ShoalApi(client);
  await api.add({ torrent: bytes.toString("base64"), paused: true });
  const out: string[] = [];
  const ctx = { api, print: (t: string) => out.push(t) } as unknown as ShellContext;
  const files_ = findShellCommand("files")!;

  await files_.run(ctx, ["1", "skip", "1-2"]);
  assert.match(out.at(-1)!, /^\[1\] set: 3 files, 1 wanted \(19\.5 KiB\)\n/);
  assert.match(out.at(-1)!, /\n {4}1 {2}skip +0% +29\.3 KiB {2}set\/f1\.bin\n/);
  await files_.run(ctx, ["1", "high", "2"]);
  assert.deepEqual(
    api.files(1).map((f) => f.priority),
    ["normal", "skip", "high"],
  );
  await assert.rejects(files_.run(ctx, ["1", "urgent", "0"]), ShellError);
  await assert.rejects(files_.run(ctx, ["1", "skip", "x"]), ShellError);
  await assert.rejects(files_.run(ctx, ["1", "skip"]), ShellError);
  await assert.rejects(
    files_.run(ctx, ["1", "skip", "7"]),
    (e: ApiError) => e.code === "invalid_input",
  );
  assert.deepEqual(
    api.files(1).map((f) => f.priority),
    ["normal", "skip", "high"],
  );
});
