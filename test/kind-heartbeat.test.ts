/**
 * The `heartbeat` kind end to end on loopback: a job pings the real endpoint (the local ping
 * server, the same handlePing the Lambda runs) over HTTP, pings land in the embedded store
 * (dynalite), and checks run through runCheck with configs validated by parseConfig.
 */
import { execFileSync } from 'node:child_process';
import net from 'node:net';
import type { LambdaFunctionURLEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHandler } from '../functions/heartbeat/index';
import type { ValidatedCheck, ValidatedConfig } from '../shared/config/types';
import { parseConfig, validateConfig } from '../shared/config/validate';
import { handlePing, heartbeatTokens } from '../shared/probes/heartbeat/endpoint';
import { PingLimits } from '../shared/probes/heartbeat/limits';
import { startPingServer, type PingServer } from '../shared/probes/heartbeat/local-server';
import { PingStore } from '../shared/probes/heartbeat/ping-store';
import { judgeHeartbeat } from '../shared/probes/heartbeat/run';
import { registry } from '../shared/probes/registry';
import { runCheck } from '../shared/runner/run-check';
import type { SecretResolver } from '../shared/secrets';
import { ensureTable } from '../shared/store/create-table';
import { startEmbeddedStore, type EmbeddedStore } from '../shared/store/embedded';
import { startDynamoDbLocal } from './helpers/dynamodb-local';

const TOKENS: Record<string, string> = {
  'hb/nightly': 'tok-nightly-5b2c7e9a1f',
  'hb/import': 'tok-import-8d41a0c3e6',
  'hb/quick': 'tok-quick-0a9f3b7d21',
  'hb/flood': 'tok-flood-6e2d8c4b10',
  'hb/off': 'tok-off-3c5a7e9b2d',
};
const secrets: SecretResolver = async (name) => {
  const v = TOKENS[name];
  if (v === undefined) throw new Error(`no secret ${name}`);
  return v;
};

const raw = {
  project: 'test',
  homeRegion: 'eu-central-1',
  regions: ['eu-central-1'],
  checks: [
    { id: 'nightly', kind: 'heartbeat', period: '1d', grace: '1h', maxRuntime: '2h', token: { secret: 'hb/nightly' } },
    { id: 'import', kind: 'heartbeat', period: '1h', grace: '5m', maxRuntime: '1s', token: { secret: 'hb/import' } },
    { id: 'quick', kind: 'heartbeat', period: '1s', grace: '0s', token: { secret: 'hb/quick' } },
    { id: 'flood', kind: 'heartbeat', period: '1h', grace: '1m', token: { secret: 'hb/flood' } },
    { id: 'never', kind: 'heartbeat', period: '1h', grace: '1m', token: { secret: 'hb/quick' } },
    { id: 'off', kind: 'heartbeat', period: '1h', grace: '1m', token: { secret: 'hb/off' }, enabled: false },
  ],
};

let config: ValidatedConfig;
let embedded: EmbeddedStore;
let server: PingServer;
const check = (id: string): ValidatedCheck => config.checks.find((c) => c.id === id)!;
const run = (id: string, table = { client: embedded.client, tableName: embedded.tableName }) =>
  runCheck(check(id), { region: 'eu-central-1', secrets, config, state: { table } });

async function ping(path: string, token: string | undefined, init: { method?: string; body?: string } = {}) {
  const res = await fetch(`${server.url}${path}`, {
    method: init.method ?? 'POST',
    headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
    body: init.body,
  });
  return { status: res.status, text: await res.text() };
}
const sleep = (msv: number) => new Promise((r) => setTimeout(r, msv));

beforeAll(async () => {
  config = parseConfig(raw);
  embedded = await startEmbeddedStore({ inMemory: true });
  // A tight budget of accepted pings for the flood test only: the others stay well under it.
  const limits = new PingLimits({ accepted: { perMinute: 1, burst: 8 } });
  const store = { client: embedded.client, tableName: embedded.tableName };
  server = await startPingServer({ port: 0, config, ...store, secrets, limits });
});
afterAll(async () => {
  await server?.close();
  await embedded?.close();
});

