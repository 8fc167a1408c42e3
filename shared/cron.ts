/**
 * The one cron implementation: 5-field expressions (minute hour day-of-month month day-of-week)
 * read in an IANA time zone, through croner (DST gaps and repeated hours handled as cron does:
 * a time in a gap runs at the first valid time after it, a repeated time runs once). Used by
 * heartbeat `schedule` and maintenance windows.
 */
import { Cron } from 'croner';
import { s } from './config/schema';

export function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** A config field holding an IANA time zone name. */
export const timeZoneSchema = s.refine(s.string({ minLength: 1 }), (v, path, issues) => {
  if (!isTimeZone(v))
    issues.add(path, `unknown time zone ${JSON.stringify(v)}`, 'use an IANA name such as "Europe/Rome" or "UTC"');
});

/** `cron(0 2 * * SUN)` → `0 2 * * SUN` (single spaces); EventBridge users write the wrapper. */
export const unwrapCron = (expr: string): string =>
  expr
    .trim()
    .replace(/^cron\((.*)\)$/s, '$1')
    .trim()
    .split(/\s+/)
    .join(' ');

/** Why a 5-field expression is not valid cron (croner's reason, without its prefix), or undefined when it is. */
export function cronError(expr: string): string | undefined {
  try {
    new Cron(unwrapCron(expr), { paused: true, mode: '5-part' });
    return undefined;
  } catch (e) {
    return (e as Error).message.replace(/^CronPattern: /, '');
  }
}

/** A parsed schedule: the next and previous fire times around an instant. */
export interface CronSchedule {
  /** The first fire time strictly after `t` (epoch ms), or undefined when there is none. */
  next(t: number): number | undefined;
  /** The last fire time at or before `t`, or undefined. */
  previous(t: number): number | undefined;
}

/** Parses a valid expression (validated with {@link cronError} first); `timezone` @default "UTC". */
export function cronSchedule(expr: string, timezone = 'UTC'): CronSchedule {
  const cron = new Cron(unwrapCron(expr), { paused: true, mode: '5-part', timezone });
  return {
    next: (t) => cron.nextRun(new Date(t))?.getTime(),
    previous: (t) => {
      // previousRuns looks strictly before its reference: a fire exactly at t counts too.
      const [p] = cron.previousRuns(1, new Date(t + 1));
      return p?.getTime();
    },
  };
}

/**
 * The longest wait between two fire times over a year from a fixed date (so a synth is
 * deterministic): what an alarm on "time since the last run" must allow. At most `limit` fires
 * are looked at (an every-minute schedule shows its gap at once).
 */
export function longestGapMs(expr: string, timezone = 'UTC', limit = 5_000): number {
  const cron = new Cron(unwrapCron(expr), { paused: true, mode: '5-part', timezone });
  const from = Date.UTC(2026, 0, 1);
  const runs = cron.nextRuns(limit, new Date(from)).map((d) => d.getTime());
  let gap = 0;
  for (let i = 1; i < runs.length; i++) gap = Math.max(gap, runs[i]! - runs[i - 1]!);
  // One fire a year or less: a year is the gap.
  return runs.length < 2 ? 366 * 86_400_000 : gap;
}

/** `{ hh: '02:00', day: '2026-03-01' }` of an instant in a zone. */
export function zonedParts(t: number, timezone: string): { day: string; time: string } {
  const f = new Intl.DateTimeFormat('en-CA', {
    timeZone: timezone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  });
  const p = Object.fromEntries(f.formatToParts(new Date(t)).map((x) => [x.type, x.value]));
  return { day: `${p.year}-${p.month}-${p.day}`, time: `${p.hour}:${p.minute}` };
}

/**
 * An instant as on-call reads it, relative to `now` in the zone: `02:01` (today),
 * `yesterday 02:01`, or `2026-03-01 02:01`.
 */
export function zonedClock(t: number, now: number, timezone: string): string {
  const at = zonedParts(t, timezone);
  const today = zonedParts(now, timezone).day;
  if (at.day === today) return at.time;
  if (at.day === zonedParts(now - 86_400_000, timezone).day) return `yesterday ${at.time}`;
  return `${at.day} ${at.time}`;
}
