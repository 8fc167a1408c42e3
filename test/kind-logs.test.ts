/**
 * The `logs` kind: `file` against real log files (PostgreSQL, MySQL and ISO timestamps, zones,
 * a large file read from its end), `cloudwatch` against a capture server speaking the CloudWatch
 * Logs JSON protocol (what goes over the wire: query, time range, log groups; polling; StopQuery
 * on timeout), and the runner's IAM scoped to the log groups.
 */
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildWatchpost } from '../infra/watchpost-app';
import type { ValidatedCheck } from '../shared/config/types';
import { parseConfig, validateConfig } from '../shared/config/validate';
import { resetLogsClients } from '../shared/probes/logs/cloudwatch';
import { countFileLines } from '../shared/probes/logs/file';
import { leadingTimestamp } from '../shared/probes/logs/timestamp';
import { runCheck } from '../shared/runner/run-check';
import { startAwsCapture, type AwsCapture } from './helpers/aws-capture';

const base = { project: 'test', homeRegion: 'eu-central-1', regions: ['eu-central-1'] };
const noSecrets = async (name: string) => Promise.reject(new Error(`no secret ${name}`));
const runLogs = (check: Record<string, unknown>) => {
  const config = parseConfig({ ...base, checks: [{ id: 'logs', kind: 'logs', window: '5m', ...check }] });
  return runCheck(config.checks[0] as ValidatedCheck, { region: 'eu-central-1', secrets: noSecrets, config });
};

/** `2026-03-01 02:00:00.123 UTC` as PostgreSQL writes it, `minutesAgo` before now. */
const pgTime = (minutesAgo: number) =>
  `${new Date(Date.now() - minutesAgo * 60_000).toISOString().replace('T', ' ').slice(0, 23)} UTC`;

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'watchpost-logs-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('leading timestamps as databases write them', () => {
  it('reads ISO 8601, PostgreSQL and MySQL forms with their zones, and zoneless ones in the given zone', () => {
    const t = Date.parse('2026-03-01T01:00:00.123Z');
    expect(leadingTimestamp('2026-03-01T01:00:00.123Z 0 [Warning] [MY-010055] mysqld')).toBe(t);
    expect(leadingTimestamp('2026-03-01T02:00:00.123+01:00 INFO started')).toBe(t);
    expect(leadingTimestamp('2026-03-01 01:00:00.123 UTC [4242] ERROR:  deadlock detected')).toBe(t);
    expect(leadingTimestamp('2026-03-01 01:00:00.123 GMT [4242] LOG:  checkpoint')).toBe(t);
    expect(leadingTimestamp('2026-03-01 02:00:00.123 +0100 [4242] LOG: x')).toBe(t);
    expect(leadingTimestamp('[2026-03-01 01:00:00,123] ERROR app')).toBe(t);
    // MySQL 5.7 writes local time without a zone: read in the file's timezone (CET in winter, CEST in summer).
    expect(leadingTimestamp('2026-03-01 02:00:00 12345 [ERROR] x', 'Europe/Rome')).toBe(
      Date.parse('2026-03-01T01:00:00Z'),
    );
    expect(leadingTimestamp('2026-07-01 02:00:00 12345 [ERROR] x', 'Europe/Rome')).toBe(
      Date.parse('2026-07-01T00:00:00Z'),
    );
    expect(leadingTimestamp('\tat org.postgresql.Driver.connect(Driver.java:1)')).toBeUndefined();
    expect(leadingTimestamp('ERROR 2026-03-01 01:00:00 not leading')).toBeUndefined();
  });
});

