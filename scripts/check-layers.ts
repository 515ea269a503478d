/**
 * Enforces DESIGN.md's module table: a module under src/ imports only the
 * modules listed for it, and only through their index.ts. The table below is
 * that table as data; change both together. Also fails on any import cycle
 * among the files under src/, inside one module or across modules: the
 * layers keep modules acyclic, and this keeps the files inside each one so
 * (an interface goes in a file of its own, which its implementations import).
 *
 * Usage: node scripts/check-layers.ts [srcDir]   (exit 1 on any violation)
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";

const LOWER_ENGINE = [
  "util",
  "bencode",
  "bitfield",
  "ratelimit",
  "net",
  "metainfo",
  "wire",
  "tracker-proto",
  "picker",
  "choker",
  "storage",
  "peer",
  "tracker-client",
  "dht",
  "discovery",
];

interface ModuleRule {
  layer: number;
  imports: string[];
}

export const MODULES: Record<string, ModuleRule> = {
  util: { layer: 0, imports: [] },
  bencode: { layer: 1, imports: ["util"] },
  bitfield: { layer: 1, imports: ["util"] },
  ratelimit: { layer: 1, imports: ["util"] },
  net: { layer: 1, imports: ["util"] },
  metainfo: { layer: 2, imports: ["bencode", "util"] },
  wire: { layer: 2, imports: ["bencode", "bitfield", "util"] },
  "tracker-proto": { layer: 2, imports: ["bencode", "util"] },
  picker: { layer: 2, imports: ["bitfield", "util"] },
  choker: { layer: 2, imports: ["util"] },
  storage: { layer: 3, imports: ["metainfo", "bitfield", "util"] },
  peer: { layer: 3, imports: ["wire", "bitfield", "ratelimit", "net", "util"] },
  "tracker-client": { layer: 3, imports: ["tracker-proto", "net", "util"] },
  "tracker-server": {
    layer: 3,
    imports: ["tracker-proto", "metainfo", "bencode", "net", "util"],
  },
  dht: { layer: 3, imports: ["bencode", "net", "util"] },
  discovery: { layer: 3, imports: ["bencode", "net", "util"] },
  torrent: { layer: 4, imports: LOWER_ENGINE },
  session: { layer: 5, imports: [...LOWER_ENGINE, "torrent"] },
  api: { layer: 6, imports: ["session", "tracker-client", "metainfo", "util"] },
  daemon: { layer: 7, imports: ["*"] },
  // Above the daemon: `shoal daemon` starts it, the client commands talk to it.
  cli: { layer: 8, imports: ["*"] },
};

/** Modules in layers 0–2 are the protocol itself: written here, no npm packages. */
const NO_PACKAGES_BELOW_LAYER = 3;

const IMPORT_RE =
  /(?:^|[\s;])(?:import|export)\s[^'"]*?from\s*["']([^"']+)["']|(?:^|[\s;])import\s*["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/g;

function listTs(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) out.push(...listTs(full));
    else if (name.endsWith(".ts")) out.push(full);
  }
  return out;
}