describe('heartbeat config', () => {
  const diag = (c: Record<string, unknown>, top: Record<string, unknown> = {}) => {
    const r = validateConfig({ ...raw, ...top, checks: [{ id: 'job', kind: 'heartbeat', ...c }] });
    return r.ok ? [] : r.diagnostics;
  };

  it('reports every problem with its path, reason and hint', () => {
    const d = diag({ period: 60, grace: '1x', maxRuntime: '0s', token: 'inline-token', every: '1m' });
    const byPath = Object.fromEntries(d.map((x) => [x.path, x]));
    expect(Object.keys(byPath).sort()).toEqual([
      'checks[0] "job".every',
      'checks[0] "job".grace',
      'checks[0] "job".maxRuntime',
      'checks[0] "job".period',
      'checks[0] "job".token',
    ]);
    expect(byPath['checks[0] "job".period']!.hint).toMatch(/durations carry a unit/);
    expect(byPath['checks[0] "job".token']!.message).toBe('must be a secret reference, not an inline token');
    // Neither period nor schedule: said on the check, with both ways out.
    expect(diag({ grace: '1m', token: { secret: 'x' } }).map((x) => x.message)).toEqual([
      'needs a period or a schedule',
    ]);
    expect(diag({ period: '1h', grace: '1m', token: { secret: 'bad name!' } }).map((x) => x.path)).toEqual([
      'checks[0] "job".token.secret',
    ]);
  });

  it('runs in exactly one region: several are rejected on the check', () => {
    const d = diag({ period: '1h', grace: '1m', token: { secret: 'x' } }, { regions: ['eu-central-1', 'us-east-1'] });
    expect(d).toEqual([
      expect.objectContaining({
        path: 'checks[0] "job".regions',
        hint: 'set regions: ["<home region>"] on this check',
      }),
    ]);
    expect(
      diag(
        { period: '1h', grace: '1m', token: { secret: 'x' }, regions: ['eu-central-1'] },
        { regions: ['eu-central-1', 'us-east-1'] },
      ),
    ).toEqual([]);
  });

  it('alarms through the seam: SinceLastPing above period + grace, missing data breaching', () => {
    const kind = registry.get('heartbeat')!;
    expect(kind.alarms!(check('nightly'))).toEqual([
      expect.objectContaining({
        name: 'late',
        metric: 'SinceLastPing',
        statistic: 'Maximum',
        comparison: 'GreaterThanThreshold',
        threshold: 90_000,
        treatMissingData: 'breaching',
        periodSeconds: 60,
        severity: 'critical',
      }),
    ]);
    expect(kind.alarms!(check('off'))).toEqual([]);
    expect(heartbeatTokens(config)).toEqual(
      new Map([
        ['nightly', 'hb/nightly'],
        ['import', 'hb/import'],
        ['quick', 'hb/quick'],
        ['flood', 'hb/flood'],
        ['never', 'hb/quick'],
      ]),
    );
  });
});