describe('logs in a file', () => {
  it('counts matching lines inside the window, quotes the newest (redacted) when a count assertion fails', async () => {
    const path = join(dir, 'postgresql.log');
    writeFileSync(
      path,
      [
        `${pgTime(30)} [11] ERROR:  relation "carts" does not exist`,
        `${pgTime(4)} [12] LOG:  checkpoint starting: time`,
        `${pgTime(3)} [13] ERROR:  deadlock detected`,
        '\tDETAIL:  Process 13 waits for ShareLock; ERROR continuation is not a line of its own',
        `${pgTime(2)} [14] FATAL:  password authentication failed for user "shop"`,
        `${pgTime(1)} [15] ERROR:  duplicate key value violates unique constraint "orders_pkey"`,
      ].join('\n'),
    );
    const r = await runLogs({
      file: { path, pattern: 'ERROR|FATAL' },
      assertions: [{ source: 'count', comparison: 'lessThan', target: 3 }],
    });
    expect(r.status).toBe('fail');
    expect(r.metrics).toEqual({ Matches: 3 });
    expect(r.details).toMatchObject({ count: 3, path });
    expect(r.error!.code).toBe('ASSERTION');
    expect(r.error!.message).toMatch(
      new RegExp(
        /^assertion failed: count lessThan 3, got 3; newest: .* /.source +
          /\[15\] ERROR: duplicate key value violates unique constraint "orders_pkey"$/.source,
      ),
    );
    const ok = await runLogs({
      file: { path, pattern: 'deadlock' },
      assertions: [{ source: 'count', comparison: 'equals', target: 1 }],
    });
    expect(ok.status).toBe('pass');
    expect(ok.details!.newestLine).toMatch(/deadlock detected$/);
  });

  it('reads only the end of a large file: a 20 MB log costs the window, not the file', async () => {
    const path = join(dir, 'big.log');
    const old = `${pgTime(120)} [1] ERROR:  old noise ${'x'.repeat(200)}\n`;
    writeFileSync(path, old.repeat(Math.ceil((20 * 1024 * 1024) / old.length)));
    appendFileSync(path, `${pgTime(1)} [2] ERROR:  fresh\n${pgTime(0.5)} [3] LOG:  fine\n`);
    const now = Date.now();
    const r = await countFileLines(path, /ERROR/, { from: now - 5 * 60_000, to: now });
    expect(r.count).toBe(1);
    expect(r.newest).toMatch(/ERROR: {2}fresh$/);
    expect(r.size).toBeGreaterThan(20 * 1024 * 1024);
    expect(r.bytesRead).toBeLessThanOrEqual(64 * 1024);
    expect(r.truncated).toBe(false);
  });

  it('a missing file or a directory is a coded failure naming the path', async () => {
    const missing = await runLogs({ file: { path: join(dir, 'nope.log'), pattern: 'ERROR' } });
    expect(missing.error).toEqual({ code: 'FILE_NOT_FOUND', message: `${join(dir, 'nope.log')} does not exist` });
    expect((await runLogs({ file: { path: dir, pattern: 'ERROR' } })).error?.code).toBe('FILE_UNREADABLE');
  });

  it('validates the source, the pattern, the window and the zone with paths', () => {
    const diag = (c: Record<string, unknown>) => {
      const r = validateConfig({ ...base, checks: [{ id: 'l', kind: 'logs', window: '5m', ...c }] });
      return r.ok ? [] : r.diagnostics.map((d) => `${d.path}: ${d.message}`);
    };
    expect(diag({})).toEqual(['checks[0] "l": needs cloudwatch or file']);
    expect(diag({ file: { path: '/x', pattern: '(' } })[0]).toMatch(
      /^checks\[0\] "l"\.file\.pattern: "\(" is not a valid regular expression/,
    );
    expect(diag({ file: { path: '/x', pattern: 'E', timezone: 'Mars/Base' } })).toEqual([
      'checks[0] "l".file.timezone: unknown time zone "Mars/Base"',
    ]);
    expect(diag({ window: '10s', file: { path: '/x', pattern: 'E' } })[0]).toMatch(/^checks\[0\] "l"\.window: /);
    expect(diag({ cloudwatch: { logGroups: ['/app/*'] } })[0]).toMatch(
      /^checks\[0\] "l"\.cloudwatch\.logGroups\[0\]: /,
    );
    expect(diag({ cloudwatch: { logGroups: ['/app'], query: 'stats count(*)', pattern: 'E' } })).toEqual([
      'checks[0] "l".cloudwatch.pattern: is not used with query',
    ]);
  });
});

