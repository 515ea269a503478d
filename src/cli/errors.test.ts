import assert from "node:assert/strict";
import { createServer } from "node:net";
import { test } from "node:test";
import { parseArgs } from "node:util";
import { listenTcp } from "../net/index.ts";
import { isParseArgsError, parseArgsMessage, systemErrorMessage } from "./errors.ts";
import { rateOption } from "./options.ts";
import { piecesPerSecond, renderProgress } from "./progress.ts";

const HELP = "  --json  print JSON\n  --files  every file\n  --port <n>  a port\n";

function messageFor(args: string[]): string {
  try {
    parseArgs({
      args,
      strict: true,
      allowPositionals: false,
      options: {
        json: { type: "boolean" },
        files: { type: "boolean" },
        port: { type: "string" },
      },
    });
  } catch (err) {
    assert.ok(isParseArgsError(err));
    return parseArgsMessage(err, HELP);
  }
  throw new Error("parsed");
}

test("parseArgs errors: one line, balanced quotes, the option meant", () => {
  assert.equal(messageFor(["--jsn"]), "Unknown option '--jsn' (did you mean --json?)");
  assert.equal(messageFor(["--zzzzzz"]), "Unknown option '--zzzzzz'");
  assert.equal(messageFor(["-x"]), "Unknown option '-x'");
  assert.equal(messageFor(["--port"]), "--port needs a value");
  assert.equal(messageFor(["--json=yes"]), "--json takes no value");
  assert.equal(
    messageFor(["--port", "--json"]),
    "--port needs a value (for one that starts with '-', write --port=-…)",
  );
  assert.equal(messageFor(["stray"]), "unexpected argument 'stray'");
  for (const args of [["--jsn"], ["--port", "--json"], ["-x"]]) {
    const m = messageFor(args);
    assert.ok(!m.includes("\n"), m);
    assert.equal((m.match(/'/g) ?? []).length % 2, 0, `unbalanced quotes: ${m}`);
  }
});

test("a port in use: named, with --port as the way out (Node's error, and ours wrapping it)", async () => {
  const taken = createServer();
  await new Promise<void>((r) => taken.listen(0, "127.0.0.1", r));
  const port = (taken.address() as { port: number }).port;
  try {
    const raw = await new Promise<unknown>((resolve) => {
      const s = createServer();
      s.once("error", resolve);
      s.listen(port, "127.0.0.1");
    });
    const wrapped = await listenTcp({ port, host: "127.0.0.1" }).then(
      () => assert.fail("listened on a port in use"),
      (err: unknown) => err,
    );
    for (const err of [raw, wrapped]) {
      assert.equal(
        systemErrorMessage(err),
        `port ${port} is already in use on 127.0.0.1 (another shoal?); ` +
          "choose another with --port, or --port 0 for any free one",
      );
    }
  } finally {
    taken.close();
  }
});

test("a missing file is named, in one line", () => {
  const err = Object.assign(new Error("ENOENT: no such file or directory, stat '/nope'"), {
    code: "ENOENT",
    syscall: "stat",
    path: "/nope",
  });
  assert.equal(systemErrorMessage(err), "no such file or directory '/nope'");
  assert.equal(systemErrorMessage(new Error("plain")), undefined);
});

test("rates: units per second, with an example when the text is not one", () => {
  assert.equal(rateOption("--upload-limit", "10MB"), 10_000_000);
  assert.equal(rateOption("--upload-limit", "512KiB/s"), 512 * 1024);
  assert.equal(rateOption("--upload-limit", "unlimited"), 0);
  assert.throws(
    () => rateOption("--upload-limit", "fast"),
    /--upload-limit: 'fast' is not a rate \(bytes per second: try 10MB or 512KiB; 0 for no limit\)/,
  );
});

test("checking's progress counts pieces per second, not bytes", () => {
  const line = renderProgress("checking", 100, 400, 2, 100, piecesPerSecond);
  assert.match(line, /25% {2}50 pieces\/s {2}ETA 6s/);
  assert.doesNotMatch(line, /B\/s/);
});
