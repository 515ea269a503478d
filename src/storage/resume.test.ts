import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { loadResume, loadResumeNow, saveResume } from "./resume.ts";

const dirs: string[] = [];
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), "shoal-resume-"));
  dirs.push(d);
  return d;
}

test("resume data round trip, small and larger than one read (a torrent of many files)", async () => {
  const dir = await tempDir();
  for (const count of [1, 3000]) {
    const path = join(dir, `r${count}.json`);
    const files = Array.from({ length: count }, (_, i) =>
      i % 7 === 3 ? undefined : { size: i * 1000, mtimeMs: 1_796_626_055_744 + i },
    );
    const data = {
      infoHash: Buffer.alloc(20, 0xab),
      pieces: Buffer.from([0xf0, 0x0f]),
      files,
    };
    await saveResume(path, data);
    for (const loaded of [loadResumeNow(path), await loadResume(path)]) {
      assert.ok(loaded);
      assert.deepEqual(loaded.infoHash, data.infoHash);
      assert.deepEqual(loaded.pieces, data.pieces);
      assert.deepEqual(loaded.files, files);
    }
  }
});

test("missing, damaged or foreign resume data is none (a recheck), never an error", async () => {
  const dir = await tempDir();
  assert.equal(loadResumeNow(join(dir, "absent.json")), undefined);
  const bad = join(dir, "bad.json");
  await writeFile(bad, '{"version":1,"infoHash":"ab","pie');
  assert.equal(loadResumeNow(bad), undefined);
  await writeFile(bad, '{"version":2,"infoHash":"ab","pieces":"","files":[]}');
  assert.equal(loadResumeNow(bad), undefined);
  assert.equal(loadResumeNow(dir), undefined); // a folder, not a file
});
