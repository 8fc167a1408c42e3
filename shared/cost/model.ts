/**
 * The monthly bill of a config, computed from the same definitions the CDK app deploys: the
 * alarm specs (shared/alarms/specs.ts), the metric contract (shared/alarms/metrics.ts), the
 * runner plan (shared/runner/plan.ts), the kinds' cost profiles (./kinds.ts) and the dated price
 * table (./prices.ts). One source for `watchpost cost`, `cdk synth`'s one-line estimate and the
 * deploy guide's cost section (`npm run docs:cost`).
 */
import { checkAlarmSpecs } from '../alarms/specs';
import type { ValidatedCheck, ValidatedConfig } from '../config/types';
import { ms } from '../duration';
import { kindOf } from '../probes/registry';
import { runSecretNames } from '../runner/run-check';
import { PASS_ASSUMPTIONS, planRunners } from '../runner/plan';
import { DEFAULT_KIND_COST, KIND_COSTS, type CostItem } from './kinds';
import { PRICES_AS_OF, pricesFor } from './prices';

export type { CostItem } from './kinds';

/** What the estimate assumes; printed with it. */
export const ASSUMPTIONS = {
  /** A month of 30 days. */
  monthMinutes: 43_200,
  /** Hours of a month: metrics are prorated by the hour. */
  monthHours: 730,
  /** Share of hours in which a check has a failed (or a slow) run: only then do `Failed`/`Slow` receive data. */
  eventHourShare: 0.02,
  /** Write units of the daily rollup update per result (statusdata; an item of up to 2 KB). */
  rollupWru: 2,
  /** Rollup items are kept this many days (their TTL), one per check, region and day, ≤ 2 KB. */
  rollupDays: 400,
  rollupBytes: 2_048,
  /** The runner's log line per result (`check result`) and per pass, bytes. */
  resultLogBytes: 400,
  passLogBytes: 600,
  /** Log groups keep 30 days: a month's lines are stored for about a month. */
  logMonthsStored: 1,
  /** A Lambda container re-reads a secret every 5 minutes (functions/lib/bootstrap.ts). */
  secretReadsPerHour: 12,
} as const;

export interface CheckCost {
  id: string;
  monthlyUsd: number;
  items: CostItem[];
}

export interface CostReport {
  checks: CheckCost[];
  fixedMonthlyUsd: number;
  totalMonthlyUsd: number;
  pricesAsOf: string;
}

/** The report with what the text output adds: fixed items and the assumptions, in words. */
export interface CostEstimate extends CostReport {
  fixed: CostItem[];
  assumptions: string[];
}

const GB = 1024 ** 3;
/** Checks on one dashboard page (infra/dashboard-stack.ts PAGE_BUDGET.checks). */
export const DASHBOARD_CHECKS = 50;
const round = (n: number, digits: number) => Math.round(n * 10 ** digits) / 10 ** digits;
const usd = (n: number) => round(n, 2);

function item(
  service: string,
  what: string,
  region: string,
  quantity: number,
  unit: string,
  unitUsd: number,
): CostItem {
  return {
    service,
    item: what,
    region,
    quantity: round(quantity, 4),
    unit,
    unitUsd,
    monthlyUsd: round(quantity * unitUsd, 4),
  };
}

/** Runs a month of a check in one region. */
export const runsPerMonth = (check: Pick<ValidatedCheck, 'frequency'>) =>
  (ASSUMPTIONS.monthMinutes * 60_000) / ms(check.frequency);

/** Write units of an item of `bytes` (1 KB each, rounded up). */
const wru = (bytes: number) => Math.max(1, Math.ceil(bytes / 1024));

