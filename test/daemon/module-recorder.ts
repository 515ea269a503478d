/**
 * Loaded with `--import` into a daemon under test: appends the URL of every
 * module the process loads to the file $SHOAL_TEST_MODULE_LOG, as it loads
 * it (lazy-modules.test.ts reads what a start loaded, then what a request did).
 */
import { appendFileSync } from "node:fs";
import { registerHooks } from "node:module";

const log = process.env.SHOAL_TEST_MODULE_LOG;
if (log) {
  registerHooks({
    load(url, context, next) {
      appendFileSync(log, `${url}\n`);
      return next(url, context);
    },
  });
}