describe('heartbeat endpoint and check', () => {
  it('a new check waits period + grace from when watching began, publishing the wait as SinceLastPing', async () => {
    const r = await run('never');
    expect(r.status).toBe('pass');
    expect(r.error).toBeUndefined();
    expect(r.details).toMatchObject({ state: 'new', watchedSince: expect.any(String), expectedBy: expect.any(String) });
    expect(Date.parse(r.details!.expectedBy as string) - Date.parse(r.details!.watchedSince as string)).toBe(3_660_000);
    // Published, so the alarm (missing data breaches) does not page right after a deploy either.
    expect(r.metrics.SinceLastPing).toBeGreaterThanOrEqual(0);
    // Watching began once: a second run keeps the first time.
    const again = await run('never');
    expect(again.details!.watchedSince).toBe(r.details!.watchedSince);
  });

  it('a good ping over HTTP makes the check pass', async () => {
    const res = await ping('/ping/nightly', TOKENS['hb/nightly']);
    expect(res.status).toBe(200);
    expect(JSON.parse(res.text)).toMatchObject({ ok: true, check: 'nightly', signal: 'success' });
    const r = await run('nightly');
    expect(r.status).toBe('pass');
    expect(r.error).toBeUndefined();
    expect(r.metrics.SinceLastPing).toBeGreaterThanOrEqual(0);
    expect(r.metrics.SinceLastPing).toBeLessThan(60);
    expect(r.details).toMatchObject({ state: 'up', lastSignal: 'success', pings: 1 });
    expect(JSON.stringify(r)).not.toContain(TOKENS['hb/nightly']);
  });

  it('wrong token, no token, unknown id, disabled check and a bad route all get the same answer', async () => {
    const answers = await Promise.all([
      ping('/ping/nightly', 'tok-nightly-wrong'),
      ping('/ping/nightly', undefined),
      ping('/ping/nightly', TOKENS['hb/import']),
      ping('/ping/no-such-check', TOKENS['hb/nightly']),
      ping('/ping/off', TOKENS['hb/off']),
      ping('/ping/nightly/finish', TOKENS['hb/nightly']),
      ping('/', undefined),
    ]);
    for (const a of answers) expect(a).toEqual({ status: 404, text: '{"error":"not found"}\n' });
    const state = await new PingStore({ client: embedded.client, tableName: embedded.tableName }).state('nightly');
    expect(state!.pings).toBe(1); // none of those was recorded
    expect(
      await new PingStore({ client: embedded.client, tableName: embedded.tableName }).state('off'),
    ).toBeUndefined();
  });

  it('start then end records the run duration (JobDuration); a body is capped and kept as an excerpt', async () => {
    const start = await ping('/ping/nightly/start', TOKENS['hb/nightly']);
    expect(start.status).toBe(200);
    const running = await run('nightly');
    expect(running.details).toMatchObject({ state: 'running' });
    await sleep(30);
    const end = await ping('/ping/nightly', TOKENS['hb/nightly'], {
      body: `exported 1200 rows\n${'x'.repeat(12_000)}`,
    });
    const durationMs = JSON.parse(end.text).durationMs as number;
    expect(durationMs).toBeGreaterThanOrEqual(30);
    const r = await run('nightly');
    expect(r.status).toBe('pass');
    expect(r.metrics.JobDuration).toBe(durationMs);
    expect(r.details).toMatchObject({ state: 'up', lastRunDurationMs: durationMs, lastRunEndedWith: 'success' });

    const events = await new PingStore({ client: embedded.client, tableName: embedded.tableName }).events('nightly', 5);
    expect(events.map((e) => e.signal)).toEqual(['success', 'start', 'success']);
    expect(events[0]).toMatchObject({ durationMs, bodyBytes: 12_019 });
    expect(events[0]!.body!.startsWith('exported 1200 rows')).toBe(true);
    expect(events[0]!.body!.length).toBe(10 * 1024);

    expect((await ping('/ping/nightly', TOKENS['hb/nightly'], { body: 'y'.repeat(17 * 1024) })).status).toBe(413);
    expect((await ping('/ping/nightly', TOKENS['hb/nightly'], { method: 'PUT' })).status).toBe(405);
    // A plain ping without a start measures nothing.
    expect(
      JSON.parse((await ping('/ping/nightly', TOKENS['hb/nightly'], { method: 'GET' })).text).durationMs,
    ).toBeUndefined();
  });

  it('a start with no end within maxRuntime fails with RUNTIME_EXCEEDED; the late end leaves it degraded', async () => {
    expect((await ping('/ping/import', TOKENS['hb/import'])).status).toBe(200);
    expect((await ping('/ping/import/start', TOKENS['hb/import'])).status).toBe(200);
    await sleep(1_200);
    const r = await run('import');
    expect(r.status).toBe('fail');
    expect(r.error).toMatchObject({ code: 'RUNTIME_EXCEEDED' });
    expect(r.error!.message).toMatch(/^import started at .* and has not finished after [\d.]+s \(maxRuntime 1s\)$/);

    expect((await ping('/ping/import', TOKENS['hb/import'])).status).toBe(200);
    const late = await run('import');
    expect(late.status).toBe('degraded');
    expect(late.details).toMatchObject({ state: 'slow' });
  });

  it('/fail fails the check with JOB_FAILED until the next good ping', async () => {
    expect((await ping('/ping/flood/fail', TOKENS['hb/flood'], { body: 'disk full' })).status).toBe(200);
    const r = await run('flood');
    expect(r.error).toMatchObject({ code: 'JOB_FAILED' });
    expect((await ping('/ping/flood', TOKENS['hb/flood'])).status).toBe(200);
    expect((await run('flood')).status).toBe('pass');
  });

  it('a missing ping after period + grace fails with PING_MISSING', async () => {
    expect((await ping('/ping/quick', TOKENS['hb/quick'])).status).toBe(200);
    await sleep(1_100);
    const r = await run('quick');
    expect(r.status).toBe('fail');
    expect(r.error).toMatchObject({ code: 'PING_MISSING' });
    expect(r.error!.message).toMatch(/^no ping from quick for [\d.]+s \(expected every 1s, 0s grace\); last ping /);
    expect(r.metrics.SinceLastPing).toBeGreaterThan(1);
  });

  it('a flood of pings for one check is throttled (429) after authentication', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) statuses.push((await ping('/ping/flood', TOKENS['hb/flood'])).status);
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(1);
    expect(statuses.filter((s) => s === 200).length).toBeLessThanOrEqual(8);
    // Unauthenticated requests do not eat the check's budget of accepted pings: still the same 404.
    expect((await ping('/ping/flood', 'nope')).status).toBe(404);
  });
});