/** The estimate of a validated config; throws PriceError for a region without prices. */
export function estimateCost(config: ValidatedConfig): CostEstimate {
  const home = config.homeRegion;
  const hp = pricesFor(home);
  const prices = (r: string) => pricesFor(r);
  for (const r of config.regions) prices(r);
  const plans = new Map(planRunners(config).map((p) => [p.region, p]));
  const retentionMonths = ms(config.retention) / (ASSUMPTIONS.monthMinutes * 60_000);
  const enabled = config.checks.filter((c) => c.enabled);

  // Lambda: a pass's time beyond its fixed tail is shared by its runs.
  const regionRuns = new Map(config.regions.map((r) => [r, 0]));
  for (const c of enabled) for (const r of c.regions) regionRuns.set(r, (regionRuns.get(r) ?? 0) + runsPerMonth(c));
  const lambdaGbs = (region: string, part: 'tail' | 'runs') => {
    const p = plans.get(region)!;
    const invocations = p.invocationsPerMinute * ASSUMPTIONS.monthMinutes;
    const tail = Math.min(PASS_ASSUMPTIONS.tailMs, p.expectedBilledMsPerInvocation);
    const msEach = part === 'tail' ? tail : p.expectedBilledMsPerInvocation - tail;
    return (invocations * msEach * p.memoryMb) / 1000 / 1024;
  };

  const checks: CheckCost[] = enabled.map((check) => {
    const profile = KIND_COSTS[check.kind] ?? DEFAULT_KIND_COST;
    const runs = runsPerMonth(check);
    const total = runs * check.regions.length;
    const items: CostItem[] = [];
    const kind = kindOf(check);
    // Metrics: one series per name for all regions; Failed and Slow receive data only in bad hours.
    const eventMonths = ASSUMPTIONS.eventHourShare;
    items.push(
      item(
        'CloudWatch metrics',
        'Failed (hours with a failed run)',
        home,
        eventMonths,
        'metric-months',
        hp.metricMonth,
      ),
    );
    if (check.degradedAfter)
      items.push(
        item('CloudWatch metrics', 'Slow (hours with a slow run)', home, eventMonths, 'metric-months', hp.metricMonth),
      );
    for (const m of kind?.metrics ?? [])
      items.push(item('CloudWatch metrics', `${m.name} (every run)`, home, 1, 'metric-months', hp.metricMonth));
    for (const spec of checkAlarmSpecs(config, check)) {
      const anomaly = spec.anomalyBand !== undefined;
      const what = `${spec.type === 'kind' ? spec.key.split(':')[2]!.toUpperCase() : spec.type.toUpperCase()} alarm`;
      items.push(
        anomaly
          ? item('CloudWatch alarms', `${what} (anomaly band)`, home, 1, 'alarms', hp.anomalyAlarmMonth)
          : item('CloudWatch alarms', what, home, spec.metrics.length, 'alarm metrics', hp.alarmMetricMonth),
      );
    }
    const perRun = wru(profile.resultBytes) * 2 + ASSUMPTIONS.rollupWru;
    items.push(
      item(
        'DynamoDB',
        'writes: history + latest state + daily rollup',
        home,
        (total * perRun) / 1e6,
        'million WRU',
        hp.dynamoWriteMillion,
      ),
      item('DynamoDB', 'reads: latest state before each write', home, total / 1e6, 'million RRU', hp.dynamoReadMillion),
    );
    const storedGb =
      (total * retentionMonths * profile.resultBytes +
        check.regions.length * ASSUMPTIONS.rollupDays * ASSUMPTIONS.rollupBytes) /
      GB;
    items.push(
      item('DynamoDB', 'storage: history and rollups', home, storedGb, 'GB-months', hp.dynamoStorageGbMonth),
      item('DynamoDB', 'point-in-time recovery', home, storedGb, 'GB-months', hp.dynamoPitrGbMonth),
    );
    for (const region of check.regions) {
      const p = prices(region);
      const logGb = (runs * ASSUMPTIONS.resultLogBytes) / GB;
      items.push(item('CloudWatch Logs', 'result lines: ingestion', region, logGb, 'GB', p.logsIngestGb));
      items.push(
        item(
          'CloudWatch Logs',
          'result lines: storage',
          region,
          logGb * ASSUMPTIONS.logMonthsStored,
          'GB-months',
          p.logsStoreGbMonth,
        ),
      );
      const share = runs / (regionRuns.get(region) || 1);
      items.push(
        item(
          'Lambda',
          'runner time (its share of the passes)',
          region,
          lambdaGbs(region, 'runs') * share,
          'GB-s',
          p.lambdaGbSecond,
        ),
      );
      if (region !== home)
        items.push(
          item(
            'Data transfer',
            `to the table in ${home}`,
            region,
            (runs * (2 * profile.resultBytes + 1024)) / GB,
            'GB',
            p.interRegionGb,
          ),
        );
    }
    const byRegion = new Map(check.regions.map((r) => [r, runs]));
    items.push(...(profile.extra?.(check, byRegion, prices) ?? []));
    const kept = items.filter((i) => i.quantity > 0);
    return { id: check.id, monthlyUsd: usd(kept.reduce((n, i) => n + i.monthlyUsd, 0)), items: kept };
  });

  const fixed: CostItem[] = [];
  for (const region of config.regions) {
    const p = prices(region);
    const plan = plans.get(region)!;
    const invocations = plan.invocationsPerMinute * ASSUMPTIONS.monthMinutes;
    fixed.push(
      item('Lambda', 'runner requests', region, invocations / 1e6, 'million requests', p.lambdaRequestsMillion),
      item(
        'Lambda',
        `runner passes: claim, store, publish (${plan.memoryMb} MB)`,
        region,
        lambdaGbs(region, 'tail'),
        'GB-s',
        p.lambdaGbSecond,
      ),
      item('DynamoDB', `pass claims (${region})`, home, invocations / 1e6, 'million WRU', hp.dynamoWriteMillion),
      item('CloudWatch metrics', `RunnerHealth ${region}`, home, 1, 'metric-months', hp.metricMonth),
      item(
        'CloudWatch metrics',
        `PutMetricData calls from ${region}`,
        home,
        invocations / 1000,
        'thousand requests',
        hp.putMetricDataThousand,
      ),
      item('CloudWatch alarms', `RUNNER ${region}`, home, 1, 'alarm metrics', hp.alarmMetricMonth),
      item(
        'CloudWatch Logs',
        'pass lines: ingestion',
        region,
        (invocations * ASSUMPTIONS.passLogBytes) / GB,
        'GB',
        p.logsIngestGb,
      ),
    );
  }
  const schedulerInvocations = config.regions.reduce(
    (n, r) => n + plans.get(r)!.invocationsPerMinute * ASSUMPTIONS.monthMinutes,
    0,
  );
  const billedScheduler = Math.max(0, schedulerInvocations / 1e6 - hp.schedulerFreeMillions);
  fixed.push(
    item(
      'EventBridge Scheduler',
      'runner schedules (14 million free a month)',
      home,
      billedScheduler,
      'million invocations',
      hp.schedulerMillion,
    ),
  );
  const secrets = new Set(enabled.flatMap((c) => [...runSecretNames(c)]));
  if (secrets.size) {
    fixed.push(item('Secrets Manager', `${secrets.size} secret(s)`, home, secrets.size, 'secrets', hp.secretMonth));
    const reads = config.regions.reduce((n, r) => {
      const names = new Set(enabled.filter((c) => c.regions.includes(r)).flatMap((c) => [...runSecretNames(c)]));
      return (
        n + names.size * plans.get(r)!.invocationsPerMinute * ASSUMPTIONS.secretReadsPerHour * ASSUMPTIONS.monthHours
      );
    }, 0);
    fixed.push(
      item(
        'Secrets Manager',
        'reads (one per container every 5 min)',
        home,
        reads / 10_000,
        '10,000 calls',
        hp.secretCallsTenThousand,
      ),
    );
  }
  fixed.push(item('KMS', 'topic key: AWS managed (alias/aws/sns)', home, 0, 'keys', hp.kmsKeyMonth));
  // infra/dashboard-stack.ts planPages: at most 50 checks a page (fewer only for checks with huge graphs).
  const dashboards = Math.max(1, Math.ceil(enabled.length / DASHBOARD_CHECKS));
  fixed.push(
    item(
      'CloudWatch dashboards',
      `${dashboards} dashboard(s), ${hp.freeDashboards} free`,
      home,
      Math.max(0, dashboards - hp.freeDashboards),
      'dashboards',
      hp.dashboardMonth,
    ),
  );
  const fixedMonthlyUsd = usd(fixed.reduce((n, i) => n + i.monthlyUsd, 0));
  const checksUsd = checks.reduce((n, c) => n + c.monthlyUsd, 0);
  return {
    checks,
    fixedMonthlyUsd,
    totalMonthlyUsd: usd(checksUsd + fixedMonthlyUsd),
    pricesAsOf: PRICES_AS_OF,
    fixed,
    assumptions: assumptionLines(config, plans),
  };
}

