/**
 * The uptime report (`watchpost report`): per check and per region, from the same accounting
 * code as the status page (shared/status/accounting.ts), so the figures agree.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { ValidatedCheck, ValidatedConfig } from '../config/types';
import { IncidentStore } from '../incidents/store';
import { mergeSketch, type Sketch } from '../rollups/sketch';
import { RollupStore } from '../rollups/store';
import {
  checkTimeline,
  DAY,
  dayOf,
  MINUTE,
  maintenanceOccurrences,
  percentiles,
  regionFigures,
  totals,
  UPTIME_DEFINITION,
  uptimePercent,
} from './accounting';

export interface LatencyFigures {
  p50: number | null;
  p95: number | null;
  p99: number | null;
}

export interface CheckReport {
  checkId: string;
  name: string;
  /** null when no minute of the period had data. */
  uptimePercent: number | null;
  /** Minutes of the period (up to now). */
  minutes: number;
  downMinutes: number;
  degradedMinutes: number;
  maintenanceMinutes: number;
  noDataMinutes: number;
  /** The notifier's DOWN and DEGRADED incidents overlapping the period; longest within it. */
  incidents: { count: number; down: number; degraded: number; longestMinutes: number };
  /** Passing and degraded runs, every region, maintenance excluded. */
  latencyMs: LatencyFigures;
  regions: {
    region: string;
    runs: number;
    failures: number;
    degraded: number;
    /** Share of the region's runs that did not fail. */
    successPercent: number | null;
    latencyMs: LatencyFigures;
  }[];
}

export interface UptimeReport {
  period: { from: string; to: string; minutes: number };
  accounting: string;
  checks: CheckReport[];
}

export async function buildReport(opts: {
  config: ValidatedConfig;
  checks: readonly ValidatedCheck[];
  client: DynamoDBClient;
  tableName: string;
  /** ms, start (inclusive; rounded down to a minute). */
  from: number;
  /** ms, end (exclusive; rounded down to a minute). */
  to: number;
}): Promise<UptimeReport> {
  const from = Math.floor(opts.from / MINUTE) * MINUTE;
  const to = Math.max(from, Math.floor(opts.to / MINUTE) * MINUTE);
  const rollups = new RollupStore({ client: opts.client, tableName: opts.tableName });
  const [perCheck, incidents] = await Promise.all([
    Promise.all(opts.checks.map((c) => rollups.read(c.id, dayOf(from), dayOf(Math.max(from, to - 1))))),
    new IncidentStore(opts.client, opts.tableName).list({
      since: new Date(from).toISOString(),
      until: new Date(to).toISOString(),
    }),
  ]);
  const occurrences = maintenanceOccurrences(opts.config, from - DAY, to);
  const checks = opts.checks.map((check, i): CheckReport => {
    const days = perCheck[i]!;
    const t = totals(checkTimeline({ check, from, to, now: to, rollups: days, incidents, maintenance: occurrences }));
    const mine = incidents.filter(
      (x) => x.checkId === check.id && x.source === 'notifier' && (x.severity === 'down' || x.severity === 'degraded'),
    );
    const longest = mine.reduce((m, x) => {
      const end = Math.min(to, x.endedAt ? Date.parse(x.endedAt) : to);
      return Math.max(m, Math.ceil((end - Math.max(from, Date.parse(x.startedAt))) / MINUTE));
    }, 0);
    const regions = regionFigures(check.id, days, occurrences, from, to);
    const all: Sketch = new Map();
    for (const r of regions) mergeSketch(all, r.latency);
    return {
      checkId: check.id,
      name: check.name,
      uptimePercent: uptimePercent(t),
      minutes: t.minutes,
      downMinutes: t.down,
      degradedMinutes: t.degraded,
      maintenanceMinutes: t.maintenance,
      noDataMinutes: t.noData,
      incidents: {
        count: mine.length,
        down: mine.filter((x) => x.severity === 'down').length,
        degraded: mine.filter((x) => x.severity === 'degraded').length,
        longestMinutes: longest,
      },
      latencyMs: percentiles(all),
      regions: regions.map(({ latency, ...r }) => ({ ...r, latencyMs: percentiles(latency) })),
    };
  });
  return {
    period: { from: new Date(from).toISOString(), to: new Date(to).toISOString(), minutes: (to - from) / MINUTE },
    accounting: UPTIME_DEFINITION,
    checks,
  };
}
