// The shoal command's entry point. Plain JavaScript on purpose: it turns on
// Node's compile cache before any TypeScript is loaded, so later runs skip
// type stripping and compiling altogether (about 0.1 s of every start-up).
// NODE_DISABLE_COMPILE_CACHE=1 turns the cache off.
import { enableCompileCache } from "node:module";

enableCompileCache();
if (process.argv[2] === "create") {
  // `create` hashes on every core, and a worker thread takes ~30 ms to boot:
  // start them first, so that overlaps loading the CLI (hash-worker.ts
  // imports nothing else, to be quick to load).
  const { prestartHashWorkers } = await import("../src/metainfo/hash-worker.ts");
  prestartHashWorkers();
}
const { run } = await import("../src/cli/main.ts");
process.exitCode = await run(process.argv.slice(2));
