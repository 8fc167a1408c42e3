/**
 * The runner Lambda handler end to end, as AWS would invoke it: config read from the bundled
 * file, results written to AWS's DynamoDB Local, metrics and secret reads checked as they go
 * over the wire (no local CloudWatch / Secrets Manager exists).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ensureTable } from '../shared/store/create-table';
import { DynamoResultStore } from '../shared/store/dynamo-store';
import { startAwsCapture, type AwsCapture } from './helpers/aws-capture';
import { startDynamoDbLocal, type DynamoDbLocal } from './helpers/dynamodb-local';

let ddb: DynamoDbLocal;
let homeDb: DynamoDbLocal['client'];
let cw: AwsCapture;
let sm: AwsCapture;
let target: Server;
let seenAuth: string | undefined;
const TOKEN = 's3cr3t-token-value';

beforeAll(async () => {
  [ddb, cw, sm] = await Promise.all([startDynamoDbLocal(), startAwsCapture(), startAwsCapture()]);
  // One table, in the home region (DynamoDB Local keeps each region's tables apart).
  homeDb = ddb.newClient({ region: 'eu-central-1' });
  await ensureTable(homeDb, 'shop-watchpost-results');
  sm.respond('GetSecretValue', { Name: 'shop/api-token', SecretString: TOKEN });
  target = createServer((req, res) => {
    seenAuth = req.headers.authorization;
    if (req.url === '/down') {
      res.writeHead(503);
      return res.end(`upstream said no to ${req.headers.authorization}`);
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"ok":true}');
  });
  await new Promise<void>((r) => target.listen(0, '127.0.0.1', () => r()));
  const port = target.address() as AddressInfo;
  const dir = mkdtempSync(join(tmpdir(), 'wp-handler-'));
  const configFile = join(dir, 'watchpost.config.json');
  writeFileSync(
    configFile,
    JSON.stringify({
      project: 'shop',
      homeRegion: 'eu-central-1',
      regions: ['eu-central-1', 'us-east-1'],
      checks: [
        {
          id: 'api',
          kind: 'http',
          url: `http://127.0.0.1:${port.port}/ok`,
          headers: { authorization: { secret: 'shop/api-token' } },
          assertions: [{ source: 'status', comparison: 'equals', target: 200 }],
        },
        {
          id: 'down',
          kind: 'http',
          url: `http://127.0.0.1:${port.port}/down`,
          headers: { authorization: { secret: 'shop/api-token' } },
          assertions: [{ source: 'status', comparison: 'equals', target: 200 }],
        },
        { id: 'eu-only', kind: 'http', url: `http://127.0.0.1:${port.port}/ok`, regions: ['eu-central-1'] },
      ],
    }),
  );
  Object.assign(process.env, {
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'fake',
    AWS_SECRET_ACCESS_KEY: 'fake',
    AWS_ENDPOINT_URL_DYNAMODB: ddb.endpoint,
    AWS_ENDPOINT_URL_CLOUDWATCH: cw.endpoint,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: sm.endpoint,
    WATCHPOST_TABLE: 'shop-watchpost-results',
    WATCHPOST_HOME_REGION: 'eu-central-1',
    WATCHPOST_CONFIG_FILE: configFile,
  });
}, 120_000);

afterAll(async () => {
  target?.closeAllConnections();
  target?.close();
  await Promise.all([ddb?.stop(), cw?.close(), sm?.close()]);
});

it('runs the checks due in its region, stores every result and publishes metrics to the home region', async () => {
  const { handler } = await import('../functions/runner/index');
  const tick = new Date(Math.floor(Date.now() / 60_000) * 60_000 - 60_000); // a minute already begun: no waiting
  const out = await handler(
    { time: tick.toISOString() },
    { getRemainingTimeInMillis: () => 30_000, awsRequestId: 'test' },
  );
  expect(out).toMatchObject({ checks: 2, failed: 1, written: 2, writeFailures: 0, publishFailures: 0 });

  // The secret reached the target, from Secrets Manager in the home region, read once.
  expect(seenAuth).toBe(TOKEN);
  expect(sm.calls('GetSecretValue')).toHaveLength(1);
  expect(sm.calls('GetSecretValue')[0]!.body).toEqual({ SecretId: 'shop/api-token' });

  const store = new DynamoResultStore({
    client: homeDb,
    tableName: 'shop-watchpost-results',
    retentionMs: 86_400_000,
  });
  const [api] = await store.history('api', { limit: 5 });
  expect(api).toMatchObject({
    checkId: 'api',
    region: 'us-east-1',
    status: 'pass',
    scheduledAt: expect.stringMatching(/^\d{4}-/),
  });
  const [down] = await store.history('down', { limit: 5 });
  expect(down!.status).toBe('fail');
  expect(await store.history('eu-only')).toEqual([]); // not in us-east-1
  // The echoed token is not in the stored result.
  expect(JSON.stringify(down)).not.toContain(TOKEN);

  const datums = cw.calls('PutMetricData').flatMap(
    (c) =>
      c.body.MetricData as Array<{
        MetricName: string;
        Value: number;
        Dimensions: Array<{ Name: string; Value: string }>;
      }>,
  );
  const failed = datums.filter((d) => d.MetricName === 'Failed');
  // Only the failed run publishes Failed, into the series every region shares (no Region dimension).
  expect(failed.map((d) => [d.Dimensions.find((x) => x.Name === 'CheckId')!.Value, d.Value]).sort()).toEqual([
    ['down', 1],
  ]);
  for (const d of failed) expect(d.Dimensions.some((x) => x.Name === 'Region')).toBe(false);
  expect(datums.filter((d) => d.MetricName === 'RunnerHealth')).toHaveLength(1);
  expect(JSON.stringify(cw.calls())).not.toContain(TOKEN);

  // Re-delivery of the same scheduled event (EventBridge is at-least-once) runs, stores and publishes nothing.
  const putsBefore = cw.calls('PutMetricData').length;
  const again = await handler(
    { time: tick.toISOString() },
    { getRemainingTimeInMillis: () => 30_000, awsRequestId: 'test-2' },
  );
  expect(again).toEqual({ duplicate: true });
  expect(cw.calls('PutMetricData')).toHaveLength(putsBefore);
  expect(await store.history('api', { limit: 5 })).toHaveLength(1);
  const [latest] = await store.latest(['down']);
  expect(latest!.consecutiveFailures).toBe(1);
});

it('runs only its shard, publishes its share of RunnerHealth, and a duplicated shard event runs nothing', async () => {
  const { handler } = await import('../functions/runner/index');
  const tick = new Date(Math.floor(Date.now() / 60_000) * 60_000 - 120_000);
  const ctx = (id: string) => ({ getRemainingTimeInMillis: () => 30_000, awsRequestId: id });
  const putsBefore = cw.calls('PutMetricData').length;
  const outs = [];
  for (const shard of [0, 1])
    outs.push(await handler({ time: tick.toISOString(), shard, shards: 2 }, ctx(`s${shard}`)));
  // Together the two shards ran each of the region's checks once.
  expect(outs.reduce((n, o) => n + (o as { checks: number }).checks, 0)).toBe(2);
  expect(await handler({ time: tick.toISOString(), shard: 1, shards: 2 }, ctx('dup'))).toEqual({ duplicate: true });
  const health = cw
    .calls('PutMetricData')
    .slice(putsBefore)
    .flatMap((c) => c.body.MetricData as Array<{ MetricName: string; Value: number }>)
    .filter((d) => d.MetricName === 'RunnerHealth')
    .map((d) => d.Value);
  expect(health).toEqual([0.5, 0.5]); // the minute's Sum is 1: every shard was healthy

  // A malformed shard runs nothing (running the whole region would run every shard twice).
  expect(await handler({ time: tick.toISOString(), shard: 2, shards: 2 }, ctx('bad'))).toEqual({
    error: 'event shard 2 of 2: expected 0 ≤ shard < shards',
  });
});
