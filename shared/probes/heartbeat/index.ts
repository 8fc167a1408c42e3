/**
 * The `heartbeat` probe kind (push): jobs ping an endpoint, the check judges the stored pings.
 * See docs/kinds/heartbeat.md. Pieces: `ping-store.ts` (table layout), `endpoint.ts` (request
 * handling shared by the Lambda and the local server), `local-server.ts`, `run.ts` (judgement).
 */
import { INVALID, joinKey, s, type Schema } from '../../config/schema';
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
        `expected a secret reference { secret: "name" }, ` +
          `got ${v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v}`,
      );
      return INVALID;
    }
    return s.secretOr().check(v, path, issues) as SecretRef | typeof INVALID;
  },
};

/** Seconds of an alarm period that sees at least one run: the frequency rounded up to whole minutes. */
export const alarmPeriodSeconds = (frequency: string): number => Math.max(60, Math.ceil(ms(frequency) / 60_000) * 60);

/** The fields of {@link HeartbeatCheck}, with the defaults validation applies. */
const fields = {
  period: s.duration({ min: 1_000, max: 31 * DAY }),
  grace: s.duration({ min: 0, max: 31 * DAY }),
  maxRuntime: s.optional(s.duration({ min: 1_000, max: 31 * DAY })),
  token: tokenSchema,
};

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
  assertionSources: ['sinceLastPing', 'jobDuration', 'lastSignal'],
  numericSources: ['sinceLastPing', 'jobDuration'],
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
    // It judges stored pings, not a network target: running it in N regions would only multiply cost and alarms.
    if (Array.isArray(check.regions) && check.regions.length !== 1)
      issues.add(
        joinKey(path, 'regions'),
        `a heartbeat check runs in exactly one region (it reads stored pings, it has no network target), ` +
          `got ${check.regions.length}: ${check.regions.join(', ')}`,
        'set regions: ["<home region>"] on this check',
      );
  },
  target: (check) => `pings to /ping/${check.id} every ${check.period} (+${check.grace} grace)`,
  alarms(check): KindAlarm[] {
    if (check.enabled === false) return [];
    const thresholdS = (ms(check.period) + ms(check.grace)) / 1000;
    return [
      {
        name: 'heartbeat',
        metric: 'SinceLastPing',
        statistic: 'Maximum',
        comparison: 'GreaterThanThreshold',
        threshold: thresholdS,
        acrossRegions: 'max',
        severity: check.severity,
        description:
          `no ping from ${check.name} within ${check.period} + ${check.grace} grace (or the heartbeat ` +
          `check stopped reporting)`,
        // No SinceLastPing at all (never pinged, or the runner stopped) must page too.
        treatMissingData: 'breaching',
        // One datapoint per run: the period must hold at least one run, or the gaps breach.
        periodSeconds: alarmPeriodSeconds(check.frequency),
      },
    ];
  },
  run: runHeartbeat,
});
