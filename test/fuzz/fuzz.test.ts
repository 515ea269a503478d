/**
 * The fuzzers' smoke pass, part of every test run: each driver's seeds and
 * a few thousand mutations of them (a fixed seed, so a failure repeats),
 * and every kept regression seed. The long run is `npm run fuzz`.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { loadMemoryNetwork } from "../../src/net/index.ts";
import { negotiateIncoming } from "../../src/peer/index.ts";
import { credentialOf } from "../../src/tracker-server/publishing.ts";
import { ShoalError } from "../../src/util/index.ts";
import { corpusSeeds } from "./driver.ts";
import { DRIVERS } from "./drivers/index.ts";
import { REFUSED } from "./drivers/outcome.ts";
import { type Finding, fuzz, runOne } from "./engine.ts";
import { Mutator } from "./mutate.ts";
import { regressionSeeds } from "./regressions.ts";

const { createMemoryPipe } = await loadMemoryNetwork();

/** Mutations per driver. */
const EXECUTIONS = 3000;

function explain(findings: Finding[]): string {
  return findings
    .map(
      (f) =>
        `${f.kind}: ${f.message} at ${f.where}; input ${f.input.toString("hex").slice(0, 200)}`,
    )
    .join("\n");
}

describe("fuzz smoke pass", () => {
  for (const driver of DRIVERS) {
    it(`${driver.name}: seeds, kept regressions and ${EXECUTIONS} mutations find nothing`, async () => {
      for (const { file, input } of regressionSeeds(driver.name)) {
        const r = await runOne(driver, input);
        assert.equal(r.finding, undefined, `${file}: ${r.finding?.message} at ${r.finding?.where}`);
      }
      const report = await fuzz(driver, {
        executions: EXECUTIONS,
        milliseconds: 20_000,
        seed: 0x5eed,
        // Under a loaded CI machine a bound of 1 s would be noise; a real hang is far longer.
        hangMs: 5_000,
      });
      assert.deepEqual(report.findings, [], explain(report.findings));
      assert.ok(report.executions > 0);
      // Every built-in seed is a valid sample: at least one reads without refusal.
      const accepted: string[] = [];
      for (const s of driver.seeds()) accepted.push((await runOne(driver, s)).outcome);
      assert.ok(
        accepted.some((o) => !o.includes(REFUSED)),
        `no seed of ${driver.name} is accepted: ${accepted.join(", ")}`,
      );
    });
  }

  it("the shared corpus feeds the drivers that have one, when it is there", (t) => {
    const withCorpus = DRIVERS.filter((d) => d.corpus !== undefined);
    const counts = withCorpus.map((d) => corpusSeeds(d).length);
    if (counts.every((n) => n === 0)) {
      t.skip("../shared/corpus is absent");
      return;
    }
    for (const [i, d] of withCorpus.entries())
      assert.ok(counts[i]! > 0, `${d.name} read no corpus file`);
  });

  it("a throw that is not a ShoalError, and a slow input, are findings; a ShoalError is not", async () => {
    const crashing = {
      name: "test-crash",
      seeds: () => [Buffer.from([0]), Buffer.from([1])],
      run: (input: Buffer) => {
        if (input[0] === 1) throw new TypeError("boom");
        if (input[0] === 2) throw new ShoalError("refused", "no");
        if (input[0] === 3) {
          const until = performance.now() + 60;
          while (performance.now() < until);
        }
        return "ok";
      },
    };
    assert.equal((await runOne(crashing, Buffer.from([1]))).finding?.kind, "crash");
    assert.equal((await runOne(crashing, Buffer.from([2]))).finding, undefined);
    assert.equal((await runOne(crashing, Buffer.from([3]), 50)).finding?.kind, "hang");
    const report = await fuzz(crashing, { executions: 500, seed: 3, useCorpus: false });
    assert.ok(report.findings.some((f) => f.kind === "crash" && f.message === "TypeError: boom"));
  });

  it("regression: an MSE handshake's Diffie-Hellman step is cheap (it cost ~80 ms of CPU per connection)", async () => {
    // 96 bytes of Ya and a close: the responder makes a fresh key pair and
    // computes the secret, as for any peer (the driver fixes its key pair,
    // so this goes to negotiateIncoming itself).
    const ya = Buffer.alloc(96, 0x5a);
    const once = async () => {
      const [them, us] = createMemoryPipe();
      const answer = negotiateIncoming(us, {
        lookup: () => undefined,
        infoHashes: () => [Buffer.alloc(20, 1)],
        timeoutMs: 5000,
      }).catch((err: unknown) => err);
      them.write(ya);
      them.on("data", () => them.end());
      assert.ok((await answer) instanceof ShoalError);
    };
    await once();
    // CPU time, not wall time: what regressed was the work (~80 ms of CPU), and a loaded
    // machine stretches wall time with time the process was not running.
    const started = process.cpuUsage();
    for (let i = 0; i < 50; i++) await once();
    const cpu = process.cpuUsage(started);
    const each = (cpu.user + cpu.system) / 1000 / 50;
    assert.ok(each < 15, `${each.toFixed(1)} ms of CPU per handshake`);
  });

  it("regression: an Authorization header of spaces before a bare LF is read in linear time (it cost ~60 ms per 8 KiB head)", () => {
    // The head parser ends lines at CRLF only, so a bare LF reaches the value.
    const header = `Bearer ${" ".repeat(8000)}\nx`;
    credentialOf(header);
    // CPU time, as above: the work is what regressed, not the machine's load.
    const started = process.cpuUsage();
    for (let i = 0; i < 100; i++) assert.equal(credentialOf(header), undefined);
    const cpu = process.cpuUsage(started);
    const each = (cpu.user + cpu.system) / 1000 / 100;
    assert.ok(each < 5, `${each.toFixed(2)} ms of CPU per header`);
  });

  it("mutations repeat for a seed and stay within the length bound", () => {
    const a = new Mutator(42);
    const b = new Mutator(42);
    const input = Buffer.from("d3:fooi12345e4:spam4:eggse", "latin1");
    for (let i = 0; i < 2000; i++) {
      const x = a.mutate(input, input, 64);
      assert.deepEqual(x, b.mutate(input, input, 64));
      assert.ok(x.length <= 64);
    }
  });
});
