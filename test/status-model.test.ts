/**
 * The status model from a seeded table (test/helpers/seed-status.ts): daily bars, uptime windows
 * and incidents agree with figures worked out by hand, and nothing internal is in it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildStatusModel, type StatusModel } from '../shared/status/model';
import { startEmbeddedStore, type EmbeddedStore } from '../shared/store/embedded';
import { SEEDED, seedStatus, type Seeded } from './helpers/seed-status';

let embedded: EmbeddedStore;
let seed: Seeded;
let model: StatusModel;
const DAY = 86_400_000;

beforeAll(async () => {
  embedded = await startEmbeddedStore({ inMemory: true });
  seed = await seedStatus({
    client: embedded.client,
    tableName: embedded.tableName,
    store: embedded.store,
    now: new Date('2026-11-30T15:20:00Z'),
  });
  model = await buildStatusModel({
    config: seed.config,
    client: embedded.client,
    tableName: embedded.tableName,
    now: seed.now,
  });
});
afterAll(async () => {
  await embedded?.close();
});

const day = (n: number) => new Date(Date.parse('2026-11-30') + n * DAY).toISOString().slice(0, 10);
const component = (name: string) => model.components.find((c) => c.name === name)!;

describe('buildStatusModel', () => {
  it('has the page, its groups and one bar a day for the whole history', () => {
    expect(seed.now.toISOString()).toBe('2026-11-30T15:00:00.000Z');
    expect(model).toMatchObject({
      title: 'Shop status',
      description: 'Live status of the shop',
      overall: 'operational',
      stale: false,
      dataAsOf: '2026-11-30T14:59:00.000Z',
      groups: [{ name: 'Shop', components: ['Website', 'Checkout'] }],
    });
    expect(model.accounting).toMatch(/minute is down/);
    for (const c of model.components) {
      expect(c.days).toHaveLength(90);
      expect(c.days[0]?.date).toBe(day(-89));
      expect(c.days.at(-1)?.date).toBe(day(0));
      expect(c.latency).toHaveLength(168);
      expect(c.state).toBe('operational');
      expect(c.group).toBe('Shop');
    }
  });

  it('counts the DOWN incident minutes, leaves maintenance out and says when there was no data', () => {
    const checkout = component('Checkout');
    const bar = (n: number) => checkout.days.find((d) => d.date === day(n))!;
    expect(bar(SEEDED.down.day)).toMatchObject({ downMinutes: 45, uptimePercent: 96.875, maintenanceMinutes: 0 });
    expect(bar(SEEDED.down.day).incidents).toEqual([{ id: seed.incidents.down, title: 'Checkout is unavailable' }]);
    expect(bar(SEEDED.maintenance.day)).toMatchObject({ maintenanceMinutes: 120, downMinutes: 0, uptimePercent: 100 });
    expect(bar(0)).toMatchObject({ uptimePercent: 100, noDataMinutes: 0, downMinutes: 0 });
    // 30 days: (43200 − 120 maintenance − 45 down) / (43200 − 120) = 99.8955… → 99.895 (rounded down)
    expect(checkout.uptime['30d']).toBe(99.895);
    expect(checkout.uptime['24h']).toBe(100);
    // 90 days = the bars: 89 whole days and 15 hours of today.
    const minutes = 89 * 1440 + 15 * 60;
    expect(checkout.uptime['90d']).toBe(Math.floor(((minutes - 120 - 45) / (minutes - 120)) * 100_000) / 1000);

    const website = component('Website');
    const wbar = (n: number) => website.days.find((d) => d.date === day(n))!;
    expect(wbar(-89)).toMatchObject({ uptimePercent: null, noDataMinutes: 1440 });
    expect(wbar(SEEDED.homeFirstDay)).toMatchObject({ uptimePercent: 100, noDataMinutes: 0 });
    expect(wbar(SEEDED.degraded.day)).toMatchObject({ degradedMinutes: 30, uptimePercent: 100 });
    expect(website.uptime['7d']).toBe(100);
    expect(website.latency.at(-2)).toMatchObject({ p50: expect.any(Number), p95: expect.any(Number) });
    expect(Math.abs(website.latency.at(-2)!.p50! - 120) / 120).toBeLessThan(0.1);
    expect(website.latency.at(-1)).toMatchObject({ hour: '2026-11-30T15:00:00.000Z', p50: null });
  });

  it('shows incidents with public wording and the upcoming maintenance', () => {
    expect(model.incidents.open).toEqual([]);
    const [degraded, down] = model.incidents.past;
    expect(degraded).toMatchObject({ title: 'Website is degraded', components: ['Website'], severity: 'degraded' });
    expect(down).toMatchObject({
      id: seed.incidents.down,
      title: 'Checkout is unavailable',
      components: ['Checkout'],
      severity: 'down',
      endedAt: new Date(Date.parse(day(-10)) + 14.75 * 3_600_000).toISOString(),
    });
    expect(down?.updates.map((u) => [u.status, u.message])).toEqual([
      ['investigating', 'We are investigating this issue.'],
      ['identified', 'A faulty payment deploy is being rolled back.'],
      ['monitoring', 'Fix deployed, watching the results.'],
      ['resolved', 'This incident has been resolved.'],
    ]);
    expect(model.maintenance.active).toEqual([]);
    expect(model.maintenance.upcoming).toEqual([
      {
        title: 'Scheduled maintenance',
        components: ['Checkout'],
        startsAt: `${day(3)}T02:00:00.000Z`,
        endsAt: `${day(3)}T03:00:00.000Z`,
      },
    ]);
  });

  it('carries no check id, target, host, region, error text or person', () => {
    const text = JSON.stringify(model);
    for (const word of ['shop-cart', 'shop-home', '127.0.0.1', 'eu-west-1', 'us-east-1', 'CONNECT_REFUSED', 'alice'])
      expect(text).not.toContain(word);
  });

  it('goes stale when nothing has been stored for a while, and says so', async () => {
    const later = await buildStatusModel({
      config: seed.config,
      client: embedded.client,
      tableName: embedded.tableName,
      now: new Date(seed.now.getTime() + 3_600_000),
    });
    expect(later.stale).toBe(true);
    expect(later.dataAsOf).toBe('2026-11-30T14:59:00.000Z');
    expect(later.components.map((c) => c.state)).toEqual(['no_data', 'no_data']);
    expect(later.overall).toBe('no_data');
  });
});
