/**
 * A StatusModel of the contract's shape (shared/status/model.ts), deterministic, for rendering
 * tests that need no store: two components in a group and one loose, 90 days with a down day, a
 * degraded day, a maintenance day and a day without data, an open and a resolved incident,
 * maintenance in progress and announced.
 */
import type { StatusComponent, StatusDay, StatusModel } from '../../shared/status/site/types';

const DAY = 86_400_000;

export function fixtureModel(
  now = new Date('2026-11-30T12:00:00Z'),
  overrides: Partial<StatusModel> = {},
): StatusModel {
  const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  const dayOf = (i: number) => new Date(today - (89 - i) * DAY).toISOString().slice(0, 10);
  const days = (special: Record<number, Partial<StatusDay>>): StatusDay[] =>
    Array.from({ length: 90 }, (_, i) => ({
      date: dayOf(i),
      uptimePercent: 100,
      downMinutes: 0,
      degradedMinutes: 0,
      maintenanceMinutes: 0,
      noDataMinutes: 0,
      incidents: [],
      ...special[i],
    }));
  const latency = (base: number) =>
    Array.from({ length: 168 }, (_, i) => ({
      hour: new Date(now.getTime() - (167 - i) * 3600_000).toISOString().slice(0, 13).concat(':00:00.000Z'),
      p50: i === 40 ? null : base + (i % 24) * 2,
      p95: i === 40 ? null : base * 2 + (i % 24) * 5,
    }));
  const checkout: StatusComponent = {
    name: 'Checkout',
    description: 'Basket, payment and order confirmation',
    group: 'Shop',
    state: 'partial_outage',
    uptime: { '24h': 97.5, '7d': 99.64, '30d': 99.91, '90d': 99.97 },
    days: days({
      60: { uptimePercent: 99.31, downMinutes: 10, incidents: [{ id: 'inc-a1', title: 'Checkout is unavailable' }] },
      75: { uptimePercent: 100, degradedMinutes: 25 },
      80: { maintenanceMinutes: 120 },
      89: { uptimePercent: 97.5, downMinutes: 18, incidents: [{ id: 'inc-b2', title: 'Payments are failing' }] },
    }),
    latency: latency(120),
  };
  const search: StatusComponent = {
    name: 'Search',
    group: 'Shop',
    state: 'operational',
    uptime: { '24h': 100, '7d': 100, '30d': 100, '90d': 100 },
    days: days({ 0: { uptimePercent: null, noDataMinutes: 1440 }, 1: { uptimePercent: null, noDataMinutes: 1440 } }),
    latency: latency(40),
  };
  const api: StatusComponent = {
    name: 'Public API',
    description: 'REST API for partners',
    state: 'operational',
    uptime: { '24h': 100, '7d': 100, '30d': 100, '90d': 100 },
    days: days({}),
    latency: latency(80).map((h) => ({ ...h, p50: null, p95: null })),
  };
  const iso = (ms: number) => new Date(ms).toISOString();
  return {
    title: 'Acme Shop status',
    description: 'Live status of the Acme shop and its API',
    generatedAt: now.toISOString(),
    dataAsOf: iso(now.getTime() - 60_000),
    stale: false,
    overall: 'partial_outage',
    groups: [{ name: 'Shop', components: ['Checkout', 'Search'] }],
    components: [checkout, search, api],
    incidents: {
      open: [
        {
          id: 'inc-b2',
          title: 'Payments are failing',
          severity: 'down',
          components: ['Checkout'],
          startedAt: iso(now.getTime() - 18 * 60_000),
          updates: [
            {
              at: iso(now.getTime() - 18 * 60_000),
              status: 'investigating',
              message: 'We are looking into failed payments.',
            },
            {
              at: iso(now.getTime() - 5 * 60_000),
              status: 'identified',
              message: 'A card provider is <down>; we are switching.',
            },
          ],
        },
      ],
      past: [
        {
          id: 'inc-a1',
          title: 'Checkout is unavailable',
          severity: 'down',
          components: ['Checkout'],
          startedAt: `${dayOf(60)}T09:00:00.000Z`,
          endedAt: `${dayOf(60)}T09:10:00.000Z`,
          updates: [
            { at: `${dayOf(60)}T09:00:00.000Z`, status: 'investigating', message: 'Checkout pages do not load.' },
            { at: `${dayOf(60)}T09:10:00.000Z`, status: 'resolved', message: 'A fix was deployed.' },
          ],
        },
      ],
    },
    maintenance: {
      active: [],
      upcoming: [
        {
          title: 'Database upgrade',
          components: ['Checkout', 'Search'],
          startsAt: iso(today + 3 * DAY + 2 * 3600_000),
          endsAt: iso(today + 3 * DAY + 4 * 3600_000),
        },
      ],
    },
    accounting:
      'A minute is down when the check failed in enough regions to page (its DOWN quorum), degraded when it ' +
      'was slow, and without data when nothing ran. Uptime is the share of minutes that were not down, with ' +
      'maintenance minutes left out.',
    ...overrides,
  };
}
