/**
 * A hung AWS dependency loses nothing: the real runner handler, with DynamoDB, CloudWatch and
 * Secrets Manager endpoints that accept connections and never answer, returns before its
 * Lambda deadline, logs every result whole as one JSON line, and sends (or tries to send) a
 * RunnerHealth of 0. Then DynamoDB Local behind a proxy switched to black-hole between two
 * passes: the first pass's results are stored, the second's are logged.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ensureTable } from '../shared/store/create-table';
import { DynamoResultStore } from '../shared/store/dynamo-store';
import { startAwsCapture, type AwsCapture } from './helpers/aws-capture';
import { startBlackHole, startSwitchableProxy, type BlackHole, type SwitchableProxy } from './helpers/black-hole';
import { startDynamoDbLocal, type DynamoDbLocal } from './helpers/dynamodb-local';

const TABLE = 'shop-watchpost-results';
const BUDGET_MS = 12_000;
let target: Server;
let targetUrl: string;

/** Every JSON line the handler writes (Powertools writes to stdout/stderr directly). */
function captureLogs() {
  const lines: Array<Record<string, any>> = [];
  const grab = (chunk: unknown) => {
    for (const l of String(chunk).split('\n')) {
      if (!l.startsWith('{')) continue;
      try {
        lines.push(JSON.parse(l));
      } catch {
        lines.push({ unparsable: l });
      }
    }
    return true;
  };
  const out = vi.spyOn(process.stdout, 'write').mockImplementation(grab as typeof process.stdout.write);
  const err = vi.spyOn(process.stderr, 'write').mockImplementation(grab as typeof process.stderr.write);
  return {
    lines,
    restore: () => {
      out.mockRestore();
      err.mockRestore();
    },
  };
}

function writeConfig(checks: unknown[]): string {
  const file = join(mkdtempSync(join(tmpdir(), 'wp-hang-')), 'watchpost.config.json');
  writeFileSync(file, JSON.stringify({ project: 'shop', homeRegion: 'eu-central-1', regions: ['us-east-1'], checks }));
  return file;
}

/** The runner handler of a fresh module (its clients read the endpoints from the environment at cold start). */
async function freshHandler(env: Record<string, string>) {
  Object.assign(process.env, {
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'fake',
    AWS_SECRET_ACCESS_KEY: 'fake',
    WATCHPOST_TABLE: TABLE,
    WATCHPOST_HOME_REGION: 'eu-central-1',
    ...env,
  });
  vi.resetModules();
  return (await import('../functions/runner/index')).handler;
}

/** Invokes like Lambda does, with BUDGET_MS left; how long it took, what it returned and logged. */
async function invoke(handler: Awaited<ReturnType<typeof freshHandler>>, tick: Date) {
  const logs = captureLogs();
  const t0 = Date.now();
  try {
    const out = await handler(
      { time: tick.toISOString() },
      { getRemainingTimeInMillis: () => BUDGET_MS - (Date.now() - t0), awsRequestId: 'test' },
    );
    return { out, elapsed: Date.now() - t0, lines: logs.lines };
  } finally {
    logs.restore();
  }
}

// A minute that has begun already: no waiting.
const minute = (back: number) => new Date(Math.floor(Date.now() / 60_000) * 60_000 - back * 60_000);
const notStored = (lines: Array<Record<string, any>>) => lines.filter((l) => l.message === 'result not stored');
const RESULT_KEYS = [
  'checkId',
  'kind',
  'region',
  'scheduledAt',
  'startedAt',
  'durationMs',
  'status',
  'attempts',
  'timings',
  'assertions',
  'metrics',
];

beforeAll(async () => {
  target = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"ok":true}');
  });
  await new Promise<void>((r) => target.listen(0, '127.0.0.1', () => r()));
  targetUrl = `http://127.0.0.1:${(target.address() as AddressInfo).port}`;
});
afterAll(async () => {
  target?.closeAllConnections();
  await new Promise((r) => target?.close(r));
});