describe('logs in CloudWatch (capture server speaking the CloudWatch Logs JSON protocol)', () => {
  let cap: AwsCapture;
  const saved: Record<string, string | undefined> = {};
  const envs = (endpoint: string) => ({
    AWS_ACCESS_KEY_ID: 'AKIDWATCHPOSTTEST',
    AWS_SECRET_ACCESS_KEY: 'test-secret-key',
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_ENDPOINT_URL_CLOUDWATCH_LOGS: endpoint,
  });
  const cw = (extra: Record<string, unknown> = {}) => ({
    cloudwatch: { logGroups: ['/aws/rds/instance/shop/postgresql', '/app/api'], pattern: 'ERROR|FATAL', ...extra },
  });

  beforeAll(async () => {
    cap = await startAwsCapture();
    for (const [k, v] of Object.entries(envs(cap.endpoint))) {
      saved[k] = process.env[k];
      process.env[k] = v;
    }
    resetLogsClients();
  });
  afterAll(async () => {
    resetLogsClients();
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    await cap.close();
  });

  it('starts the query over the window and log groups, polls until Complete, exposes count and fields', async () => {
    cap.reset();
    cap.respond('StartQuery', { queryId: 'q-1' });
    let polls = 0;
    cap.respond('GetQueryResults', () =>
      ++polls < 3
        ? { status: 'Running', results: [] }
        : {
            status: 'Complete',
            statistics: { recordsScanned: 5000, bytesScanned: 1e6, recordsMatched: 14 },
            results: [
              [
                { field: 'count', value: '14' },
                { field: 'newest', value: '2026-03-01 02:00:00 UTC [15] ERROR:  deadlock detected' },
              ],
            ],
          },
    );
    const before = Math.floor(Date.now() / 1000);
    const r = await runLogs({
      ...cw(),
      window: '15m',
      assertions: [{ source: 'count', comparison: 'lessThan', target: 10 }],
    });
    const after = Math.ceil(Date.now() / 1000);
    const [start] = cap.calls('StartQuery');
    expect(start!.target).toBe('Logs_20140328.StartQuery');
    expect(start!.headers['content-type']).toBe('application/x-amz-json-1.1');
    expect(start!.body).toEqual({
      logGroupNames: ['/aws/rds/instance/shop/postgresql', '/app/api'],
      queryString: 'filter @message like /ERROR|FATAL/ | stats count(*) as count, latest(@message) as newest',
      startTime: expect.any(Number),
      endTime: expect.any(Number),
    });
    expect(start!.body.endTime - start!.body.startTime).toBeGreaterThanOrEqual(15 * 60);
    expect(start!.body.endTime - start!.body.startTime).toBeLessThanOrEqual(15 * 60 + 1);
    expect(start!.body.endTime).toBeGreaterThanOrEqual(before);
    expect(start!.body.endTime).toBeLessThanOrEqual(after);
    expect(cap.calls('GetQueryResults').map((c) => c.body)).toEqual([
      { queryId: 'q-1' },
      { queryId: 'q-1' },
      { queryId: 'q-1' },
    ]);
    expect(cap.calls('StopQuery')).toEqual([]);
    expect(r.status).toBe('fail');
    expect(r.metrics).toEqual({ Matches: 14 });
    expect(r.error!.message).toBe(
      'assertion failed: count lessThan 10, got 14; newest: 2026-03-01 02:00:00 UTC [15] ERROR: deadlock detected',
    );
  });

  it('a query of your own: its numeric fields are sources, count is the row count without a count field', async () => {
    cap.reset();
    cap.respond('StartQuery', { queryId: 'q-2' });
    cap.respond('GetQueryResults', {
      status: 'Complete',
      results: [
        [
          { field: 'p95', value: '812.5' },
          { field: 'status', value: '500' },
        ],
        [{ field: 'p95', value: '10' }],
      ],
    });
    const query = 'filter status >= 500 | stats pct(duration, 95) as p95 by status';
    const r = await runLogs({
      ...cw({ query, pattern: undefined }),
      assertions: [
        { source: 'field', property: 'p95', comparison: 'lessThan', target: 1000 },
        { source: 'count', comparison: 'equals', target: 2 },
      ],
    });
    expect(cap.calls('StartQuery')[0]!.body.queryString).toBe(query);
    expect(r.status).toBe('pass');
    expect(r.details).toMatchObject({ fields: { p95: 812.5, status: 500 }, rows: 2, queryId: 'q-2' });
  });

  it('stops the query when the deadline comes first, and fails with TIMEOUT', async () => {
    cap.reset();
    cap.respond('StartQuery', { queryId: 'q-slow' });
    cap.respond('GetQueryResults', { status: 'Running', results: [] });
    const r = await runLogs({ ...cw(), timeout: '1500ms' });
    expect(r.error?.code).toBe('TIMEOUT');
    expect(cap.calls('StopQuery').map((c) => c.body)).toEqual([{ queryId: 'q-slow' }]);
  });

  it('a failed query and a service error are coded results', async () => {
    cap.reset();
    cap.respond('StartQuery', { queryId: 'q-3' });
    cap.respond('GetQueryResults', { status: 'Failed' });
    expect((await runLogs(cw())).error?.code).toBe('QUERY_FAILED');
    cap.failNext(Number.POSITIVE_INFINITY, 'invalid');
    const r = await runLogs(cw());
    cap.failNext(0);
    expect(r.error?.code).toBe('HTTP_STATUS');
    expect(r.error?.message).toMatch(
      /StartQuery for \/aws\/rds\/instance\/shop\/postgresql, \/app\/api in eu-central-1 failed/,
    );
  });
});