describe('heartbeat failures are coded results inside the timeout', () => {
  it('no table in the context → INTERNAL; a missing table → STORE; a store that hangs → TIMEOUT', async () => {
    const noTable = await runCheck(check('nightly'), { region: 'eu-central-1', secrets, config });
    expect(noTable.error).toMatchObject({ code: 'INTERNAL' });

    const missing = await run('nightly', { client: embedded.client, tableName: 'no-such-table' });
    expect(missing.error).toMatchObject({ code: 'STORE' });

    const sockets = new Set<net.Socket>();
    const hang = net.createServer((s) => sockets.add(s));
    await new Promise<void>((r) => hang.listen(0, '127.0.0.1', r));
    const { DynamoDBClient } = await import('@aws-sdk/client-dynamodb');
    const client = new DynamoDBClient({
      endpoint: `http://127.0.0.1:${(hang.address() as net.AddressInfo).port}`,
      region: 'local',
      credentials: { accessKeyId: 'x', secretAccessKey: 'y' },
      maxAttempts: 1,
    });
    const c = parseConfig({ ...raw, checks: [{ ...raw.checks[0], timeout: '1s' }] }).checks[0]!;
    const hung = await runCheck(c, {
      region: 'eu-central-1',
      secrets,
      config,
      state: { table: { client, tableName: 't' } },
    });
    expect(hung.error).toMatchObject({ code: 'TIMEOUT' });
    client.destroy();
    for (const s of sockets) s.destroy();
    await new Promise((r) => hang.close(r));
  });

  it('an unreadable token secret: runs never need it (not granted); the endpoint answers the same 404', async () => {
    const broken: SecretResolver = async () => {
      throw new Error('secret store down');
    };
    const r = await runCheck(check('nightly'), {
      region: 'eu-central-1',
      secrets: broken,
      config,
      state: { table: { client: embedded.client, tableName: embedded.tableName } },
    });
    expect(r.error?.code).not.toBe('SECRET');
    expect(r.attempts).toBe(1);
    const res = await handlePing(
      { method: 'POST', path: '/ping/nightly', headers: { Authorization: `Bearer ${TOKENS['hb/nightly']}` } },
      {
        checks: heartbeatTokens(config),
        secrets: broken,
        store: { record: async () => ({ state: { checkId: 'x' } }) },
      },
    );
    expect(res).toMatchObject({ statusCode: 404, body: '{"error":"not found"}\n' });
  });

  it('a store that fails to write answers 503 (the job may retry)', async () => {
    const res = await handlePing(
      {
        method: 'POST',
        path: '/ping/nightly/start?rid=1',
        headers: { authorization: `bearer ${TOKENS['hb/nightly']}` },
      },
      {
        checks: heartbeatTokens(config),
        secrets,
        store: { record: async () => Promise.reject(new Error('throttled')) },
      },
    );
    expect(res.statusCode).toBe(503);
  });
});

