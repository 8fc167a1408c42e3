/**
 * The result store, one behaviour suite run against AWS's DynamoDB Local (the reference) and the
 * embedded store (dynalite in-process) — the same DynamoResultStore code on both. Fault
 * injection (unprocessed items) wraps the client's `send` on top of the real server.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  BatchWriteItemCommand,
  PutItemCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  GetItemCommand,
  type BatchWriteItemCommandOutput,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureTable } from '../shared/store/create-table';
import { DynamoResultStore } from '../shared/store/dynamo-store';
import { startEmbeddedStore } from '../shared/store/embedded';
import { historyKey, latestKey } from '../shared/store/table';
import type { CheckResult, CheckStatus } from '../shared/types';
import { freePort, startDynamoDbLocal, type DynamoDbLocal } from './helpers/dynamodb-local';

const DAY = 86_400_000;
const MINUTE = 60_000;
const RETENTION = 7 * DAY;
/** Recent, whole minutes: expiresAt lies in the future, so DynamoDB Local's TTL leaves items alone. */
const BASE = Math.floor((Date.now() - DAY) / MINUTE) * MINUTE;
const at = (minute: number) => new Date(BASE + minute * MINUTE).toISOString();

function result(
  checkId: string,
  minute: number,
  status: CheckStatus = 'pass',
  over: Partial<CheckResult> = {},
): CheckResult {
  return {
    checkId,
    kind: 'http',
    region: 'eu-central-1',
    scheduledAt: at(minute),
    startedAt: at(minute),
    durationMs: 120 + minute,
    status,
    attempts: 1,
    ...(status === 'fail' ? { error: { code: 'CONNECT_REFUSED', message: 'connection refused by 127.0.0.1:1' } } : {}),
    timings: { dns: 1, connect: 2, ttfb: 50, total: 120 + minute },
    assertions: [
      {
        source: 'status',
        comparison: 'equals',
        target: 200,
        actual: status === 'fail' ? undefined : 200,
        pass: status !== 'fail',
      },
    ],
    metrics: {},
    details: { statusCode: 200 },
    ...over,
  };
}

/** A fresh, empty table with a store on it. */
interface Opened {
  store: DynamoResultStore;
  client: DynamoDBClient;
  tableName: string;
  close(): Promise<void>;
}

interface Backend {
  name: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  open(): Promise<Opened>;
}

let tableNo = 0;
const nextTable = () => `results-${process.pid}-${++tableNo}`;

const dynamoDbLocal = (): Backend => {
  let ddb: DynamoDbLocal | undefined;
  return {
    name: 'DynamoDB Local',
    async start() {
      ddb = await startDynamoDbLocal();
    },
    async stop() {
      await ddb?.stop();
    },
    async open() {
      const client = ddb!.newClient();
      const tableName = nextTable();
      await ensureTable(client, tableName);
      return {
        store: new DynamoResultStore({ client, tableName, retentionMs: RETENTION }),
        client,
        tableName,
        close: async () => client.destroy(),
      };
    },
  };
};

const embedded = (): Backend => ({
  name: 'embedded (dynalite)',
  async start() {},
  async stop() {},
  async open() {
    const e = await startEmbeddedStore({ inMemory: true, tableName: nextTable(), retentionMs: RETENTION });
    return { store: e.store, client: e.client, tableName: e.tableName, close: e.close };
  },
});

/** Counts BatchWriteItem calls and their sizes; `intercept` may answer a call instead of the server. */
function spy(
  client: DynamoDBClient,
  intercept?: (
    cmd: BatchWriteItemCommand,
    call: number,
    real: (c: BatchWriteItemCommand) => Promise<BatchWriteItemCommandOutput>,
  ) => Promise<BatchWriteItemCommandOutput> | undefined,
) {
  const sizes: number[] = [];
  const real = client.send.bind(client) as (c: unknown) => Promise<unknown>;
  (client as { send: unknown }).send = async (cmd: unknown) => {
    if (cmd instanceof BatchWriteItemCommand) {
      const n = Object.values(cmd.input.RequestItems ?? {}).reduce((s, reqs) => s + reqs.length, 0);
      sizes.push(n);
      const answer = intercept?.(
        cmd,
        sizes.length,
        real as (c: BatchWriteItemCommand) => Promise<BatchWriteItemCommandOutput>,
      );
      if (answer) return answer;
    }
    return real(cmd);
  };
  return { sizes };
}

