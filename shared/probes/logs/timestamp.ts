/**
 * The leading timestamp of a log line, as PostgreSQL, MySQL and most services write it:
 * ISO 8601 (`2026-03-01T02:00:00.123Z`, `…+01:00`) or `YYYY-MM-DD HH:MM:SS[.fff]` followed by a
 * zone (`UTC`, `GMT`, `+0100`) or none (then read in the file's `timezone`).
 */
const LEADING = new RegExp(
  // date, time, optional fraction, optional zone
  String.raw`^\s*\[?(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})` +
    String.raw`(?:[.,](\d{1,9}))?(?:\s?(Z|[+-]\d{2}(?::?\d{2})?|UTC|GMT)\b)?`,
);

/** Offset of `zone` from UTC at instant `t`, in ms. */
function zoneOffset(t: number, zone: string): number {
  const f = new Intl.DateTimeFormat('en-US', {
    timeZone: zone,
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
    second: 'numeric',
  });
  const p = Object.fromEntries(f.formatToParts(new Date(t)).map((x) => [x.type, Number(x.value)]));
  return Date.UTC(p.year!, p.month! - 1, p.day!, p.hour!, p.minute!, p.second!) - Math.floor(t / 1000) * 1000;
}

/** Epoch ms of a line's leading timestamp, or undefined when it starts with none. */
export function leadingTimestamp(line: string, timezone = 'UTC'): number | undefined {
  const m = LEADING.exec(line);
  if (!m) return undefined;
  const ms = m[7] ? Number(m[7].slice(0, 3).padEnd(3, '0')) : 0;
  const wall = Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!, ms);
  if (Number.isNaN(wall)) return undefined;
  const zone = m[8];
  if (zone === 'Z' || zone === 'UTC' || zone === 'GMT') return wall;
  if (zone) {
    const z = /^([+-])(\d{2}):?(\d{2})?$/.exec(zone)!;
    const offset = (Number(z[2]) * 60 + Number(z[3] ?? 0)) * 60_000;
    return z[1] === '+' ? wall - offset : wall + offset;
  }
  if (timezone === 'UTC') return wall;
  // Wall time in a zone: guess with the offset at the wall time, then correct once (DST edges).
  const guess = wall - zoneOffset(wall, timezone);
  return wall - zoneOffset(guess, timezone);
}
