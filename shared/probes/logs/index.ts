/** The `logs` probe kind: count what the logs say over a window. See docs/kinds/logs.md. */
import { timeZoneSchema } from '../../cron';
import { joinKey, s } from '../../config/schema';
import { defineKind, type KindCheck, type RunnerPermission } from '../types';
import { runLogs } from './run';
import type { LogsCheck } from './types';

export type { LogsCheck, LogsCloudWatch, LogsFile } from './types';

const regex = s.refine(
  s.string({ minLength: 1, expected: 'a regular expression such as "ERROR|FATAL"' }),
  (v, path, issues) => {
    try {
      new RegExp(v);
    } catch (e) {
      issues.add(path, `${JSON.stringify(v)} is not a valid regular expression: ${(e as Error).message}`);
    }
  },
);

const logGroup = s.string({
  pattern: /^[\w#/.-]{1,512}$/,
  expected: 'a log group name such as "/aws/rds/instance/shop/postgresql"',
  patternHint: 'letters, digits and _ - / . # only, no wildcards',
});

/** The fields of {@link LogsCheck}, with the defaults validation applies. */
const fields = {
  window: s.duration({ min: 60_000, max: 7 * 86_400_000 }),
  cloudwatch: s.optional(
    s.object({
      region: s.optional(
        s.string({ pattern: /^[a-z]{2}(-[a-z]+)+-\d$/, expected: 'an AWS region such as "eu-central-1"' }),
      ),
      logGroups: s.array(logGroup, { min: 1, max: 50 }),
      query: s.optional(s.string({ minLength: 1 })),
      pattern: s.optional(regex),
    }),
  ),
  file: s.optional(
    s.object({
      path: s.string({ minLength: 1 }),
      pattern: regex,
      timezone: s.optional(timeZoneSchema),
    }),
  ),
};

/** A validated logs check: the fields with a default are set. */
export type ValidatedLogsCheck = KindCheck<LogsCheck, typeof fields>;

/** Counts matching log lines (a file, or Logs Insights) over a window; assertions judge the count. */
export const logsKind = defineKind<LogsCheck>()({
  kind: 'logs',
  fields,
  assertionSources: ['count', 'field', 'newestLine'],
  numericSources: ['count', 'field'],
  defaultTimeout: '30s',
  metrics: [
    // Lines (or query rows) counted in the window
    { name: 'Matches', unit: 'Count' },
  ],
  validate(check, path, issues) {
    if ((check.cloudwatch === undefined) === (check.file === undefined))
      issues.add(
        path,
        check.file === undefined ? 'needs cloudwatch or file' : 'has both cloudwatch and file',
        'cloudwatch: { logGroups: [...] } in AWS, file: { path, pattern } for a log file on this machine',
      );
    if (check.cloudwatch?.query !== undefined && check.cloudwatch.pattern !== undefined)
      issues.add(
        joinKey(joinKey(path, 'cloudwatch'), 'pattern'),
        'is not used with query',
        'put the filter in the query',
      );
  },
  target: (check) =>
    check.file
      ? `${check.file.path} /${check.file.pattern}/ over ${check.window}`
      : `${check.cloudwatch!.logGroups.join(', ')} over ${check.window}`,
  runnerPermissions(check): RunnerPermission[] {
    if (!check.cloudwatch) return [];
    const region = check.cloudwatch.region ?? '{region}';
    return [
      {
        actions: ['logs:StartQuery'],
        resources: check.cloudwatch.logGroups.map((g) => `arn:aws:logs:${region}:{account}:log-group:${g}`),
      },
      {
        actions: ['logs:GetQueryResults', 'logs:StopQuery'],
        resources: ['*'],
        why: 'Logs Insights GetQueryResults and StopQuery take a query id and have no resource-level permissions',
      },
    ];
  },
  run: runLogs,
});
