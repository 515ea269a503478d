/** The incomplete folder's choices, and a move a crash cut short finished on restore. */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { createTorrent, type Metainfo } from "../metainfo/index.ts";
import { incompleteFolderFor, restoredIncompleteFolder } from "./incomplete-dir.ts";

const root = await mkdtemp(join(tmpdir(), "shoal-incomplete-"));
after(() => rm(root, { recursive: true, force: true }));

async function make(
  name: string,
  sizes: number[],
): Promise<{ meta: Metainfo; files: [string[], Buffer][] }> {
  const files: [string[], Buffer][] = [];
  for (const [i, size] of sizes.entries()) {
    const path = [name, `part-${i}.bin`];
    const bytes = Buffer.alloc(size, i + 1);
    await mkdir(join(root, "content", name), { recursive: true });
    await writeFile(join(root, "content", ...path), bytes);
    files.push([path, bytes]);
  }
  const { metainfo } = await createTorrent(join(root, "content", name), { pieceLength: 16384 });
  return { meta: metainfo, files };
}

test("a new torrent goes to the incomplete folder unless its data is already in the download folder", async () => {
  const m = await make("chosen", [20_000]);
  const downloads = join(root, "dl-a");
  const incomplete = join(root, "inc-a");
  assert.equal(await incompleteFolderFor(m.meta, downloads, incomplete), incomplete);
  assert.equal(await incompleteFolderFor(m.meta, downloads, undefined), undefined);
  assert.equal(await incompleteFolderFor(m.meta, downloads, downloads), undefined);
  assert.equal(
    await incompleteFolderFor(undefined, downloads, incomplete),
    incomplete,
    "a magnet link",
  );
  await mkdir(join(downloads, "chosen"), { recursive: true });
  await writeFile(join(downloads, ...m.files[0]![0]), m.files[0]![1]);
  assert.equal(await incompleteFolderFor(m.meta, downloads, incomplete), undefined);
});

test("a move to the download folder that a crash cut short is finished on restore", async () => {
  const m = await make("half-moved", [50_000, 60_000]);
  const downloads = join(root, "downloads");
  const incomplete = join(root, "incomplete");
  // The first file had moved when the crash came, the second had not.
  const [[first, a], [second, b]] = m.files as [[string[], Buffer], [string[], Buffer]];
  await mkdir(join(downloads, "half-moved"), { recursive: true });
  await mkdir(join(incomplete, "half-moved"), { recursive: true });
  await writeFile(join(downloads, ...first), a);
  await writeFile(join(incomplete, ...second), b);
  assert.equal(await restoredIncompleteFolder(m.meta, downloads, incomplete), undefined);
  assert.ok((await readFile(join(downloads, ...second))).equals(b));
  assert.ok(!existsSync(join(incomplete, "half-moved")));
  // Nothing in the download folder yet: the data stays in the incomplete one.
  const fresh = await make("fresh", [10_000]);
  assert.equal(await restoredIncompleteFolder(fresh.meta, downloads, incomplete), incomplete);
});
