/**
 * A time as ISO 8601 in UTC, `2026-12-06T15:00:00.000Z`: what
 * `Date.prototype.toISOString` gives, made from the date's UTC fields.
 * Why not toISOString itself: V8 works out the local time zone's offset
 * for it too, though the text is in UTC, and the first time a process
 * does, ICU detects the zone and loads its data: about 1 MiB of Node's
 * binary paged in, which a daemon that logs a line at start kept resident
 * for its whole life (issue 16). The UTC getters need no time zone.
 */

/** Years toISOString writes with four digits; others (±YYYYYY) are left to it. */
const MAX_FOUR_DIGIT_YEAR = 9999;

const pad2 = (n: number) => (n < 10 ? `0${n}` : `${n}`);

export function isoTime(ms: number = Date.now()): string {
  const d = new Date(ms);
  const year = d.getUTCFullYear();
  if (!(year >= 0 && year <= MAX_FOUR_DIGIT_YEAR)) return d.toISOString();
  const milli = d.getUTCMilliseconds();
  return (
    `${String(year).padStart(4, "0")}-${pad2(d.getUTCMonth() + 1)}-${pad2(d.getUTCDate())}` +
    `T${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())}` +
    `.${milli < 10 ? "00" : milli < 100 ? "0" : ""}${milli}Z`
  );
}
