// The shoal command's entry point. Plain JavaScript on purpose, for two
// reasons. It checks the Node.js version before anything else is loaded: on
// an older Node the TypeScript below fails with a SyntaxError stack trace,
// and even `node:module`'s enableCompileCache is missing before Node 22. And
// it turns on Node's compile cache before any TypeScript is loaded, so later
// runs skip type stripping and compiling altogether (about 0.1 s of every
// start-up). NODE_DISABLE_COMPILE_CACHE=1 turns the cache off.
// No static import: those are resolved before the check could run.

const NEEDED_MAJOR = 24;
const major = Number(process.versions.node.split(".")[0]);
if (!(major >= NEEDED_MAJOR)) {
  process.stderr.write(
    `shoal: needs Node.js ${NEEDED_MAJOR} or later, but this is Node.js ${process.versions.node} ` +
      "(run it as bin/shoal or npm run shoal, which use the Node.js 24 that npm install put in node_modules)\n",
  );
  process.exit(1);
}

const { enableCompileCache } = await import("node:module");
enableCompileCache();
// shoal's own imports resolved without Node's lookups (resolve-hook.js).
const { resolveOwnModulesDirectly } = await import("./resolve-hook.js");
resolveOwnModulesDirectly();
if (process.argv[2] === "create") {
  // `create` hashes on every core, and a worker thread takes ~30 ms to boot:
  // start them first, so that overlaps loading the CLI (hash-worker.ts
  // imports nothing else, to be quick to load).
  const { prestartHashWorkers } = await import("../src/metainfo/hash-worker.ts");
  prestartHashWorkers();
}
const { main } = await import("../src/cli/main.ts");
await main(process.argv.slice(2));
