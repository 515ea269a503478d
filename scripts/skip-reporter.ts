/**
 * A node:test reporter that writes one JSON line per skipped test or suite
 * (file, name, reason) and, last, the run's counts. `scripts/run-tests.ts`
 * reads it after the run, so that a skip is never silent.
 */
interface TestEventData {
  name?: string;
  file?: string;
  nesting?: number;
  skip?: string | boolean;
  counts?: { passed: number; failed: number; skipped: number; cancelled: number; todo: number };
}

export default async function* skipReporter(
  source: AsyncIterable<{ type: string; data: TestEventData }>,
): AsyncGenerator<string> {
  for await (const { type, data } of source) {
    if ((type === "test:pass" || type === "test:fail") && data.skip !== undefined) {
      const reason = typeof data.skip === "string" ? data.skip : "skipped";
      yield `${JSON.stringify({ file: data.file, name: data.name, reason })}\n`;
    } else if (type === "test:summary" && data.file === undefined && data.counts) {
      yield `${JSON.stringify({ counts: data.counts })}\n`;
    }
  }
}
