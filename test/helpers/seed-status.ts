/**
 * Seeds a results table with what a status page shows: 90 days of rollups for two components
 * (two checks, two regions), a DOWN incident with human updates, a DEGRADED incident, a past and
 * an upcoming maintenance window, and fresh latest states. Every figure is chosen so a test can
 * work out uptime by hand: see {@link SEEDED}. Pass the same `now` to buildStatusModel or
 * `watchpost report` (`WATCHPOST_NOW`) as to the seed.
 *
 * @example
 * const embedded = await startEmbeddedStore({ inMemory: true });
 * const seed = await seedStatus({ client: embedded.client, tableName: embedded.tableName, store: embedded.store });
 * const model = await buildStatusModel({
 *   config: seed.config, client: embedded.client, tableName: embedded.tableName, now: seed.now,
 * });
 */
import { BatchWriteItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { parseConfig } from '../../shared/config/validate';
import type { ValidatedConfig } from '../../shared/config/types';
import { IncidentStore } from '../../shared/incidents/store';
import { bucketOf } from '../../shared/rollups/sketch';
import { dayItem, type DayRollup, type HourRollup } from '../../shared/rollups/store';
import type { ResultStore } from '../../shared/store/types';
import type { CheckResult } from '../../shared/types';

const HOUR = 3_600_000;
const DAY = 86_400_000;

/** The seeded facts, relative to the seed's `now` (a whole hour): day -N is N days before today. */
export const SEEDED = {
  regions: ['eu-west-1', 'us-east-1'],
  /** shop-home ("Website", 1m) has data from day -85 on: days -89..-86 have none. */
  homeFirstDay: -85,
  /** shop-home: DEGRADED day -5, 09:00–09:30 UTC (30 degraded minutes). */
  degraded: { day: -5, startHour: 9, minutes: 30 },
  /** shop-cart ("Checkout", 5m): DOWN day -10, 14:00–14:45 UTC (45 down minutes); 9 of 12 runs failed in hour 14. */
  down: { day: -10, startHour: 14, minutes: 45, failedRuns: 9 },
  /** shop-cart: maintenance day -20, 02:00–04:00 UTC (120 minutes). */
  maintenance: { day: -20, startHour: 2, minutes: 120 },
  /** An upcoming window on shop-cart, 3 days ahead at 02:00 UTC for 1 h. */
  upcoming: { day: 3, startHour: 2, minutes: 60 },
  /** Latency per run: Website 120 ms, Checkout 300 ms (one sketch bucket each). */
  latencyMs: { 'shop-home': 120, 'shop-cart': 300 },
} as const;

const dayStr = (t: number) => new Date(t).toISOString().slice(0, 10);
const isoMin = (t: number) => new Date(t).toISOString().slice(0, 16);

/** The config the seed is for, as a user writes it: two checks on loopback, two components in one group. */
export function seedConfigRaw(now: Date) {
  const today = Date.parse(dayStr(now.getTime()));
  const at = (day: number, hour: number) => isoMin(today + day * DAY + hour * HOUR);
  return {
    project: 'shop',
    homeRegion: 'eu-west-1',
    regions: [...SEEDED.regions],
    checks: [
      { id: 'shop-home', name: 'Shop home', kind: 'http', url: 'http://127.0.0.1:9/' },
      { id: 'shop-cart', name: 'Shop cart', kind: 'http', url: 'http://127.0.0.1:9/cart', frequency: '5m' },
    ],
    maintenance: [
      {
        name: 'db-upgrade',
        start: at(SEEDED.maintenance.day, SEEDED.maintenance.startHour),
        timezone: 'UTC',
        duration: `${SEEDED.maintenance.minutes}m`,
        checks: ['shop-cart'],
      },
      {
        name: 'db-upgrade-2',
        start: at(SEEDED.upcoming.day, SEEDED.upcoming.startHour),
        timezone: 'UTC',
        duration: `${SEEDED.upcoming.minutes}m`,
        checks: ['shop-cart'],
      },
    ],
    statusPage: {
      title: 'Shop status',
      description: 'Live status of the shop',
      components: [
        { name: 'Website', checks: ['shop-home'], description: 'The shop pages' },
        { name: 'Checkout', checks: ['shop-cart'] },
      ],
      groups: [{ name: 'Shop', components: ['Website', 'Checkout'] }],
    },
  };
}

/** {@link seedConfigRaw}, validated. */
export const seedConfig = (now: Date): ValidatedConfig => parseConfig(seedConfigRaw(now));

export interface Seeded {
  config: ValidatedConfig;
  now: Date;
  /** Ids of the incidents written. */
  incidents: { down: string; degraded: string };
}

/** Writes the seed into the table; `now` defaults to the current hour (whole hours keep the figures exact). */
export async function seedStatus(opts: {
  client: DynamoDBClient;
  tableName: string;
  /** Gets the latest states (one fresh passing run per check and region). */
  store?: ResultStore;
  now?: Date;
}): Promise<Seeded> {
  const now = new Date(Math.floor((opts.now ?? new Date()).getTime() / HOUR) * HOUR);
  const config = seedConfig(now);
  const today = Date.parse(dayStr(now.getTime()));
  const items: DayRollup[] = [];
  for (const check of config.checks) {
    const perHour = check.id === 'shop-cart' ? 12 : 60;
    const bucket = bucketOf(SEEDED.latencyMs[check.id as keyof typeof SEEDED.latencyMs]);
    for (const region of SEEDED.regions)
      for (let d = -89; d <= 0; d++) {
        if (check.id === 'shop-home' && d < SEEDED.homeFirstDay) continue;
        const hours: HourRollup[] = Array.from({ length: 24 }, (_, h) => {
          const start = today + d * DAY + h * HOUR;
          if (start >= now.getTime()) return { runs: 0, failures: 0, degraded: 0, latency: new Map() };
          let failures = 0;
          let degraded = 0;
          if (check.id === 'shop-cart' && d === SEEDED.down.day && h === SEEDED.down.startHour)
            failures = SEEDED.down.failedRuns;
          if (check.id === 'shop-home' && d === SEEDED.degraded.day && h === SEEDED.degraded.startHour) degraded = 30;
          return { runs: perHour, failures, degraded, latency: new Map([[bucket, perHour - failures]]) };
        });
        items.push({ checkId: check.id, region, day: dayStr(today + d * DAY), hours });
      }
  }
  for (let i = 0; i < items.length; i += 25)
    await opts.client.send(
      new BatchWriteItemCommand({
        RequestItems: { [opts.tableName]: items.slice(i, i + 25).map((d) => ({ PutRequest: { Item: dayItem(d) } })) },
      }),
    );

  const incidents = new IncidentStore(opts.client, opts.tableName);
  const t = (day: number, hour: number, minute = 0) =>
    new Date(today + day * DAY + hour * HOUR + minute * 60_000).toISOString();
  const { down: dn, degraded: dg } = SEEDED;
  const down = await incidents.open({
    checkId: 'shop-cart',
    components: [],
    severity: 'down',
    title: 'shop-cart is DOWN: CONNECT_REFUSED 127.0.0.1:9',
    startedAt: t(dn.day, dn.startHour),
    source: 'notifier',
    message: 'DOWN because CONNECT_REFUSED at http://127.0.0.1:9/cart in eu-west-1',
  });
  await incidents.addUpdate(down.id, {
    at: t(dn.day, dn.startHour, 10),
    status: 'identified',
    message: 'A faulty payment deploy is being rolled back.',
    by: 'alice',
  });
  await incidents.addUpdate(down.id, {
    at: t(dn.day, dn.startHour, 40),
    status: 'monitoring',
    message: 'Fix deployed, watching the results.',
    by: 'alice',
  });
  await incidents.resolve(down.id, t(dn.day, dn.startHour, dn.minutes));
  const degraded = await incidents.open({
    checkId: 'shop-home',
    components: [],
    severity: 'degraded',
    title: 'shop-home is slow',
    startedAt: t(dg.day, dg.startHour),
    source: 'notifier',
  });
  await incidents.resolve(degraded.id, t(dg.day, dg.startHour, dg.minutes));

  if (opts.store) {
    const results: CheckResult[] = config.checks.flatMap((c) =>
      SEEDED.regions.map((region) => ({
        checkId: c.id,
        kind: c.kind,
        region,
        scheduledAt: new Date(now.getTime() - 60_000).toISOString(),
        startedAt: new Date(now.getTime() - 60_000).toISOString(),
        durationMs: SEEDED.latencyMs[c.id as keyof typeof SEEDED.latencyMs],
        status: 'pass' as const,
        attempts: 1,
        timings: {},
        assertions: [],
        metrics: {},
      })),
    );
    await opts.store.writeResults(results);
  }
  return { config, now, incidents: { down: down.id, degraded: degraded.id } };
}
