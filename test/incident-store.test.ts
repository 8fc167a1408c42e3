/**
 * The incident store against the embedded store (dynalite in-process, the same code as in AWS):
 * idempotent open, updates, resolve, acknowledge, the open partition and range listing, races.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordAlarmChange, recordLocalResult } from '../shared/incidents/recorder';
import { IncidentNotFoundError, IncidentStore, incidentId } from '../shared/incidents/store';
import type { CheckResult, CheckStatus } from '../shared/types';
import { startEmbeddedStore, type EmbeddedStore } from '../shared/store/embedded';

let embedded: EmbeddedStore;
let store: IncidentStore;

beforeAll(async () => {
  embedded = await startEmbeddedStore({ inMemory: true });
  store = new IncidentStore(embedded.client, embedded.tableName);
});
afterAll(async () => {
  await embedded?.close();
});

const base = {
  checkId: 'shop-cart',
  components: ['Checkout'],
  severity: 'down' as const,
  title: 'Checkout is unavailable',
  source: 'notifier' as const,
};

describe('IncidentStore', () => {
  it('opens an incident once for the same check, severity and start, whoever asks twice', async () => {
    const startedAt = '2026-11-03T10:00:00.000Z';
    const [a, b] = await Promise.all([store.open({ ...base, startedAt }), store.open({ ...base, startedAt })]);
    expect(a.id).toBe(incidentId('shop-cart', 'down', startedAt));
    expect(b).toEqual(a);
    expect(a.updates).toEqual([]);
    expect(a.endedAt).toBeUndefined();
    expect(await store.get(a.id)).toEqual(a);
    expect((await store.openFor('shop-cart', 'down'))?.id).toBe(a.id);
    expect(await store.openFor('shop-cart', 'degraded')).toBeUndefined();
    const again = await store.open({ ...base, startedAt, title: 'another title' });
    expect(again.title).toBe('Checkout is unavailable');
  });

  it('adds updates in time order and resolves once; the open partition forgets it', async () => {
    const startedAt = '2026-11-04T08:00:00.000Z';
    const inc = await store.open({ ...base, checkId: 'api', startedAt, message: 'Payments fail for some users' });
    expect(inc.updates).toEqual([{ at: startedAt, status: 'investigating', message: 'Payments fail for some users' }]);
    await store.addUpdate(inc.id, { at: '2026-11-04T08:20:00.000Z', status: 'monitoring', message: 'Fix deployed' });
    await store.addUpdate(inc.id, { at: '2026-11-04T08:10:00.000Z', status: 'identified', message: 'Bad config' });
    const done = await store.resolve(inc.id, '2026-11-04T08:30:00.000Z', undefined, 'alice');
    expect(done.endedAt).toBe('2026-11-04T08:30:00.000Z');
    expect(done.updates.map((u) => u.status)).toEqual(['investigating', 'identified', 'monitoring', 'resolved']);
    expect(done.updates.at(-1)).toMatchObject({ message: 'This incident has been resolved.', by: 'alice' });
    const twice = await store.resolve(inc.id, '2026-11-04T09:00:00.000Z');
    expect(twice).toEqual(done);
    expect(await store.openFor('api')).toBeUndefined();
    expect((await store.listOpen()).map((i) => i.id)).not.toContain(inc.id);
  });

  it('treats an update with status resolved as the end of the incident', async () => {
    const inc = await store.open({ ...base, checkId: 'web', startedAt: '2026-11-05T00:00:00.000Z' });
    const done = await store.addUpdate(inc.id, { at: '2026-11-05T00:05:00.000Z', status: 'resolved', message: 'ok' });
    expect(done.endedAt).toBe('2026-11-05T00:05:00.000Z');
    expect(await store.openFor('web')).toBeUndefined();
  });

  it('records an acknowledgement with a public-safe investigating update', async () => {
    const inc = await store.open({ ...base, checkId: 'mail', startedAt: '2026-11-06T00:00:00.000Z' });
    const ack = await store.acknowledge(inc.id, 'bob', '2026-11-06T00:02:00.000Z', '2026-11-06T01:00:00.000Z');
    expect(ack.acknowledged).toEqual({ by: 'bob', at: '2026-11-06T00:02:00.000Z', until: '2026-11-06T01:00:00.000Z' });
    expect(ack.updates.at(-1)?.status).toBe('investigating');
    expect(ack.updates.at(-1)?.message).not.toContain('bob');
  });

  it('keeps every one of many concurrent updates (optimistic locking)', async () => {
    const inc = await store.open({ ...base, checkId: 'race', startedAt: '2026-11-07T00:00:00.000Z' });
    await Promise.all(
      Array.from({ length: 6 }, (_, n) =>
        store.addUpdate(inc.id, { at: `2026-11-07T00:0${n}:00.000Z`, status: 'identified', message: `note ${n}` }),
      ),
    );
    const got = await store.get(inc.id);
    expect(got?.updates.map((u) => u.message)).toEqual([0, 1, 2, 3, 4, 5].map((n) => `note ${n}`));
  });

  it('lists incidents overlapping a range, newest first, including ones still open', async () => {
    const list = await store.list({ since: '2026-11-04T08:15:00.000Z', until: '2026-11-06T12:00:00.000Z' });
    // shop-cart started before the range but is still open
    expect(list.map((i) => i.checkId)).toEqual(['mail', 'web', 'api', 'shop-cart']);
    const all = await store.list({ since: '2026-01-01T00:00:00.000Z' });
    expect(all.map((i) => i.checkId)).toEqual(['race', 'mail', 'web', 'api', 'shop-cart']);
    expect(await store.list({ since: '2026-11-04T08:31:00.000Z', until: '2026-11-04T23:00:00.000Z' })).toEqual([
      expect.objectContaining({ checkId: 'shop-cart' }),
    ]);
  });

  it('opens manual incidents with fresh ids and says which id is unknown', async () => {
    const m = { components: ['API'], severity: 'notice' as const, title: 'Planned upgrade', source: 'manual' as const };
    const a = await store.open({ ...m, startedAt: '2026-11-08T00:00:00.000Z' });
    const b = await store.open({ ...m, startedAt: '2026-11-08T00:00:00.000Z' });
    expect(a.id).not.toBe(b.id);
    expect(a.checkId).toBeUndefined();
    await expect(store.addUpdate('inc-nope', { at: a.startedAt, status: 'monitoring', message: 'x' })).rejects.toThrow(
      IncidentNotFoundError,
    );
    await expect(store.resolve('inc-nope', a.startedAt)).rejects.toThrow(/no incident with id "inc-nope"/);
    expect(await store.get('inc-nope')).toBeUndefined();
  });
});

const run = (status: CheckStatus, at: string): CheckResult => ({
  checkId: 'local-web',
  kind: 'http',
  region: 'local',
  scheduledAt: at,
  startedAt: at,
  durationMs: 5,
  status,
  attempts: 1,
  timings: {},
  assertions: [],
  metrics: {},
});

describe('incident recorder', () => {
  it('opens on ALARM once (re-delivered events too) and resolves on OK', async () => {
    const change = {
      checkId: 'aws-api',
      severity: 'down' as const,
      state: 'ALARM' as const,
      at: '2026-11-09T10:00:00.000Z',
    };
    await recordAlarmChange(store, change);
    await recordAlarmChange(store, { ...change, at: '2026-11-09T10:01:00.000Z' });
    const open = await store.openFor('aws-api', 'down');
    expect(open?.startedAt).toBe('2026-11-09T10:00:00.000Z');
    await recordAlarmChange(store, { ...change, state: 'OK', at: '2026-11-09T10:20:00.000Z' });
    expect(await store.openFor('aws-api')).toBeUndefined();
    expect((await store.get(open!.id))?.endedAt).toBe('2026-11-09T10:20:00.000Z');
  });

  it('follows a local check from fail to degraded to pass, and closes leftovers on start', async () => {
    await recordLocalResult(store, run('fail', '2026-11-10T00:00:00.000Z'), { status: 'pass' });
    await recordLocalResult(store, run('degraded', '2026-11-10T00:05:00.000Z'), { status: 'fail' });
    expect((await store.openFor('local-web'))?.severity).toBe('degraded');
    // dev restarted: no previous status, the check passes, the degraded incident is closed.
    await recordLocalResult(store, run('pass', '2026-11-10T00:09:00.000Z'));
    expect(await store.openFor('local-web')).toBeUndefined();
    const mine = (await store.list({ since: '2026-11-10T00:00:00.000Z' })).filter((i) => i.checkId === 'local-web');
    expect(mine.map((i) => [i.severity, i.startedAt, i.endedAt])).toEqual([
      ['degraded', '2026-11-10T00:05:00.000Z', '2026-11-10T00:09:00.000Z'],
      ['down', '2026-11-10T00:00:00.000Z', '2026-11-10T00:05:00.000Z'],
    ]);
  });
});
