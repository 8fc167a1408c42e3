/**
 * Daily rollups against the embedded store: one UpdateItem per stored result, counted once
 * however often it is delivered, read back per hour with a latency sketch; the store wrapper
 * counts what the result store stored and logs what it could not count.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Log } from '../shared/log';
import { bucketOf, bucketValue, quantile, type Sketch } from '../shared/rollups/sketch';
import { RollupStore, withRollups } from '../shared/rollups/store';
import { startEmbeddedStore, type EmbeddedStore } from '../shared/store/embedded';
import type { CheckResult, CheckStatus } from '../shared/types';

let embedded: EmbeddedStore;
let rollups: RollupStore;

beforeAll(async () => {
  embedded = await startEmbeddedStore({ inMemory: true });
  rollups = new RollupStore({ client: embedded.client, tableName: embedded.tableName });
});
afterAll(async () => {
  await embedded?.close();
});

const result = (scheduledAt: string, status: CheckStatus, durationMs: number, region = 'eu-west-1'): CheckResult => ({
  checkId: 'shop-cart',
  kind: 'http',
  region,
  scheduledAt,
  startedAt: scheduledAt,
  durationMs,
  status,
  attempts: 1,
  ...(status === 'fail' ? { error: { code: 'TIMEOUT', message: 'no answer' } } : {}),
  timings: {},
  assertions: [],
  metrics: {},
});

describe('latency sketch', () => {
  it('keeps every duration within 10 % of its bucket value', () => {
    for (const ms of [2, 7, 50, 123, 999, 4_321, 60_000]) {
      const v = bucketValue(bucketOf(ms));
      expect(Math.abs(v - ms) / ms).toBeLessThan(0.1);
    }
  });
  it('reads quantiles from merged counts', () => {
    const s: Sketch = new Map();
    for (let i = 1; i <= 100; i++) s.set(bucketOf(i * 10), (s.get(bucketOf(i * 10)) ?? 0) + 1);
    expect(Math.abs(quantile(s, 0.5)! - 500) / 500).toBeLessThan(0.1);
    expect(Math.abs(quantile(s, 0.99)! - 990) / 990).toBeLessThan(0.1);
    expect(quantile(new Map(), 0.5)).toBeNull();
  });
});

describe('RollupStore', () => {
  it('counts runs, failures and degraded runs per hour, each run once', async () => {
    const runs = [
      result('2026-11-03T10:00:00.000Z', 'pass', 100),
      result('2026-11-03T10:01:00.000Z', 'fail', 10_000),
      result('2026-11-03T10:02:00.000Z', 'degraded', 2_500),
      result('2026-11-03T11:00:00.000Z', 'pass', 120),
      result('2026-11-03T11:00:00.000Z', 'pass', 120, 'us-east-1'),
    ];
    expect(await rollups.record(runs)).toEqual({ written: 5, duplicates: 0, failed: [] });
    // A re-delivered event: the same runs again change nothing.
    expect(await rollups.record(runs.slice(0, 2))).toEqual({ written: 0, duplicates: 2, failed: [] });
    const days = await rollups.read('shop-cart', '2026-11-03', '2026-11-03');
    expect(days.map((d) => d.region).sort()).toEqual(['eu-west-1', 'us-east-1']);
    const eu = days.find((d) => d.region === 'eu-west-1')!;
    expect(eu.day).toBe('2026-11-03');
    expect(eu.hours[10]).toMatchObject({ runs: 3, failures: 1, degraded: 1 });
    expect(eu.hours[11]).toMatchObject({ runs: 1, failures: 0, degraded: 0 });
    expect(eu.hours[9]).toMatchObject({ runs: 0 });
    // Failed runs stay out of the latency sketch (a timeout is not a response time).
    expect([...eu.hours[10]!.latency.values()].reduce((a, b) => a + b, 0)).toBe(2);
    expect(await rollups.read('shop-cart', '2026-11-04', '2026-11-30')).toEqual([]);
    expect(await rollups.read('shop-cart', '2026-11-01', '2026-11-30', 'us-east-1')).toHaveLength(1);
  });

  it('keeps the counted-runs sets small: the hour before last is dropped', async () => {
    const runs = Array.from({ length: 5 }, (_, h) => result(`2026-11-05T0${h}:30:00.000Z`, 'pass', 80));
    await rollups.record(runs);
    const { GetItemCommand } = await import('@aws-sdk/client-dynamodb');
    const item = await embedded.client.send(
      new GetItemCommand({
        TableName: embedded.tableName,
        Key: { pk: { S: 'ROLLUP#shop-cart' }, sk: { S: '2026-11-05#eu-west-1' } },
      }),
    );
    const sets = Object.keys(item.Item ?? {}).filter((k) => /^s\d\d$/.test(k));
    expect(sets.sort()).toEqual(['s03', 's04']);
    expect(Number(item.Item?.expiresAt?.N)).toBe(Date.parse('2026-11-05') / 1000 + 401 * 86_400);
  });

  it('is what the result store wrapper writes, after the results', async () => {
    const errors: unknown[] = [];
    const log: Log = { debug() {}, info() {}, warn() {}, error: (_m, f) => errors.push(f) };
    const store = withRollups(embedded.store, rollups, log);
    const r = result('2026-11-06T12:00:00.000Z', 'pass', 42);
    expect((await store.writeResults([r])).written).toBe(1);
    expect((await store.history('shop-cart', { limit: 1 }))[0]?.scheduledAt).toBe(r.scheduledAt);
    const [day] = await rollups.read('shop-cart', '2026-11-06', '2026-11-06');
    expect(day?.hours[12]?.runs).toBe(1);
    expect(errors).toEqual([]);
    // A rollup that cannot be written is logged with its result, not lost silently.
    const broken = withRollups(embedded.store, new RollupStore({ client: embedded.client, tableName: 'nope' }), log);
    await broken.writeResults([result('2026-11-06T12:01:00.000Z', 'pass', 42)]);
    expect(errors).toEqual([expect.objectContaining({ reason: expect.stringMatching(/not found|resource/i) })]);
  });
});