describe.each([dynamoDbLocal(), embedded()])('result store on $name', (backend) => {
  beforeAll(() => backend.start());
  afterAll(() => backend.stop());

  async function withStore<T>(fn: (o: Opened) => Promise<T>): Promise<T> {
    const o = await backend.open();
    try {
      return await fn(o);
    } finally {
      await o.close();
    }
  }

  it('creates the table as the CDK app does: pk/sk strings, on demand', () =>
    withStore(async ({ client, tableName }) => {
      const t = (await client.send(new DescribeTableCommand({ TableName: tableName }))).Table!;
      expect(t.TableStatus).toBe('ACTIVE');
      expect(t.KeySchema).toEqual([
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ]);
      expect(t.BillingModeSummary?.BillingMode).toBe('PAY_PER_REQUEST');
      // A second ensureTable on an existing table is a no-op.
      const again = await ensureTable(client, tableName);
      expect(again.created).toBe(false);
      if (backend.name === 'DynamoDB Local') {
        expect(again.ttl).toBe('enabled');
        const ttl = (await client.send(new DescribeTimeToLiveCommand({ TableName: tableName }))).TimeToLiveDescription;
        expect(ttl).toMatchObject({ TimeToLiveStatus: 'ENABLED', AttributeName: 'expiresAt' });
      } else {
        expect(again.ttl).toBe('unsupported');
      }
    }));

  it('writing the same result twice keeps one history item and counts the failure once', () =>
    withStore(async ({ store }) => {
      const r = result('shop', 1, 'fail');
      const first = await store.writeResults([r]);
      expect(first).toMatchObject({ written: 1, failed: [] });
      expect(first.fresh.map((x) => x.scheduledAt)).toEqual([at(1)]);
      // EventBridge re-delivery: same check, region, scheduled time. Stored again, but not new.
      expect(await store.writeResults([{ ...r, durationMs: 999 }])).toEqual({ written: 1, failed: [], fresh: [] });
      // And twice within one call.
      expect(await store.writeResults([r, r])).toEqual({ written: 2, failed: [], fresh: [] });

      const history = await store.history('shop');
      expect(history).toHaveLength(1);
      const [latest] = await store.latest(['shop']);
      expect(latest).toMatchObject({
        checkId: 'shop',
        region: 'eu-central-1',
        status: 'fail',
        consecutiveFailures: 1,
        since: at(1),
        lastScheduledAt: at(1),
      });
    }));

  it('two invocations storing the same minute at once: both store, exactly one result is fresh', () =>
    withStore(async ({ store }) => {
      const r = result('dup', 2, 'fail');
      const [a, b] = await Promise.all([store.writeResults([r]), store.writeResults([{ ...r, durationMs: 7 }])]);
      expect(a.written + b.written).toBe(2);
      expect(a.fresh.length + b.fresh.length).toBe(1);
      const next = await store.writeResults([result('dup', 3, 'pass')]);
      expect(next.fresh.map((x) => x.status)).toEqual(['pass']);
      expect((await store.latest(['dup']))[0]).toMatchObject({ consecutiveFailures: 0, lastScheduledAt: at(3) });
    }));

  it('latest state follows pass → fail → fail → pass (since, consecutiveFailures)', () =>
    withStore(async ({ store }) => {
      const steps: Array<[number, CheckStatus, string, number]> = [
        [0, 'pass', at(0), 0],
        [1, 'fail', at(1), 1],
        [2, 'fail', at(1), 2],
        [3, 'pass', at(3), 0],
        [4, 'degraded', at(4), 0],
        [5, 'degraded', at(4), 0],
      ];
      for (const [minute, status, since, consecutiveFailures] of steps) {
        await store.writeResults([result('api', minute, status)]);
        const [s] = await store.latest(['api']);
        expect(s, `after minute ${minute}`).toMatchObject({
          status,
          since,
          consecutiveFailures,
          lastScheduledAt: at(minute),
        });
        expect(s!.lastResult).toEqual(result('api', minute, status));
      }
    }));

  it('applies several results of one check in scheduled order, and ignores older or re-delivered ones', () =>
    withStore(async ({ store }) => {
      // Shuffled in one call: pass 10, fail 11, fail 12.
      await store.writeResults([result('q', 12, 'fail'), result('q', 10, 'pass'), result('q', 11, 'fail')]);
      expect((await store.latest(['q']))[0]).toMatchObject({
        status: 'fail',
        since: at(11),
        consecutiveFailures: 2,
        lastScheduledAt: at(12),
      });

      // A late, older result (and a re-delivered one) are stored as history but do not move the state.
      expect(await store.writeResults([result('q', 9, 'pass'), result('q', 11, 'fail')])).toEqual({
        written: 2,
        failed: [],
        fresh: [],
      });
      expect((await store.latest(['q']))[0]).toMatchObject({
        status: 'fail',
        since: at(11),
        consecutiveFailures: 2,
        lastScheduledAt: at(12),
      });
      expect((await store.history('q')).map((r) => r.scheduledAt)).toEqual([at(12), at(11), at(10), at(9)]);

      await store.writeResults([result('q', 13, 'fail')]);
      expect((await store.latest(['q']))[0]).toMatchObject({ since: at(11), consecutiveFailures: 3 });
    }));

  it('history is newest first, with a limit and a region filter', () =>
    withStore(async ({ store }) => {
      const rs: CheckResult[] = [];
      for (let m = 0; m < 30; m++) {
        rs.push(result('web', m, 'pass', { region: 'eu-central-1' }));
        rs.push(result('web', m, m % 2 ? 'fail' : 'pass', { region: 'us-east-1' }));
        rs.push(result('web', m, 'pass', { region: 'ap-southeast-2' }));
      }
      rs.push(result('other', 40));
      expect(await store.writeResults(rs)).toMatchObject({ written: 91, failed: [] });

      const all = await store.history('web');
      expect(all).toHaveLength(20); // default limit
      expect(all.map((r) => r.scheduledAt)).toEqual([...all.map((r) => r.scheduledAt)].sort().reverse());
      expect(all[0]!.scheduledAt).toBe(at(29));

      const five = await store.history('web', { limit: 5 });
      expect(five.map((r) => r.scheduledAt)).toEqual([at(29), at(29), at(29), at(28), at(28)]);

      const us = await store.history('web', { region: 'us-east-1', limit: 7 });
      expect(us.map((r) => [r.region, r.scheduledAt])).toEqual(
        [29, 28, 27, 26, 25, 24, 23].map((m) => ['us-east-1', at(m)]),
      );
      expect(us[0]).toEqual(result('web', 29, 'fail', { region: 'us-east-1' }));

      // More than one page with a filter: all 30 of a region.
      expect(await store.history('web', { region: 'ap-southeast-2', limit: 100 })).toHaveLength(30);
      expect(await store.history('web', { limit: 0 })).toEqual([]);
      expect(await store.history('nope')).toEqual([]);
    }));

  it('latest() returns every check and region, or the ones asked for', () =>
    withStore(async ({ store }) => {
      await store.writeResults([
        result('a', 1),
        result('a', 1, 'fail', { region: 'us-east-1' }),
        result('b', 2, 'degraded'),
        result('c', 3),
      ]);
      const all = await store.latest();
      expect(all.map((s) => `${s.checkId}/${s.region}/${s.status}`)).toEqual([
        'a/eu-central-1/pass',
        'a/us-east-1/fail',
        'b/eu-central-1/degraded',
        'c/eu-central-1/pass',
      ]);
      expect((await store.latest(['c', 'a', 'missing'])).map((s) => `${s.checkId}/${s.region}`)).toEqual([
        'a/eu-central-1',
        'a/us-east-1',
        'c/eu-central-1',
      ]);
      expect(await store.latest([])).toEqual([]);
    }));

  it('writes 60 results in one call in batches of at most 25 items', () =>
    withStore(async ({ client, tableName }) => {
      // A long call timeout: on a loaded machine a slow answer must not be retried (and counted twice).
      const store = new DynamoResultStore({ client, tableName, retentionMs: RETENTION, callTimeoutMs: 60_000 });
      const { sizes } = spy(client);
      const rs = Array.from({ length: 60 }, (_, i) =>
        result(`check-${String(i).padStart(2, '0')}`, 5, i % 3 ? 'pass' : 'fail'),
      );
      expect(await store.writeResults(rs)).toMatchObject({ written: 60, failed: [] });
      // 60 history items in batches; the 60 latest states are conditional puts of their own.
      expect(sizes.reduce((a, b) => a + b, 0)).toBe(60);
      expect(Math.max(...sizes)).toBeLessThanOrEqual(25);
      expect(sizes.length).toBeGreaterThanOrEqual(3);
      const latest = await store.latest();
      expect(latest).toHaveLength(60);
      expect(latest.filter((s) => s.consecutiveFailures === 1)).toHaveLength(20);
      expect(await store.history('check-42')).toEqual([rs[42]]);
    }));

  it('sets expiresAt (TTL, epoch seconds) from scheduledAt + retention, and flat query attributes', () =>
    withStore(async ({ store, client, tableName }) => {
      const r = result('ttl', 7, 'fail');
      await store.writeResults([r]);
      const { Item } = await client.send(
        new GetItemCommand({
          TableName: tableName,
          Key: {
            pk: { S: historyKey('ttl', r.scheduledAt, r.region).pk! },
            sk: { S: historyKey('ttl', r.scheduledAt, r.region).sk! },
          },
        }),
      );
      expect(Item?.expiresAt?.N).toBe(String(Math.floor((Date.parse(r.scheduledAt) + RETENTION) / 1000)));
      expect(Item).toMatchObject({
        checkId: { S: 'ttl' },
        region: { S: 'eu-central-1' },
        status: { S: 'fail' },
        scheduledAt: { S: r.scheduledAt },
        errorCode: { S: 'CONNECT_REFUSED' },
      });
      expect(JSON.parse(Item!.result!.S!)).toEqual(r);

      // The latest item never expires.
      const latest = await client.send(
        new GetItemCommand({
          TableName: tableName,
          Key: { pk: { S: latestKey('ttl', r.region).pk! }, sk: { S: r.region } },
        }),
      );
      expect(latest.Item?.expiresAt).toBeUndefined();
      expect(latest.Item?.consecutiveFailures?.N).toBe('1');
    }));

  it('retries UnprocessedItems until they are written', () =>
    withStore(async ({ store, client }) => {
      // The first BatchWriteItem writes only its first 5 items for real and hands back the rest, as under throttling.
      const { sizes } = spy(client, (cmd, call, real) => {
        if (call !== 1) return undefined;
        const [table, reqs] = Object.entries(cmd.input.RequestItems!)[0]!;
        return real(new BatchWriteItemCommand({ RequestItems: { [table]: reqs.slice(0, 5) } })).then((out) => ({
          ...out,
          UnprocessedItems: { [table]: reqs.slice(5) },
        }));
      });
      const rs = Array.from({ length: 10 }, (_, i) => result('burst', i, 'fail'));
      expect(await store.writeResults(rs)).toMatchObject({ written: 10, failed: [] });
      expect(sizes.length).toBeGreaterThanOrEqual(2);
      expect(sizes[1]).toBe(sizes[0]! - 5);
      expect(await store.history('burst', { limit: 50 })).toHaveLength(10);
      expect((await store.latest(['burst']))[0]).toMatchObject({ consecutiveFailures: 10, lastScheduledAt: at(9) });
    }));

  it('reports latest states still refused after the last attempt in failed, with the reason', () =>
    withStore(async ({ client, tableName }) => {
      const store = new DynamoResultStore({
        client,
        tableName,
        retentionMs: RETENTION,
        maxAttempts: 3,
        retryBaseMs: 1,
      });
      // The server throttles every latest-state put.
      const real = client.send.bind(client) as (c: unknown) => Promise<unknown>;
      (client as { send: unknown }).send = async (cmd: unknown) => {
        if (!(cmd instanceof PutItemCommand)) return real(cmd);
        const e = new Error('Rate of requests exceeds the allowed throughput.');
        e.name = 'ProvisionedThroughputExceededException';
        throw e;
      };
      const rs = [result('stuck', 1), result('stuck', 2), result('fine-history', 1)];
      const report = await store.writeResults(rs);
      expect(report.written).toBe(0);
      expect(report.fresh).toEqual([]);
      expect(report.failed.map((f) => f.result)).toEqual(rs);
      for (const f of report.failed) expect(f.reason).toMatch(/PutItem: ProvisionedThroughputExceeded.*3 attempts/);
      // History landed; the caller logs the results so nothing is lost.
      expect(await store.history('stuck')).toHaveLength(2);
    }));

  it('a bad item does not take its batch down: the others are written', () =>
    withStore(async ({ client, tableName }) => {
      // With clipping turned off, an item over 400 KB is a ValidationException for the whole BatchWriteItem.
      const store = new DynamoResultStore({ client, tableName, retentionMs: RETENTION, maxResultBytes: 1_000_000 });
      const bad = result('too-big', 1, 'pass', { details: { body: 'x'.repeat(450_000) } });
      const good = Array.from({ length: 8 }, (_, i) => result(`ok-${i}`, 1));
      const report = await store.writeResults([...good.slice(0, 4), bad, ...good.slice(4)]);
      expect(report.written).toBe(8);
      expect(report.failed).toHaveLength(1);
      expect(report.failed[0]!.result).toBe(bad);
      expect(report.failed[0]!.reason).toMatch(/ValidationException/);
      expect(await store.latest(good.map((r) => r.checkId))).toHaveLength(8);
      expect(await store.latest(['too-big'])).toEqual([]);
    }));

  it('rejects a check id too long for a key, and writes the rest', () =>
    withStore(async ({ store }) => {
      const bad = result('x'.repeat(2_100), 1);
      const report = await store.writeResults([result('fine', 1), bad]);
      expect(report).toEqual({
        written: 1,
        failed: [{ result: bad, reason: expect.stringMatching(/checkId longer/) }],
        fresh: [expect.objectContaining({ checkId: 'fine' })],
      });
    }));

  it('clips a huge result to stay well under the 400 KB item limit', () =>
    withStore(async ({ store }) => {
      const huge = result('big', 1, 'fail', {
        error: { code: 'ASSERTION', message: 'm'.repeat(300_000) },
        details: { body: 'b'.repeat(1_000_000), headers: { 'content-type': 'text/html' } },
        assertions: [
          { source: 'text', comparison: 'contains', target: 'ok', actual: 'a'.repeat(500_000), pass: false },
        ],
      });
      expect(await store.writeResults([huge])).toMatchObject({ written: 1, failed: [] });
      const [stored] = await store.history('big');
      expect(stored).toMatchObject({
        checkId: 'big',
        status: 'fail',
        scheduledAt: at(1),
        error: { code: 'ASSERTION' },
      });
      expect(JSON.stringify(stored).length).toBeLessThan(70_000);
      expect(stored!.details).toHaveProperty('clipped');
      expect((await store.latest(['big']))[0]!.lastResult.error!.code).toBe('ASSERTION');
    }));

  it('reports invalid results in failed and writes the rest', () =>
    withStore(async ({ store }) => {
      const bad = { ...result('bad', 1), scheduledAt: 'yesterday' };
      const report = await store.writeResults([bad, result('good', 1)]);
      expect(report.written).toBe(1);
      expect(report.failed).toEqual([{ result: bad, reason: expect.stringMatching(/scheduledAt/) }]);
    }));

  it('works through a DynamoDB document client too', () =>
    withStore(async ({ client, tableName }) => {
      const store = new DynamoResultStore({
        client: DynamoDBDocumentClient.from(client),
        tableName,
        retentionMs: RETENTION,
      });
      expect(await store.writeResults([result('doc', 1, 'fail')])).toMatchObject({ written: 1, failed: [] });
      expect((await store.latest(['doc']))[0]).toMatchObject({ consecutiveFailures: 1 });
      expect(await store.history('doc')).toHaveLength(1);
    }));
});

