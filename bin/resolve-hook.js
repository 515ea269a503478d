// How shoal's own modules import each other, resolved directly. Every
// relative import in src/ names a file with its extension ("./client.ts"),
// so its URL is the specifier against the importer's: nothing to look up.
// Node's resolver still checks each one as it would any specifier (a stat,
// a realpath, the package.json scope that says how to load it), and for the
// ~180 modules a download loads that came to about a quarter of loading
// them: one leecher's start in bench/swarm.ts took 166 -> 137 ms of CPU here
// (median of 12), and eight start at once. Only relative `.ts` imports from
// files of this package (package.json: "type": "module", so they are ES
// modules in TypeScript) are answered here; everything else, node_modules
// included, goes to Node's resolver. Plain JavaScript, like bin/shoal.js.

import { registerHooks } from "node:module";

/** This package's root, as the URL prefix of its files. */
const ROOT = new URL("../", import.meta.url).href;

export function resolveOwnModulesDirectly() {
  registerHooks({
    resolve(specifier, context, nextResolve) {
      const parent = context.parentURL;
      if (
        parent?.startsWith(ROOT) &&
        // This package's dependencies are not (shoal itself may sit in a node_modules).
        !parent.includes("/node_modules/", ROOT.length - 1) &&
        specifier.endsWith(".ts") &&
        (specifier.startsWith("./") || specifier.startsWith("../"))
      ) {
        return {
          url: new URL(specifier, parent).href,
          format: "module-typescript",
          shortCircuit: true,
        };
      }
      return nextResolve(specifier, context);
    },
  });
}
