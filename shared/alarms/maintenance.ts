/**
 * Maintenance windows (`maintenance` in the config): their schema, cross-checks against the
 * check ids, and their translation into CloudWatch alarm mute rule schedules.
 */
import { closest, joinIndex, joinKey, s, type Infer, type Issues, type SameType } from '../config/schema';
import type { MaintenanceWindow, ValidatedConfig } from '../config/types';
import { cronError, isTimeZone, unwrapCron } from '../cron';
import { ms } from '../duration';

const MIN_MS = 60_000;
const MAX_MS = 15 * 86_400_000;
/** `2026-03-01T02:00`, optional seconds, optional `Z` or `±hh:mm`. */
const START_RE = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?(Z|[+-]\d{2}:\d{2})?$/;

/** The five cron fields of a schedule, with or without a `cron(...)` wrapper; undefined when not valid cron. */
export function cronFields(schedule: string): string[] | undefined {
  return cronError(schedule) === undefined ? unwrapCron(schedule).split(' ') : undefined;
}

const windowShape = s.object({
  name: s.string({
    pattern: /^[a-z0-9](?:[a-z0-9-]{0,46}[a-z0-9])?$/,
    expected: 'a window name (lower-case letters, digits and dashes, at most 48)',
    patternHint: 'e.g. "db-upgrade"',
  }),
  schedule: s.optional(s.string({ minLength: 1 })),
  start: s.optional(s.string({ minLength: 1 })),
  duration: s.duration({ min: MIN_MS, max: MAX_MS }),
  timezone: s.optional(s.string({ minLength: 1 })),
  checks: s.optional(s.array(s.string({ minLength: 1 }), { min: 1 })),
});

// The documented type (config/types.ts) and this schema agree: a compile error otherwise.
true satisfies SameType<Infer<typeof windowShape.shape>, MaintenanceWindow>;

export const maintenanceWindowSchema = s.refine(windowShape, (w, path, issues) => {
  if ((w.schedule === undefined) === (w.start === undefined))
    issues.add(
      path,
      w.schedule === undefined ? 'needs a schedule (recurring) or a start (one-off)' : 'has both schedule and start',
      'give `schedule: "0 2 * * SUN"` for a recurring window or `start: "2026-03-01T02:00"` for a one-off one',
    );
  if (typeof w.schedule === 'string' && !cronFields(w.schedule))
    issues.add(
      joinKey(path, 'schedule'),
      `expected a cron expression with five fields, got ${JSON.stringify(w.schedule)}`,
      'minute hour day-of-month month day-of-week, e.g. "0 2 * * SUN" (Sundays 02:00)',
    );
  if (typeof w.start === 'string') {
    const m = START_RE.exec(w.start);
    if (!m || Number.isNaN(Date.parse(m[7] ? w.start : `${w.start}Z`)))
      issues.add(
        joinKey(path, 'start'),
        `expected an ISO date-time such as "2026-03-01T02:00", got ${JSON.stringify(w.start)}`,
      );
    else if (m[7] && w.timezone !== undefined)
      issues.add(
        joinKey(path, 'timezone'),
        `is set, but start ${JSON.stringify(w.start)} carries its own offset`,
        'drop the offset from start or drop timezone',
      );
  }
  if (typeof w.timezone === 'string' && !isTimeZone(w.timezone))
    issues.add(
      joinKey(path, 'timezone'),
      `unknown time zone ${JSON.stringify(w.timezone)}`,
      'use an IANA name such as "Europe/Berlin" or "UTC"',
    );
});

/** Cross-checks: window names are unique, every listed check id exists. */
export function checkMaintenance(windows: unknown, checkIds: readonly string[], issues: Issues): void {
  if (!Array.isArray(windows)) return;
  const names = new Map<string, number>();
  windows.forEach((w, i) => {
    if (!w || typeof w !== 'object') return;
    const path = joinIndex('maintenance', i);
    const { name, checks } = w as { name?: unknown; checks?: unknown };
    if (typeof name === 'string') {
      const first = names.get(name);
      if (first !== undefined)
        issues.add(
          joinKey(path, 'name'),
          `duplicate window name "${name}", also used by maintenance[${first}]`,
          'names become mute rule names and must be unique',
        );
      else names.set(name, i);
    }
    if (Array.isArray(checks))
      checks.forEach((id, j) => {
        if (typeof id === 'string' && !checkIds.includes(id)) {
          const near = closest(id, checkIds);
          issues.add(
            joinIndex(joinKey(path, 'checks'), j),
            `unknown check id "${id}"`,
            near ? `did you mean "${near}"?` : 'list ids of checks in this config',
          );
        }
      });
  });
}

export interface MuteSchedule {
  /** `cron(0 2 * * SUN)` or `at(2026-03-01T02:00)`. */
  expression: string;
  /** IANA zone the expression is read in. */
  timezone: string;
  /** How long each mute lasts, in whole minutes. */
  minutes: number;
}

/** The mute rule schedule of a validated window. */
export function muteSchedule(w: MaintenanceWindow): MuteSchedule {
  const minutes = Math.round(ms(w.duration) / MIN_MS);
  if (w.schedule !== undefined)
    return { expression: `cron(${cronFields(w.schedule)!.join(' ')})`, timezone: w.timezone ?? 'UTC', minutes };
  const m = START_RE.exec(w.start!)!;
  if (!m[7])
    return { expression: `at(${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]})`, timezone: w.timezone ?? 'UTC', minutes };
  // An explicit offset: express the instant in UTC.
  const iso = new Date(w.start!).toISOString();
  return { expression: `at(${iso.slice(0, 16)})`, timezone: 'UTC', minutes };
}

/** The ids of the enabled checks a window covers. */
export function windowCheckIds(config: Pick<ValidatedConfig, 'checks'>, w: MaintenanceWindow): string[] {
  const enabled = config.checks.filter((c) => c.enabled).map((c) => c.id);
  return w.checks ? enabled.filter((id) => w.checks!.includes(id)) : enabled;
}
