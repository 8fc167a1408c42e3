/**
 * The payload of the dashboard's per-check page (`/api/check/<id>`): runs for the response-time
 * chart (one series per phase), the state-change events, uptime from the status page's accounting
 * (shared/status/report.ts, so the figures agree with `watchpost report`), the kind's own figures
 * and the last failure whole. The caller redacts it.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { ValidatedCheck, ValidatedConfig } from '../../config/types';
import { ms } from '../../duration';
import { probeKind } from '../../probes/registry';
import { UPTIME_DEFINITION } from '../../status/accounting';
import { buildReport } from '../../status/report';
import type { ResultStore } from '../../store/types';
import { codeWord, type CheckResult } from '../../types';

const HOUR = 3_600_000;
/** The chart's time ranges, shortest first; `24h` is the default. */
export const RANGES: Record<string, number> = { '1h': HOUR, '6h': 6 * HOUR, '24h': 24 * HOUR, '7d': 7 * 24 * HOUR };
/** Runs read at most for one page: a 1-minute check in 2 regions over 7 days would be 20,160. */
export const MAX_RUNS = 3_000;
/** Uptime periods shown, as `watchpost report --since` would compute them. */
const UPTIME_PERIODS: Array<[string, number]> = [
  ['24 h', 24 * HOUR],
  ['7 d', 7 * 24 * HOUR],
  ['30 d', 30 * 24 * HOUR],
];

/** A figure label from a metric name: `DaysToExpiry` → `days to expiry`. */
export const figureLabel = (name: string) =>
  name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .replace(/^smtp/, 'SMTP');

/** Why a run is not passing, in the words pages use. */
function reason(r: CheckResult): { code: string; word: string; message: string } | undefined {
  if (r.error) return { code: r.error.code, word: codeWord(r.error.code), message: r.error.message };
  if (r.status === 'degraded') {
    const d = r.degraded ?? { code: 'SLOW', message: `took ${r.durationMs} ms` };
    return { code: d.code, word: codeWord(d.code), message: d.message };
  }
  return undefined;
}

/** Status changes per region, newest first; a region's first run in the range is not a change. */
function stateChanges(runs: readonly CheckResult[]) {
  const last = new Map<string, CheckResult>();
  const events = [];
  for (const r of runs) {
    const prev = last.get(r.region);
    last.set(r.region, r);
    if (!prev || prev.status === r.status) continue;
    events.push({
      at: r.scheduledAt,
      region: r.region,
      from: prev.status,
      to: r.status,
      // How long the previous state had lasted is on the page as "after".
      reason: reason(r),
    });
  }
  return events.reverse();
}

/** Uptime over 24 h, 7 d and 30 d from the daily rollups and incidents; unavailable without the table. */
async function uptime(config: ValidatedConfig, check: ValidatedCheck, table: DashboardTable | undefined, now: number) {
  if (!table) return { unavailable: 'no results table to read rollups from' };
  const periods = await Promise.all(
    UPTIME_PERIODS.map(async ([label, span]) => {
      const report = await buildReport({ config, checks: [check], ...table, from: now - span, to: now });
      const c = report.checks[0]!;
      return {
        label,
        percent: c.uptimePercent,
        downMinutes: c.downMinutes,
        degradedMinutes: c.degradedMinutes,
        maintenanceMinutes: c.maintenanceMinutes,
        noDataMinutes: c.noDataMinutes,
        incidents: c.incidents.count,
      };
    }),
  );
  return { periods, accounting: UPTIME_DEFINITION };
}

export interface DashboardTable {
  client: DynamoDBClient;
  tableName: string;
}

/** Everything the per-check page shows, not yet redacted. */
export async function checkView(opts: {
  config: ValidatedConfig;
  check: ValidatedCheck;
  store: ResultStore;
  table?: DashboardTable;
  rangeMs: number;
  now?: number;
}) {
  const { config, check, store } = opts;
  const now = opts.now ?? Date.now();
  const from = now - opts.rangeMs;
  const regions = check.regions;
  // Enough runs for the range at the check's frequency, in every region, and a margin for retried passes.
  const want = Math.ceil(opts.rangeMs / Math.max(ms(check.frequency), 60_000) + 2) * Math.max(1, regions.length);
  const limit = Math.min(MAX_RUNS, Math.max(50, want));
  const [newestFirst, latest, up] = await Promise.all([
    store.history(check.id, { limit }),
    store.latest([check.id]),
    uptime(config, check, opts.table, now),
  ]);
  const inRange = newestFirst.filter((r) => Date.parse(r.scheduledAt) >= from).reverse();
  const lastFailed = newestFirst.find((r) => r.status === 'fail');
  const kind = probeKind(check.kind);
  const phases = [...new Set(inRange.flatMap((r) => Object.keys(r.timings ?? {})))];
  const counted = { runs: inRange.length, failures: 0, degraded: 0 };
  for (const r of inRange) {
    if (r.status === 'fail') counted.failures++;
    if (r.status === 'degraded') counted.degraded++;
  }
  return {
    check: {
      id: check.id,
      name: check.name,
      kind: check.kind,
      enabled: check.enabled,
      target: kind.target(check),
      frequency: check.frequency,
      regions,
      figures: (kind.metrics ?? []).map((m) => ({ name: m.name, label: figureLabel(m.name), unit: m.unit })),
    },
    range: { from: new Date(from).toISOString(), to: new Date(now).toISOString() },
    // Every region's state, even one that has not run yet.
    latest: latest.map((s) => ({
      region: s.region,
      status: s.status,
      since: s.since,
      consecutiveFailures: s.consecutiveFailures,
      lastScheduledAt: s.lastScheduledAt,
      durationMs: s.lastResult.durationMs,
      metrics: s.lastResult.metrics ?? {},
      reason: reason(s.lastResult),
    })),
    phases,
    runs: inRange.map((r) => ({
      at: r.scheduledAt,
      region: r.region,
      status: r.status,
      durationMs: r.durationMs,
      timings: r.timings ?? {},
      metrics: r.metrics ?? {},
      reason: reason(r)?.word,
    })),
    // True when the range holds more runs than one page reads: the chart starts later than the range.
    truncated: newestFirst.length >= limit && inRange.length === newestFirst.length,
    stats: {
      ...counted,
      successPercent: counted.runs ? Math.floor(((counted.runs - counted.failures) / counted.runs) * 1e5) / 1e3 : null,
    },
    uptime: up,
    events: stateChanges(inRange),
    lastFailure: lastFailed && {
      at: lastFailed.scheduledAt,
      region: lastFailed.region,
      durationMs: lastFailed.durationMs,
      attempts: lastFailed.attempts,
      reason: reason(lastFailed),
      // Failed assertions first: they are the why.
      assertions: [...lastFailed.assertions].sort((a, b) => Number(a.pass) - Number(b.pass)),
      timings: lastFailed.timings ?? {},
      details: lastFailed.details ?? {},
    },
  };
}
