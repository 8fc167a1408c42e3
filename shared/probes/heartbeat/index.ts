/**
 * The `heartbeat` probe kind (push): jobs ping an endpoint, the check judges the stored pings.
 * See docs/kinds/heartbeat.md. Pieces: `ping-store.ts` (table layout), `endpoint.ts` (request
 * handling shared by the Lambda and the local server), `local-server.ts`, `run.ts` (judgement).
 */
import { INVALID, joinKey, s, type Schema } from '../../config/schema';
import { cronError, longestGapMs, timeZoneSchema } from '../../cron';
import { ms } from '../../duration';
import { isSecretRef, type SecretRef } from '../../types';
import { defineKind, type KindAlarm, type KindCheck } from '../types';
import { runHeartbeat } from './run';
import type { HeartbeatCheck } from './types';

export type { HeartbeatCheck } from './types';

const DAY = 86_400_000;

/**
 * `{ secret: 'name' }` only: an inline token would end up in the repository. Its length (16+)
 * can only be checked once resolved: the run fails with `TOKEN_TOO_SHORT`, the endpoint refuses pings.
 */
const tokenSchema: Schema<SecretRef> = {
  expected: 'a secret reference { secret: "name" }',
  check(v, path, issues) {
    if (typeof v === 'string') {
      issues.add(
        path,
        'must be a secret reference, not an inline token',
        'write token: { secret: "heartbeat/<id>" } and store a token of 16+ characters there, ' +
          'e.g. openssl rand -hex 16 (locally WATCHPOST_SECRET_HEARTBEAT_<ID>)',
      );
      return INVALID;
    }
    if (!isSecretRef(v)) {
      issues.add(
        path,
        `expected a secret reference { secret: "name" }, got ` +
          `${v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v}`,
      );
      return INVALID;
    }
    return s.secretOr().check(v, path, issues) as SecretRef | typeof INVALID;
  },
};

/** Seconds of an alarm period that sees at least one run: the frequency rounded up to whole minutes. */
export const alarmPeriodSeconds = (frequency: string): number => Math.max(60, Math.ceil(ms(frequency) / 60_000) * 60);

const cronSchema = s.refine(
  s.string({ minLength: 1, expected: 'a cron expression such as "0 2 * * *"' }),
  (v, path, issues) => {
    const why = cronError(v);
    if (why) issues.add(path, `${JSON.stringify(v)} is not a 5-field cron expression: ${why}`, CRON_HINT);
  },
);
const CRON_HINT = 'minute hour day-of-month month day-of-week, e.g. "0 2 * * *" (02:00 daily) or "30 6 * * MON-FRI"';

/** The fields of {@link HeartbeatCheck}, with the defaults validation applies. */
const fields = {
  period: s.optional(s.duration({ min: 1_000, max: 31 * DAY })),
  schedule: s.optional(cronSchema),
  timezone: s.optional(timeZoneSchema),
  grace: s.duration({ min: 0, max: 31 * DAY }),
  maxRuntime: s.optional(s.duration({ min: 1_000, max: 31 * DAY })),
  token: tokenSchema,
};

/** `every 1h` or `on "0 2 * * *" Europe/Rome`: when pings are due, for targets and alarms. */
export function expectedText(check: { period?: string; schedule?: string; timezone?: string }): string {
  return check.schedule !== undefined ? `on "${check.schedule}" ${check.timezone ?? 'UTC'}` : `every ${check.period}`;
}

/** A validated heartbeat check: the fields with a default are set. */
export type ValidatedHeartbeatCheck = KindCheck<HeartbeatCheck, typeof fields>;

/**
 * Push check for cron jobs: the job pings /ping/<id> (start, fail); fails when a ping is missing, the job failed or
 * ran too long.
 */
export const heartbeatKind = defineKind<HeartbeatCheck>()({
  kind: 'heartbeat',
  fields,
  // The token is the endpoint's business: a run only reads stored pings.
  runReadsSecrets: false,
  assertionSources: ['sinceLastPing', 'jobDuration', 'lastSignal', 'exitCode'],
  numericSources: ['sinceLastPing', 'jobDuration', 'exitCode'],
  // Judges the pings the endpoint stored in the results table.
  state: ['table'],
  defaultTimeout: '5s',
  metrics: [
    // Seconds since the last good ping (/ping/<id>); not published before the first one
    { name: 'SinceLastPing', unit: 'Seconds' },
    // Duration of the last run that called /start and then ended
    { name: 'JobDuration', unit: 'Milliseconds' },
  ],
  validate(check, path, issues) {
    if ((check.period === undefined) === (check.schedule === undefined))
      issues.add(
        path,
        check.period === undefined ? 'needs a period or a schedule' : 'has both period and schedule',
        'give period: "1h" for a job that runs every hour, or schedule: "0 2 * * *" (cron) for one that runs at ' +
          'set times',
      );
    if (check.timezone !== undefined && check.schedule === undefined)
      issues.add(joinKey(path, 'timezone'), 'is only read with schedule', 'remove it, or give schedule: "<cron>"');
    // It judges stored pings, not a network target: running it in N regions would only multiply cost and alarms.
    if (Array.isArray(check.regions) && check.regions.length !== 1)
      issues.add(
        joinKey(path, 'regions'),
        `a heartbeat check runs in exactly one region (it reads stored pings, it has no network target), got ` +
          `${check.regions.length}: ${check.regions.join(', ')}`,
        'set regions: ["<home region>"] on this check',
      );
  },
  target: (check) => `pings to /ping/${check.id} ${expectedText(check)} (+${check.grace} grace)`,
  alarms(check): KindAlarm[] {
    if (check.enabled === false) return [];
    // A schedule's pings are as far apart as its longest gap (a weekday job: the weekend).
    const waitMs = check.schedule !== undefined ? longestGapMs(check.schedule, check.timezone) : ms(check.period!);
    const thresholdS = (waitMs + ms(check.grace)) / 1000;
    return [
      {
        // The page's word: LATE nightly-import expected 02:00 Europe/Rome, nothing since yesterday 02:01
        name: 'late',
        metric: 'SinceLastPing',
        statistic: 'Maximum',
        comparison: 'GreaterThanThreshold',
        threshold: thresholdS,
        acrossRegions: 'max',
        severity: check.severity,
        description:
          `no ping from ${check.name} ${expectedText(check)} + ${check.grace} grace ` +
          '(or the heartbeat check stopped reporting)',
        // The page quotes the result's own reason (when the ping was expected) over the description.
        code: 'PING_MISSING',
        // No SinceLastPing at all (never pinged, or the runner stopped) must page too.
        treatMissingData: 'breaching',
        // One datapoint per run: the period must hold at least one run, or the gaps breach.
        periodSeconds: alarmPeriodSeconds(check.frequency),
      },
    ];
  },
  run: runHeartbeat,
});