function assumptionLines(
  config: ValidatedConfig,
  plans: Map<string, ReturnType<typeof planRunners>[number]>,
): string[] {
  const a = ASSUMPTIONS;
  return [
    `AWS list prices as of ${PRICES_AS_OF} (shared/cost/prices.ts), before free tiers; a month is 30 days ` +
      `(${a.monthHours} metric hours)`,
    `result items (JSON + attributes): ${Object.entries(KIND_COSTS)
      .map(([k, p]) => `${k} ${p.resultBytes} B`)
      .join(', ')}; history kept ${config.retention}`,
    `per run: history and latest-state puts (1 KB write units each), a daily-rollup update (${a.rollupWru} WRU), ` +
      `one consistent read; all in ${config.homeRegion}`,
    `Failed and Slow receive data only in hours with a failed or slow run: ${a.eventHourShare * 100}% of hours`,
    `runner log lines: ${a.resultLogBytes} B per result, ${a.passLogBytes} B per pass, kept 30 days`,
    ...[...plans.values()].map(
      (p) =>
        `${p.region}: ${p.invocationsPerMinute} runner invocation(s) a minute, ${p.memoryMb} MB, ` +
        `~${p.expectedBilledMsPerInvocation} ms billed each (shared/runner/plan.ts)`,
    ),
    'not included: SMS and other SNS deliveries (per message, by country), the notifier (runs only on alarm ' +
      'changes), heartbeat pings, Logs Insights queries from the dashboard ($0.005 per GB scanned), taxes',
  ];
}