describe('a store whose endpoint is dead', () => {
  it('returns every result in failed without throwing', async () => {
    const { DynamoDBClient } = await import('@aws-sdk/client-dynamodb');
    const client = new DynamoDBClient({
      endpoint: `http://127.0.0.1:${await freePort()}`,
      region: 'us-east-1',
      credentials: { accessKeyId: 'fake', secretAccessKey: 'fake' },
      maxAttempts: 1,
    });
    try {
      const store = new DynamoResultStore({
        client,
        tableName: 'gone',
        retentionMs: RETENTION,
        maxAttempts: 2,
        retryBaseMs: 1,
      });
      const rs = Array.from({ length: 30 }, (_, i) => result(`c${i}`, i % 3, i % 2 ? 'fail' : 'pass'));
      const report = await store.writeResults(rs);
      expect(report.written).toBe(0);
      expect(report.failed.map((f) => f.result)).toEqual(rs);
      for (const f of report.failed) expect(f.reason).toMatch(/ECONNREFUSED|connect/i);
    } finally {
      client.destroy();
    }
  });
});

describe('embedded store', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'watchpost-store-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('keeps data across close and reopen with a dir', async () => {
    const db = join(dir, 'persist');
    const first = await startEmbeddedStore({ dir: db, retentionMs: RETENTION });
    expect(first.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    await first.store.writeResults([result('keep', 1, 'fail'), result('keep', 2, 'fail')]);
    await first.close();
    await first.close(); // idempotent

    const second = await startEmbeddedStore({ dir: db, retentionMs: RETENTION });
    try {
      expect((await second.store.history('keep')).map((r) => r.scheduledAt)).toEqual([at(2), at(1)]);
      expect((await second.store.latest())[0]).toMatchObject({ checkId: 'keep', consecutiveFailures: 2, since: at(1) });
      await second.store.writeResults([result('keep', 3, 'fail')]);
      expect((await second.store.latest(['keep']))[0]!.consecutiveFailures).toBe(3);
    } finally {
      await second.close();
    }
  });

  it('refuses a dir another store has open, with a clear message', async () => {
    const db = join(dir, 'locked');
    const first = await startEmbeddedStore({ dir: db, retentionMs: RETENTION });
    try {
      await expect(startEmbeddedStore({ dir: db, retentionMs: RETENTION })).rejects.toThrow(
        /in use by another watchpost process/,
      );
    } finally {
      await first.close();
    }
  });

  it('prunes history older than the retention (no TTL locally), never latest state', async () => {
    const db = join(dir, 'prune');
    const old = (days: number, id = 'old') =>
      result(id, 0, 'fail', { scheduledAt: new Date(Date.now() - days * DAY).toISOString() });
    const first = await startEmbeddedStore({ dir: db, retentionMs: 30 * DAY });
    await first.store.writeResults([old(20), old(10), old(20, 'other'), old(10, 'other')]);
    await first.close();

    // Restart with a 15-day retention: given check ids are pruned at start…
    const second = await startEmbeddedStore({ dir: db, retentionMs: 15 * DAY, checkIds: ['old'] });
    try {
      expect(await second.pruned).toEqual({ deleted: 1 });
      expect(await second.store.history('old')).toHaveLength(1);
      expect(await second.store.history('other')).toHaveLength(2);
      // …others when they are next written.
      await second.store.writeResults([old(1, 'other')]);
      await second.close();
    } finally {
      await second.close();
    }
    const third = await startEmbeddedStore({ dir: db, retentionMs: 15 * DAY });
    try {
      // 20 days old went; 10 and 1 days old stayed.
      const left = (await third.store.history('other')).map((r) =>
        Math.round((Date.now() - Date.parse(r.scheduledAt)) / DAY),
      );
      expect(left).toEqual([1, 10]);
      expect((await third.store.latest()).map((s) => s.checkId)).toEqual(['old', 'other']);
    } finally {
      await third.close();
    }
  });

  it('starts an in-memory store without touching the disk', async () => {
    const e = await startEmbeddedStore({ inMemory: true, dir: join(dir, 'never-created') });
    await e.store.writeResults([result('mem', 1)]);
    expect(await e.store.history('mem')).toHaveLength(1);
    await e.close();
    const { existsSync } = await import('node:fs');
    expect(existsSync(join(dir, 'never-created'))).toBe(false);
  });
});
