/**
 * BEP 52 hybrid torrents carry a v1 and a v2 description of the same files.
 * shoal loads them through the v1 part, which is only sound when both parts
 * agree: same files, same sizes, same order, each file starting on a piece
 * boundary (the v2 layout). Anything else is refused.
 */
import { type BencodeDict, isDict } from "../bencode/index.ts";
import { MetainfoError } from "./errors.ts";
import type { TorrentFile } from "./types.ts";

interface V2File {
  path: string[];
  length: number;
}

/** Flattens a BEP 52 `file tree` into its files, in tree order. */
function flattenFileTree(tree: BencodeDict, prefix: string[], out: V2File[]): void {
  for (const [key, node] of tree) {
    if (!isDict(node)) throw inconsistent(`the v2 file tree has a non-dictionary entry '${key}'`);
    const leaf = node.get("");
    if (key !== "" && isDict(leaf)) {
      const length = leaf.get("length");
      if (typeof length !== "number" || length < 0)
        throw inconsistent(`v2 file '${[...prefix, key].join("/")}' has no valid length`);
      out.push({ path: [...prefix, Buffer.from(key, "latin1").toString("utf8")], length });
    } else {
      flattenFileTree(node, [...prefix, Buffer.from(key, "latin1").toString("utf8")], out);
    }
  }
}

function inconsistent(detail: string): MetainfoError {
  return new MetainfoError(
    "inconsistent_files",
    `the v1 and v2 file metadata do not match: ${detail}`,
  );
}

export function checkHybridFiles(
  info: BencodeDict,
  files: readonly TorrentFile[],
  multiFile: boolean,
  pieceLength: number,
): void {
  const tree = info.get("file tree");
  if (!isDict(tree)) throw inconsistent("the v2 part has no 'file tree'");
  const v2: V2File[] = [];
  flattenFileTree(tree, [], v2);
  const v1 = files
    .filter((f) => !f.pad)
    .map((f) => ({
      path: multiFile ? f.path.slice(1) : f.path,
      length: f.length,
      offset: f.offset,
    }));
  if (v1.length !== v2.length) {
    throw inconsistent(`${v1.length} v1 files against ${v2.length} v2 files`);
  }
  for (const [i, a] of v1.entries()) {
    const b = v2[i]!;
    if (a.path.join("/") !== b.path.join("/") || a.length !== b.length) {
      throw inconsistent(
        `file ${i} is '${a.path.join("/")}' (${a.length} bytes) in v1, '${b.path.join("/")}' (${b.length} bytes) in v2`,
      );
    }
    if (a.length > 0 && a.offset % pieceLength !== 0) {
      throw inconsistent(`file '${a.path.join("/")}' does not start on a piece boundary`);
    }
  }
}