describe('logs IAM (CDK)', () => {
  it('the runner may start queries on exactly the check log groups in its region; results by query id', () => {
    const config = parseConfig({
      project: 'shop',
      homeRegion: 'eu-central-1',
      regions: ['eu-central-1', 'us-east-1'],
      checks: [
        {
          id: 'db-errors',
          kind: 'logs',
          window: '5m',
          cloudwatch: { logGroups: ['/aws/rds/instance/shop/postgresql'] },
          regions: ['eu-central-1'],
        },
        { id: 'api-errors', kind: 'logs', window: '5m', cloudwatch: { region: 'eu-west-1', logGroups: ['/app/api'] } },
      ],
    });
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const stacks = buildWatchpost(app, config, { account: '123456789012' });
    app.synth();
    const statementsOf = (region: string) =>
      Object.values(
        Template.fromStack(stacks.probes.get(region)!).findResources('AWS::IAM::Policy', {
          Properties: { Roles: [{ Ref: Match.stringLikeRegexp('^RunnerRole') }] },
        }),
      ).flatMap((p: any) => p.Properties.PolicyDocument.Statement);
    const eu = JSON.stringify(statementsOf('eu-central-1'));
    expect(eu).toContain('logs:StartQuery');
    expect(eu).toContain(':logs:eu-central-1:');
    expect(eu).toContain(':log-group:/aws/rds/instance/shop/postgresql"');
    expect(eu).toContain(':logs:eu-west-1:');
    expect(eu).toContain(':log-group:/app/api"');
    expect(statementsOf('eu-central-1')).toContainEqual({
      Action: ['logs:GetQueryResults', 'logs:StopQuery'],
      Effect: 'Allow',
      Resource: '*',
    });
    // The us-east-1 runner does not run db-errors: it may not query its log group.
    const us = JSON.stringify(statementsOf('us-east-1'));
    expect(us).not.toContain('/aws/rds/instance/shop/postgresql');
    expect(us).toContain(':log-group:/app/api"');
    // No wildcard in a log group's ARN: exactly the named groups.
    expect(`${eu}${us}`).not.toMatch(/log-group:[^"]*\*/);
  }, 120_000);
});