export function checkLayers(srcDir: string): string[] {
  const problems: string[] = [];
  const root = resolve(srcDir);
  /** Every relative import between files under src/ (type-only ones too): file → files. */
  const graph = new Map<string, Set<string>>();
  for (const moduleName of readdirSync(root)) {
    if (!statSync(join(root, moduleName)).isDirectory()) continue;
    const rule = MODULES[moduleName];
    if (!rule) {
      problems.push(`src/${moduleName}: not a module of DESIGN.md's table`);
      continue;
    }
    for (const file of listTs(join(root, moduleName))) {
      const isTest = file.endsWith(".test.ts");
      const source = readFileSync(file, "utf8");
      const where = relative(process.cwd(), file);
      for (const m of source.matchAll(IMPORT_RE)) {
        const spec = m[1] ?? m[2] ?? m[3]!;
        if (spec.startsWith("node:")) continue;
        if (!spec.startsWith(".")) {
          if (rule.layer < NO_PACKAGES_BELOW_LAYER && !isTest) {
            problems.push(
              `${where}: imports package '${spec}', but layer ${rule.layer} is written here`,
            );
          }
          continue;
        }
        if (!spec.endsWith(".ts")) {
          problems.push(`${where}: relative import '${spec}' must name its .ts file`);
        }
        const target = resolve(dirname(file), spec);
        const edges = graph.get(file) ?? new Set<string>();
        graph.set(file, edges.add(target));
        const rel = relative(root, target);
        if (rel.startsWith("..")) {
          // Tests may share fixtures kept in test/fixtures/.
          const fixtures = resolve(root, "..", "test", "fixtures");
          if (!(isTest && relative(fixtures, target).split(sep)[0] !== "..")) {
            problems.push(`${where}: imports '${spec}' from outside src/`);
          }
          continue;
        }
        const [targetModule, ...rest] = rel.split(sep);
        if (targetModule === moduleName) continue;
        if (rest.join("/") !== "index.ts") {
          problems.push(`${where}: imports '${spec}'; use ${targetModule}/index.ts instead`);
        }
        // Tests may build fixtures with any lower module; code only with those listed.
        const lower = (MODULES[targetModule!]?.layer ?? 99) < rule.layer;
        const allowed =
          rule.imports.includes("*") || isTest ? lower : rule.imports.includes(targetModule!);
        if (!allowed) {
          problems.push(`${where}: module '${moduleName}' may not import '${targetModule}'`);
        }
      }
    }
  }
  for (const cycle of findCycles(graph)) {
    const names = [...cycle, cycle[0]!].map((f) => relative(process.cwd(), f));
    problems.push(`import cycle: ${names.join(" → ")}`);
  }
  return problems;
}

/**
 * One cycle for each group of files that import one another in a circle
 * (Tarjan's strongly connected components), each as its files in import
 * order starting from the first by name; a file importing itself is one too.
 */
export function findCycles(graph: ReadonlyMap<string, ReadonlySet<string>>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  let next = 0;
  const visit = (file: string): void => {
    index.set(file, next);
    low.set(file, next++);
    stack.push(file);
    onStack.add(file);
    for (const to of graph.get(file) ?? []) {
      if (!index.has(to)) {
        visit(to);
        low.set(file, Math.min(low.get(file)!, low.get(to)!));
      } else if (onStack.has(to)) low.set(file, Math.min(low.get(file)!, index.get(to)!));
    }
    if (low.get(file) !== index.get(file)) return;
    const component = new Set<string>();
    for (;;) {
      const f = stack.pop()!;
      onStack.delete(f);
      component.add(f);
      if (f === file) break;
    }
    if (component.size > 1 || graph.get(file)?.has(file))
      cycles.push(cycleThrough(graph, component));
  };
  for (const file of [...graph.keys()].sort()) if (!index.has(file)) visit(file);
  return cycles.sort((a, b) => (a[0]! < b[0]! ? -1 : 1));
}

/** A shortest circle within `component` from its first file by name back to it. */
function cycleThrough(
  graph: ReadonlyMap<string, ReadonlySet<string>>,
  component: ReadonlySet<string>,
): string[] {
  const start = [...component].sort()[0]!;
  const from = new Map<string, string>();
  const queue = [start];
  for (let i = 0; i < queue.length; i++) {
    const file = queue[i]!;
    for (const to of [...(graph.get(file) ?? [])].sort()) {
      if (!component.has(to)) continue;
      if (to === start) {
        const path = [file];
        while (path[0] !== start) path.unshift(from.get(path[0]!)!);
        return path;
      }
      if (!from.has(to)) {
        from.set(to, file);
        queue.push(to);
      }
    }
  }
  return [start];
}

if (import.meta.main) {
  const problems = checkLayers(process.argv[2] ?? "src");
  if (problems.length > 0) {
    for (const p of problems) console.error(p);
    console.error(`layers: ${problems.length} problem(s) with DESIGN.md's module table or cycles`);
    process.exit(1);
  }
  console.log("layers: every import follows DESIGN.md's module table; no import cycles");
}
