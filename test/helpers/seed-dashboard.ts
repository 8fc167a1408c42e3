/**
 * Seeds a store with what the dashboard's check page shows: two hours of one-minute runs of an
 * http check (dns/connect/ttfb/total phases) with a 10-minute outage whose error text carries a
 * secret (a run stored before the secret was known), and a tls check with days to expiry.
 * Results go through the rollup writer and the local incident recorder, as `watchpost dev` does.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { parseConfig } from '../../shared/config/validate';
import { recordLocalResult } from '../../shared/incidents/recorder';
import { IncidentStore } from '../../shared/incidents/store';
import { storeWithRollups } from '../../shared/rollups/store';
import type { ResultStore } from '../../shared/store/types';
import type { CheckResult, CheckStatus } from '../../shared/types';

export const SECRET = 'sk_live_dashboard_9f8e7d';
export const SECRET_ENV = 'WATCHPOST_SECRET_SHOP_API_TOKEN';

export const dashboardConfig = () =>
  parseConfig({
    project: 'shop',
    homeRegion: 'eu-central-1',
    regions: ['eu-central-1'],
    checks: [
      {
        id: 'shop-api',
        name: 'Shop API',
        kind: 'http',
        url: 'http://127.0.0.1:9/api',
        headers: { authorization: { secret: 'SHOP_API_TOKEN' } },
      },
      { id: 'shop-cert', name: 'Shop certificate', kind: 'tls', host: '127.0.0.1', port: 9 },
    ],
  });

const MIN = 60_000;

function run(checkId: string, kind: string, at: number, status: CheckStatus, extra: Partial<CheckResult>): CheckResult {
  return {
    checkId,
    kind,
    region: 'local',
    scheduledAt: new Date(at).toISOString(),
    startedAt: new Date(at).toISOString(),
    durationMs: 100,
    status,
    attempts: 1,
    timings: {},
    assertions: [],
    metrics: {},
    ...extra,
  };
}

/** Runs minutes `now-120 … now-1`; shop-api fails from -60 to -51 (10 runs) and is slow at -20. */
export function seededRuns(now: number): CheckResult[] {
  const start = Math.floor(now / MIN) * MIN - 120 * MIN;
  const out: CheckResult[] = [];
  for (let i = 0; i < 120; i++) {
    const at = start + i * MIN;
    const down = i >= 60 && i < 70;
    const slow = i === 100;
    const dns = 2 + (i % 3);
    const connect = 5 + (i % 4);
    const ttfb = slow ? 2400 : 60 + ((i * 7) % 40);
    const timings: Record<string, number> = down
      ? { dns, connect, total: dns + connect }
      : { dns, connect, ttfb, total: dns + connect + ttfb };
    out.push(
      run('shop-api', 'http', at, down ? 'fail' : slow ? 'degraded' : 'pass', {
        durationMs: timings.total,
        timings,
        ...(down
          ? {
              error: { code: 'HTTP', message: `HTTP 503 from http://127.0.0.1:9/api (token ${SECRET} rejected)` },
              assertions: [{ source: 'status', comparison: 'equals', target: 200, actual: 503, pass: false }],
              details: { statusCode: 503 },
            }
          : {}),
        ...(slow ? { degraded: { code: 'SLOW', message: 'took 2.4 s (degradedAfter 1s)' } } : {}),
      }),
    );
    if (i % 10 === 0)
      out.push(
        run('shop-cert', 'tls', at, 'pass', {
          timings: { connect: 3, tls: 9, total: 12 },
          metrics: { DaysToExpiry: 40 - i / 60 },
        }),
      );
  }
  return out;
}

/** Stores the runs (history, latest state, rollups) and records incidents at each state change. */
export async function seedDashboard(t: { store: ResultStore; client: DynamoDBClient; tableName: string }, now: number) {
  const runs = seededRuns(now);
  const store = storeWithRollups(t);
  const incidents = new IncidentStore(t.client, t.tableName);
  const last = new Map<string, CheckStatus>();
  for (const r of runs) {
    const report = await store.writeResults([r]);
    if (report.failed.length) throw new Error(`seed: ${report.failed[0]!.reason}`);
    const prev = last.get(r.checkId);
    if (prev !== r.status) await recordLocalResult(incidents, r, prev ? { status: prev } : undefined);
    last.set(r.checkId, r.status);
  }
  return runs;
}
