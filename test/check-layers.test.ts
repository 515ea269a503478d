import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, describe, it } from "node:test";
import { checkLayers, findCycles } from "../scripts/check-layers.ts";

const roots: string[] = [];
after(() => {
  for (const r of roots) rmSync(r, { recursive: true, force: true });
});

/** A clean little tree: util ← bencode ← metainfo, cli on top; `extra` files are added to it. */
function tree(extra: Record<string, string> = {}): string {
  const root = mkdtempSync(join(tmpdir(), "shoal-layers-"));
  roots.push(root);
  const src = join(root, "src");
  const files: Record<string, string> = {
    "util/index.ts": 'export { toHex } from "./bytes.ts";\nimport "node:crypto";\n',
    "util/bytes.ts": "export const toHex = (b: Uint8Array) => String(b);\n",
    "bencode/index.ts": 'import { toHex } from "../util/index.ts";\nexport const x = toHex;\n',
    "bencode/decode.test.ts":
      'import fc from "fast-check";\nimport { x } from "./index.ts";\nvoid fc; void x;\n',
    "metainfo/index.ts":
      'export * from "../bencode/index.ts";\nexport { toHex } from "../util/index.ts";\n',
    "cli/main.ts":
      'import { x } from "../metainfo/index.ts";\nconst m = await import("../util/index.ts");\nimport chalk from "chalk";\nvoid x; void m; void chalk;\n',
    ...extra,
  };
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(src, path)), { recursive: true });
    writeFileSync(join(src, path), text);
  }
  return src;
}

/** The one problem reported for a tree, which must mention every fragment. */
function oneProblem(src: string, ...fragments: string[]): void {
  const problems = checkLayers(src);
  assert.equal(problems.length, 1, `expected one problem, got:\n${problems.join("\n")}`);
  for (const f of fragments) assert.ok(problems[0]!.includes(f), `${problems[0]} lacks '${f}'`);
}