describe('heartbeat Lambda adapter (function URL event)', () => {
  it('passes method, path, headers and a base64 body to the same handler and store', async () => {
    const store = new PingStore({ client: embedded.client, tableName: embedded.tableName });
    const handler = createHandler(() => ({ checks: heartbeatTokens(config), secrets, store }));
    const event = {
      rawPath: '/ping/never/fail',
      headers: { authorization: `Bearer ${TOKENS['hb/quick']}`, 'content-type': 'text/plain' },
      requestContext: { http: { method: 'POST' } },
      body: Buffer.from('exit code 3').toString('base64'),
      isBase64Encoded: true,
    } as unknown as LambdaFunctionURLEvent;
    const res = await handler(event);
    expect(res).toMatchObject({ statusCode: 200 });
    const [e] = await store.events('never', 1);
    expect(e).toMatchObject({ signal: 'fail', body: 'exit code 3', bodyBytes: 11 });
    const wrong = await handler({ ...event, headers: { authorization: 'Bearer nope' } } as LambdaFunctionURLEvent);
    expect(wrong).toMatchObject({ statusCode: 404, body: '{"error":"not found"}\n' });
  });
});

describe('judgeHeartbeat (the rules, at a given time)', () => {
  it('is late but passing within grace, and down after it', () => {
    const c = check('nightly') as any;
    const last = Date.parse('2026-03-01T02:00:00Z');
    const state = {
      checkId: 'nightly',
      lastSuccessAt: last,
      lastSignal: 'success' as const,
      lastSignalAt: last,
      pings: 5,
    };
    expect(judgeHeartbeat(c, state, last + 86_400_000 + 1_000).state).toBe('late');
    expect(judgeHeartbeat(c, state, last + 86_400_000 + 1_000).status).toBeUndefined();
    const down = judgeHeartbeat(c, state, last + 90_000_000 + 1);
    expect(down.error!.code).toBe('PING_MISSING');
    expect(down.metrics.SinceLastPing).toBe(90_000);
  });

  it('fails a check that never got a ping once period + grace have passed since watching began', () => {
    const c = check('nightly') as any;
    const since = Date.parse('2026-03-01T02:00:00Z');
    const state = { checkId: 'nightly', watchedSince: since };
    expect(judgeHeartbeat(c, state, since + 3_600_000).status).toBeUndefined();
    const missing = judgeHeartbeat(c, state, since + 90_000_000 + 1);
    expect(missing.status).toBe('fail');
    expect(missing.error).toEqual({
      code: 'PING_MISSING',
      message: expect.stringContaining('no good ping from nightly since watching began 1d 1h ago'),
    });
    expect(missing.metrics.SinceLastPing).toBe(90_000);
  });
});

const hasJava = (() => {
  try {
    execFileSync('java', ['-version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

describe.runIf(hasJava)('ping store on DynamoDB Local (the reference implementation)', () => {
  it('records start, end with duration, fail and events with the same expressions', async () => {
    const ddb = await startDynamoDbLocal();
    try {
      await ensureTable(ddb.client, 'pings');
      const store = new PingStore({ client: ddb.client, tableName: 'pings', retentionMs: 86_400_000 });
      // Recent times: DynamoDB Local applies TTL, and events expire after the retention.
      const t = Date.now() - 120_000;
      await store.record('nightly', 'start', { at: t });
      const end = await store.record('nightly', 'success', { at: t + 1_500, body: 'ok' });
      expect(end.durationMs).toBe(1_500);
      await store.record('nightly', 'fail', { at: t + 60_000 });
      expect(await store.state('nightly')).toEqual({
        checkId: 'nightly',
        lastSignal: 'fail',
        lastSignalAt: t + 60_000,
        lastSuccessAt: t + 1_500,
        lastFailAt: t + 60_000,
        lastStartAt: t,
        lastDurationMs: 1_500,
        lastRunEndedAt: t + 1_500,
        lastRunSignal: 'success',
        pings: 3,
      });
      const events = await store.events('nightly');
      expect(events.map((e) => [e.signal, e.durationMs])).toEqual([
        ['fail', undefined],
        ['success', 1_500],
        ['start', undefined],
      ]);
      const c = parseConfig({ ...raw, checks: [raw.checks[0]] }).checks[0]!;
      const r = await runCheck(c, {
        region: 'eu-central-1',
        secrets,
        state: { table: { client: ddb.client, tableName: 'pings' } },
      });
      expect(r.error).toMatchObject({ code: 'JOB_FAILED' });
    } finally {
      await ddb.stop();
    }
  }, 60_000);
});