describe('DynamoDB, CloudWatch and Secrets Manager all hang', () => {
  let ddb: BlackHole, cw: BlackHole, sm: BlackHole;
  beforeAll(async () => {
    [ddb, cw, sm] = await Promise.all([startBlackHole(), startBlackHole(), startBlackHole()]);
  });
  afterAll(async () => {
    await Promise.all([ddb?.close(), cw?.close(), sm?.close()]);
  });

  it('returns before the deadline with every result logged whole and a heartbeat of 0', async () => {
    const handler = await freshHandler({
      AWS_ENDPOINT_URL_DYNAMODB: ddb.endpoint,
      AWS_ENDPOINT_URL_CLOUDWATCH: cw.endpoint,
      AWS_ENDPOINT_URL_SECRETS_MANAGER: sm.endpoint,
      WATCHPOST_CONFIG_FILE: writeConfig([
        { id: 'api', kind: 'http', url: `${targetUrl}/api`, headers: { authorization: { secret: 'shop/api-token' } } },
        {
          id: 'home',
          kind: 'http',
          url: `${targetUrl}/`,
          assertions: [{ source: 'status', comparison: 'equals', target: 200 }],
        },
      ]),
    });
    const { out, elapsed, lines } = await invoke(handler, minute(1));

    expect(elapsed).toBeLessThan(BUDGET_MS);
    expect(out).toMatchObject({ checks: 2, written: 0, writeFailures: 2, heartbeat: 0 });
    // The calls were made: the clients did reach the hung endpoints.
    expect(ddb.connections()).toBeGreaterThan(0);
    expect(sm.requests().some((r) => r.headers['x-amz-target']?.endsWith('GetSecretValue'))).toBe(true);

    // One JSON line per result, with the whole result in it.
    const lost = notStored(lines);
    expect(lost.map((l) => l.result.checkId).sort()).toEqual(['api', 'home']);
    for (const l of lost) {
      for (const k of RESULT_KEYS) expect(l.result).toHaveProperty(k);
      expect(l.reason).toMatch(/BatchGetItem|BatchWriteItem|store/);
    }
    const api = lost.find((l) => l.result.checkId === 'api')!.result;
    expect(api).toMatchObject({
      status: 'fail',
      error: { code: 'SECRET', message: expect.stringMatching(/shop\/api-token.*Secrets Manager/) },
    });
    const home = lost.find((l) => l.result.checkId === 'home')!.result;
    expect(home).toMatchObject({ status: 'pass', assertions: [{ source: 'status', pass: true, actual: 200 }] });
    expect(lines.find((l) => l.message === 'runner pass done')).toMatchObject({ writeFailures: 2, heartbeat: 0 });

    // The heartbeat it tried to publish says 0.
    const puts = cw.requests().filter((r) => r.headers['x-amz-target']?.endsWith('PutMetricData'));
    const datums = puts.flatMap((r) => JSON.parse(r.body).MetricData as Array<{ MetricName: string; Value: number }>);
    const beats = datums.filter((d) => d.MetricName === 'RunnerHealth');
    expect(beats.length).toBeGreaterThan(0);
    for (const b of beats) expect(b.Value).toBe(0);
  }, 60_000);
});

describe('DynamoDB Local that stops answering between two passes', () => {
  let real: DynamoDbLocal;
  let home: DynamoDbLocal['client'];
  let proxy: SwitchableProxy;
  let cw: AwsCapture;
  beforeAll(async () => {
    [real, cw] = await Promise.all([startDynamoDbLocal(), startAwsCapture()]);
    // One table, in the home region (DynamoDB Local keeps each region's tables apart).
    home = real.newClient({ region: 'eu-central-1' });
    await ensureTable(home, TABLE);
    proxy = await startSwitchableProxy(Number(new URL(real.endpoint).port));
  });
  afterAll(async () => {
    await Promise.all([proxy?.close(), real?.stop(), cw?.close()]);
  });

  it('stores the results from before, logs the ones after, and the heartbeat turns 0', async () => {
    const handler = await freshHandler({
      AWS_ENDPOINT_URL_DYNAMODB: proxy.endpoint,
      AWS_ENDPOINT_URL_CLOUDWATCH: cw.endpoint,
      WATCHPOST_CONFIG_FILE: writeConfig([
        { id: 'home', kind: 'http', url: `${targetUrl}/` },
        { id: 'cart', kind: 'http', url: `${targetUrl}/cart` },
      ]),
    });
    const heartbeats = () =>
      cw
        .calls('PutMetricData')
        .flatMap((c) => c.body.MetricData as Array<{ MetricName: string; Value: number }>)
        .filter((d) => d.MetricName === 'RunnerHealth')
        .map((d) => d.Value);

    const first = minute(2);
    const before = await invoke(handler, first);
    expect(before.out).toMatchObject({ checks: 2, written: 2, writeFailures: 0, heartbeat: 1 });
    expect(notStored(before.lines)).toEqual([]);
    expect(heartbeats()).toEqual([1]);

    proxy.blackHole();
    const tick = minute(1); // fixed before the pass: the wall clock may enter a new minute during it
    const after = await invoke(handler, tick);
    expect(after.elapsed).toBeLessThan(BUDGET_MS);
    expect(after.out).toMatchObject({ checks: 2, written: 0, writeFailures: 2, heartbeat: 0 });
    const lost = notStored(after.lines);
    expect(lost.map((l) => l.result.checkId).sort()).toEqual(['cart', 'home']);
    for (const l of lost) {
      expect(l.result.scheduledAt.slice(0, 16)).toBe(tick.toISOString().slice(0, 16));
      for (const k of RESULT_KEYS) expect(l.result).toHaveProperty(k);
    }
    expect(heartbeats()).toEqual([1, 0]);

    // Straight from DynamoDB Local: the first pass is there, the second is not.
    const store = new DynamoResultStore({ client: home, tableName: TABLE, retentionMs: 86_400_000 });
    for (const id of ['home', 'cart']) {
      const history = await store.history(id, { limit: 5 });
      expect(history.map((r) => r.scheduledAt.slice(0, 16))).toEqual([first.toISOString().slice(0, 16)]);
    }
  }, 90_000);
});