describe("checkLayers", () => {
  it("passes a clean tree (tests may import packages, node: built-ins are free)", () => {
    assert.deepEqual(checkLayers(tree()), []);
  });

  it("lets tests, and only tests, share fixtures from test/fixtures/", () => {
    const fixture = 'import { f } from "../../test/fixtures/seed.ts";\nvoid f;\n';
    assert.deepEqual(checkLayers(tree({ "bencode/seed.test.ts": fixture })), []);
    oneProblem(tree({ "bencode/seed.ts": fixture }), "bencode/seed.ts", "outside src/");
  });

  it("reports an import of a higher-layer module", () => {
    const src = tree({ "util/bad.ts": 'import { x } from "../bencode/index.ts";\nvoid x;\n' });
    oneProblem(src, "bad.ts", "module 'util' may not import 'bencode'");
  });

  it("reports an import of a same-layer module that the table does not list", () => {
    const src = tree({ "bitfield/index.ts": 'export * from "../bencode/index.ts";\n' });
    oneProblem(src, "module 'bitfield' may not import 'bencode'");
  });

  it("reports a layer-7 module importing another layer-7 module", () => {
    const src = tree({ "daemon/index.ts": 'export * from "../cli/main.ts";\n' });
    const problems = checkLayers(src);
    assert.ok(problems.some((p) => p.includes("module 'daemon' may not import 'cli'")));
  });

  it("reports an import of a file other than another module's index.ts", () => {
    const src = tree({
      "bencode/encode.ts": 'import { toHex } from "../util/bytes.ts";\nvoid toHex;\n',
    });
    oneProblem(src, "encode.ts", "'../util/bytes.ts'", "use util/index.ts instead");
  });

  it("reports the same through export … from and dynamic import()", () => {
    const src = tree({
      "metainfo/re.ts": 'export { toHex } from "../util/bytes.ts";\n',
      "metainfo/lazy.ts": 'export const m = () => import("../bencode/decode.ts");\n',
    });
    const problems = checkLayers(src);
    assert.equal(problems.length, 2, problems.join("\n"));
    assert.ok(problems.some((p) => p.includes("re.ts") && p.includes("use util/index.ts")));
    assert.ok(problems.some((p) => p.includes("lazy.ts") && p.includes("use bencode/index.ts")));
  });

  it("reports a package import in a layer-1 module (but not in its tests)", () => {
    const src = tree({ "bencode/fast.ts": 'import fc from "fast-check";\nvoid fc;\n' });
    oneProblem(src, "fast.ts", "imports package 'fast-check'", "layer 1");
  });

  it("reports a module folder that is not in DESIGN.md's table", () => {
    const src = tree({ "gizmo/index.ts": "export const g = 1;\n" });
    oneProblem(src, "src/gizmo", "not a module");
  });

  it("reports relative imports without .ts and imports from outside src/", () => {
    const src = tree({
      "bencode/a.ts": 'import { x } from "./index";\nvoid x;\n',
      "bencode/b.ts": 'import { y } from "../../scripts/y.ts";\nvoid y;\n',
    });
    const problems = checkLayers(src);
    assert.ok(problems.some((p) => p.includes("'./index' must name its .ts file")));
    assert.ok(problems.some((p) => p.includes("from outside src/")));
  });

  it("reports an import cycle inside one module, naming its files in order", () => {
    const src = tree({
      "bencode/decode.ts": 'import { e } from "./encode.ts";\nexport const d = e;\n',
      "bencode/encode.ts": 'import { d } from "./decode.ts";\nexport const e = d;\n',
    });
    oneProblem(
      src,
      "import cycle",
      `${join("bencode", "decode.ts")} → `,
      `${join("bencode", "encode.ts")} → `,
    );
    const problem = checkLayers(src)[0]!;
    assert.match(problem, /decode\.ts → .*encode\.ts → .*decode\.ts$/);
  });

  it("counts type-only imports and longer circles through index.ts", () => {
    const src = tree({
      "util/index.ts":
        'export { toHex } from "./bytes.ts";\nexport type { Clock } from "./clock.ts";\n',
      "util/clock.ts": 'import type { Fake } from "./fake.ts";\nexport type Clock = Fake;\n',
      "util/fake.ts":
        'import type { toHex } from "./index.ts";\nexport type Fake = typeof toHex;\n',
    });
    const problems = checkLayers(src);
    assert.equal(problems.length, 1, problems.join("\n"));
    for (const f of ["clock.ts", "fake.ts", "index.ts"]) assert.ok(problems[0]!.includes(f));
  });

  it("reports a file that imports itself", () => {
    const src = tree({ "bencode/loop.ts": 'export * from "./loop.ts";\n' });
    oneProblem(src, "import cycle", "loop.ts → ");
  });

  it("reports a cycle across modules as well as the upward import", () => {
    const src = tree({ "util/index.ts": 'export { x } from "../bencode/index.ts";\n' });
    const problems = checkLayers(src);
    assert.ok(problems.some((p) => p.includes("module 'util' may not import 'bencode'")));
    assert.ok(
      problems.some((p) => p.startsWith("import cycle") && p.includes(join("bencode", "index.ts"))),
      problems.join("\n"),
    );
  });

  it("finds one circle per group of files, however the graph is walked", () => {
    const graph = new Map([
      ["a", new Set(["b"])],
      ["b", new Set(["c", "d"])],
      ["c", new Set(["a"])],
      ["d", new Set(["e"])],
      ["e", new Set(["d"])],
      ["f", new Set(["a"])],
    ]);
    assert.deepEqual(findCycles(graph), [
      ["a", "b", "c"],
      ["d", "e"],
    ]);
    assert.deepEqual(findCycles(new Map([["a", new Set(["b"])]])), []);
  });

  it("npm run layers (the script) exits 1 on a deliberately added cycle", () => {
    const script = join(import.meta.dirname, "..", "scripts", "check-layers.ts");
    const clean = spawnSync(process.execPath, [script, tree()], { encoding: "utf8" });
    assert.equal(clean.status, 0, clean.stderr);
    const src = tree({
      "metainfo/a.ts": 'import { b } from "./b.ts";\nexport const a = () => b;\n',
      "metainfo/b.ts": 'import { a } from "./a.ts";\nexport const b = () => a;\n',
    });
    const run = spawnSync(process.execPath, [script, src], { encoding: "utf8" });
    assert.equal(run.status, 1, run.stdout);
    assert.match(run.stderr, /import cycle: .*a\.ts → .*b\.ts → .*a\.ts/);
  });

  it("passes the real src/", () => {
    const real = join(import.meta.dirname, "..", "src");
    assert.deepEqual(checkLayers(real), []);
  });
});
