/**
 * Heartbeats healthchecks.io users expect: cron `schedule` in a time zone (judged at a given
 * clock: on time, late within grace, missing, DST), exit codes, `?rid=` pairing of overlapping
 * runs, and the job's output kept (redacted) and quoted in the page — over HTTP against the
 * local ping server and the embedded store.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { specsByName, incidentFromAlarm } from '../shared/notify/message';
import { formatSms } from '../shared/notify/format-sms';
import type { ValidatedCheck, ValidatedConfig } from '../shared/config/types';
import { parseConfig, validateConfig } from '../shared/config/validate';
import { startPingServer, type PingServer } from '../shared/probes/heartbeat/local-server';
import type { PingState } from '../shared/probes/heartbeat/ping-store';
import { judgeHeartbeat } from '../shared/probes/heartbeat/run';
import type { ValidatedHeartbeatCheck } from '../shared/probes/heartbeat';
import { registry } from '../shared/probes/registry';
import { runCheck } from '../shared/runner/run-check';
import { trackSecrets, type SecretResolver } from '../shared/secrets';
import { startEmbeddedStore, type EmbeddedStore } from '../shared/store/embedded';
import type { CheckResult } from '../shared/types';

const TOKEN = 'tok-cron-7f3a9c1e5b2d';
const raw = {
  project: 'test',
  homeRegion: 'eu-central-1',
  regions: ['eu-central-1'],
  checks: [
    {
      id: 'nightly-import',
      kind: 'heartbeat',
      schedule: '0 2 * * *',
      timezone: 'Europe/Rome',
      grace: '30m',
      token: { secret: 'hb/cron' },
    },
    { id: 'utc-job', kind: 'heartbeat', schedule: '30 2 * * *', grace: '15m', token: { secret: 'hb/cron' } },
    { id: 'weekdays', kind: 'heartbeat', schedule: '0 6 * * MON-FRI', grace: '1h', token: { secret: 'hb/cron' } },
    { id: 'batch', kind: 'heartbeat', period: '1h', grace: '5m', maxRuntime: '1h', token: { secret: 'hb/cron' } },
  ],
};
const config: ValidatedConfig = parseConfig(raw);
const check = (id: string) => config.checks.find((c) => c.id === id) as unknown as ValidatedHeartbeatCheck;
const at = (iso: string) => Date.parse(iso);
const pinged = (iso: string, extra: Partial<PingState> = {}): PingState => ({
  checkId: 'x',
  watchedSince: at('2026-01-01T00:00:00Z'),
  lastSuccessAt: at(iso),
  ...extra,
});

describe('heartbeat schedule: cron in a time zone, at a given clock', () => {
  const job = check('nightly-import');

  it('is up after its run, late but passing within grace, and PING_MISSING after it with when it was expected', () => {
    // Ran yesterday at 02:01 Rome (01:01Z in winter); the next run is due today 02:00 Rome = 01:00Z.
    const state = pinged('2026-02-10T01:01:00Z');
    expect(judgeHeartbeat(job, state, at('2026-02-11T00:30:00Z'))).toMatchObject({ state: 'up' });
    const late = judgeHeartbeat(job, state, at('2026-02-11T01:20:00Z'));
    expect(late).toMatchObject({ state: 'late' });
    expect(late.error).toBeUndefined();
    expect(late.details).toMatchObject({
      schedule: '0 2 * * *',
      timezone: 'Europe/Rome',
      expectedAt: '2026-02-11T01:00:00.000Z',
      expectedBy: '2026-02-11T01:30:00.000Z',
    });
    const missing = judgeHeartbeat(job, state, at('2026-02-11T01:31:00Z'));
    expect(missing.status).toBe('fail');
    expect(missing.error).toEqual({
      code: 'PING_MISSING',
      message: 'expected 02:00 Europe/Rome, nothing since yesterday 02:01',
    });
    // The run of today arrived in time: up again until tomorrow's.
    expect(judgeHeartbeat(job, pinged('2026-02-11T01:05:00Z'), at('2026-02-11T12:00:00Z')).state).toBe('up');
  });

  it('follows daylight saving time: 02:00 Rome is 00:00Z in summer, and the clock change moves nothing', () => {
    const summer = pinged('2026-07-01T00:02:00Z');
    expect(judgeHeartbeat(job, summer, at('2026-07-02T00:29:00Z')).state).toBe('late');
    expect(judgeHeartbeat(job, summer, at('2026-07-02T00:31:00Z')).error?.message).toBe(
      'expected 02:00 Europe/Rome, nothing since yesterday 02:02',
    );
    // 29 March 2026: 02:00 does not exist in Rome (clocks go 02:00 → 03:00): the run is due at 03:00 CEST.
    const beforeGap = pinged('2026-03-28T01:01:00Z');
    const j = judgeHeartbeat(job, beforeGap, at('2026-03-29T01:31:00Z'));
    expect(j.details.expectedAt).toBe('2026-03-29T01:00:00.000Z');
    expect(j.error?.message).toBe('expected 03:00 Europe/Rome, nothing since yesterday 02:01');
    // 25 October 2026: 02:00 happens twice in Rome: one run is due, at the first 02:00 (00:00Z).
    const beforeFold = pinged('2026-10-24T00:01:00Z');
    expect(judgeHeartbeat(job, beforeFold, at('2026-10-25T00:10:00Z')).details.expectedAt).toBe(
      '2026-10-25T00:00:00.000Z',
    );
    expect(judgeHeartbeat(job, pinged('2026-10-25T00:02:00Z'), at('2026-10-25T01:45:00Z')).state).toBe('up');
  });

  it('reads the schedule in UTC by default, and a weekday job is not missed at the weekend', () => {
    const utc = check('utc-job');
    expect(judgeHeartbeat(utc, pinged('2026-02-10T02:31:00Z'), at('2026-02-11T02:46:00Z')).error?.message).toBe(
      'expected 02:30 UTC, nothing since yesterday 02:31',
    );
    // Friday's run at 06:00Z; Saturday and Sunday have none; Monday's is due at 06:00.
    const weekdays = check('weekdays');
    const friday = pinged('2026-02-13T06:03:00Z');
    expect(judgeHeartbeat(weekdays, friday, at('2026-02-15T23:00:00Z')).state).toBe('up');
    expect(judgeHeartbeat(weekdays, friday, at('2026-02-16T07:01:00Z')).error?.message).toBe(
      'expected 06:00 UTC, nothing since 2026-02-13 06:03',
    );
  });

  it('a new check waits for the first fire time after it began watching, plus grace', () => {
    const fresh: PingState = { checkId: 'x', watchedSince: at('2026-02-10T20:00:00Z') };
    expect(judgeHeartbeat(job, fresh, at('2026-02-11T01:29:00Z')).state).toBe('new');
    expect(judgeHeartbeat(job, fresh, at('2026-02-11T01:31:00Z')).error?.message).toBe(
      'expected 02:00 Europe/Rome, no good ping yet (watching since yesterday 21:00)',
    );
  });

  it('validates schedule and timezone with their paths, and says which of period or schedule to give', () => {
    const diag = (c: Record<string, unknown>) => {
      const r = validateConfig({ ...raw, checks: [{ id: 'job', kind: 'heartbeat', token: { secret: 'x' }, ...c }] });
      return r.ok ? [] : r.diagnostics.map((d) => `${d.path}: ${d.message}`);
    };
    expect(diag({ schedule: '0 25 * * *', grace: '1m' })).toEqual([
      'checks[0] "job".schedule: "0 25 * * *" is not a 5-field cron expression: Invalid value for hour: 25',
    ]);
    expect(diag({ schedule: '0 2 * * * *', grace: '1m' })[0]).toMatch(/schedule: .*requires exactly 5 parts/);
    expect(diag({ schedule: '0 2 * * *', timezone: 'Europe/Atlantis', grace: '1m' })).toEqual([
      'checks[0] "job".timezone: unknown time zone "Europe/Atlantis"',
    ]);
    expect(diag({ schedule: '0 2 * * *', period: '1d', grace: '1m' })).toEqual([
      'checks[0] "job": has both period and schedule',
    ]);
    expect(diag({ period: '1d', timezone: 'UTC', grace: '1m' })).toEqual([
      'checks[0] "job".timezone: is only read with schedule',
    ]);
    expect(diag({ schedule: 'cron(0 2 * * SUN)', timezone: 'America/New_York', grace: '1m' })).toEqual([]);
  });

  it('the LATE alarm allows the longest gap of the schedule, and the page says when the run was expected', () => {
    const kind = registry.get('heartbeat')!;
    const [daily] = kind.alarms!(check('nightly-import') as never);
    // 24 h between runs, 25 h across the autumn clock change, plus 30 min grace.
    expect(daily).toMatchObject({ name: 'late', code: 'PING_MISSING', threshold: 25.5 * 3600 });
    expect(kind.alarms!(check('weekdays') as never)[0]!.threshold).toBe(3 * 86_400 + 3600);
    expect(kind.target(check('nightly-import') as never)).toBe(
      'pings to /ping/nightly-import on "0 2 * * *" Europe/Rome (+30m grace)',
    );

    const spec = [...specsByName(config).values()].find((s) => s.key === 'kind:nightly-import:late')!;
    const result: CheckResult = {
      checkId: 'nightly-import',
      kind: 'heartbeat',
      region: 'eu-central-1',
      scheduledAt: '2026-02-11T01:31:00.000Z',
      startedAt: '2026-02-11T01:31:00.000Z',
      durationMs: 3,
      status: 'fail',
      attempts: 1,
      error: judgeHeartbeat(check('nightly-import'), pinged('2026-02-10T01:01:00Z'), at('2026-02-11T01:31:00Z')).error!,
      timings: { total: 3 },
      assertions: [],
      metrics: {},
    };
    const incident = incidentFromAlarm({
      config,
      spec,
      change: { name: spec.name, state: 'ALARM', at: '2026-02-11T01:32:00.000Z' },
      latest: [
        {
          checkId: 'nightly-import',
          region: 'eu-central-1',
          status: 'fail',
          since: result.scheduledAt,
          consecutiveFailures: 1,
          lastScheduledAt: result.scheduledAt,
          lastResult: result,
        },
      ],
    });
    expect(formatSms(incident)).toMatch(
      /^LATE nightly-import eu-central-1 expected 02:00 Europe\/Rome, nothing since yesterday 02:01 since 01:32Z/,
    );
  });
});

describe('exit codes, run ids and output over HTTP', () => {
  let embedded: EmbeddedStore;
  let server: PingServer;
  // Like the Lambda's and dev's resolvers: every token read joins the redaction set.
  const secrets: SecretResolver = trackSecrets(async () => TOKEN);
  const run = (id: string) =>
    runCheck(config.checks.find((c) => c.id === id) as ValidatedCheck, {
      region: 'eu-central-1',
      secrets,
      config,
      state: { table: { client: embedded.client, tableName: embedded.tableName } },
    });
  const ping = async (path: string, body?: string) => {
    const res = await fetch(`${server.url}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}` },
      body,
    });
    return { status: res.status, json: (await res.json()) as Record<string, unknown> };
  };
  const sleep = (msv: number) => new Promise((r) => setTimeout(r, msv));

  beforeAll(async () => {
    embedded = await startEmbeddedStore({ inMemory: true });
    server = await startPingServer({
      config,
      client: embedded.client,
      tableName: embedded.tableName,
      secrets,
      limits: false,
    });
  });
  afterAll(async () => {
    await server?.close();
    await embedded?.close();
  });

  it('0 is success, 1–255 fail the check with that code and the output quoted (redacted); 256 is refused', async () => {
    expect((await ping('/ping/batch/0')).json).toMatchObject({ ok: true, signal: 'success', exitCode: 0 });
    expect((await run('batch')).status).toBe('pass');

    const output = `import started\nrows: 1200\nERROR: connection to erp refused (token ${TOKEN})\n`;
    const failed = await ping('/ping/batch/3', output);
    expect(failed.json).toMatchObject({ ok: true, signal: 'fail', exitCode: 3 });
    const r = await run('batch');
    expect(r.status).toBe('fail');
    expect(r.error!.code).toBe('JOB_FAILED');
    expect(r.error!.message).toMatch(
      new RegExp(
        /^batch exited with code 3 at .*; last output: /.source +
          /import started rows: 1200 ERROR: connection to erp refused \(token \*\*\*\)$/.source,
      ),
    );
    expect(r.details).toMatchObject({ exitCode: 3, lastOutput: output.replace(TOKEN, '***') });
    expect(JSON.stringify(r)).not.toContain(TOKEN);

    expect((await ping('/ping/batch/256')).status).toBe(400);
    // The next good ping clears the failure, its code and the old output.
    await ping('/ping/batch');
    const ok = await run('batch');
    expect(ok.status).toBe('pass');
    expect(ok.details).not.toHaveProperty('exitCode');
    expect(ok.details).not.toHaveProperty('lastOutput');
  });

  it('keeps the first 10 KiB of a long output, and quotes its end in the page', async () => {
    const long = `${'progress line\n'.repeat(1000)}FATAL: disk full`;
    await ping('/ping/batch/fail', long);
    const r = await run('batch');
    expect((r.details!.lastOutput as string).length).toBe(10 * 1024);
    expect(r.error!.message.length).toBeLessThan(500);
    // The output was cut at 10 KiB: its end is quoted, and said to be cut.
    expect(r.error!.message).toMatch(/; last output: …(progress line ?)+progre… \(cut at 10 KiB of 14 KiB\)$/);
    await ping('/ping/batch');
  });

  it('?rid= pairs each start with its own end, so overlapping runs are timed right', async () => {
    expect((await ping('/ping/batch/start?rid=5b1f0c2e-aaaa-4bbb-8ccc-000000000001')).status).toBe(200);
    await sleep(120);
    expect((await ping('/ping/batch/start?rid=5b1f0c2e-aaaa-4bbb-8ccc-000000000002')).status).toBe(200);
    const running = await run('batch');
    expect(running.details).toMatchObject({ state: 'running', openRuns: 2 });
    await sleep(30);
    // The second run ends first: timed from its own start, not from the latest one.
    const second = await ping('/ping/batch/0?rid=5b1f0c2e-aaaa-4bbb-8ccc-000000000002');
    const first = await ping('/ping/batch?rid=5b1f0c2e-aaaa-4bbb-8ccc-000000000001');
    expect(second.json.durationMs as number).toBeGreaterThanOrEqual(30);
    expect(second.json.durationMs as number).toBeLessThan(first.json.durationMs as number);
    expect(first.json.durationMs as number).toBeGreaterThanOrEqual(150);
    const r = await run('batch');
    expect(r.details).toMatchObject({ state: 'up' });
    expect(r.details).not.toHaveProperty('openRuns');
    expect((await ping('/ping/batch?rid=has%20spaces')).status).toBe(400);
  });

  it('a run with a rid that never ends fails with RUNTIME_EXCEEDED naming the run', () => {
    const state: PingState = { checkId: 'batch', lastSuccessAt: at('2026-02-11T10:00:00Z'), openRuns: 1 };
    const j = judgeHeartbeat(check('batch'), state, at('2026-02-11T10:30:00Z'), [
      { rid: 'run-42', startAt: at('2026-02-11T09:20:00Z') },
    ]);
    expect(j.error).toMatchObject({ code: 'RUNTIME_EXCEEDED' });
    expect(j.error!.message).toMatch(
      /^batch \(run run-42\) started at 2026-02-11T09:20:00.000Z and has not finished after 1h 10m \(maxRuntime 1h\)$/,
    );
  });
});
