/**
 * CloudWatch dashboards in the home region. The first, `<project>-watchpost`, opens with the
 * status of every alarm (checks and runners, failing ones first) and the runners' health per
 * region. Every page then has, per probe region, a Logs Insights table of its checks (runs,
 * failures, duration percentiles, each kind's headline figure, read from the runner's
 * `check result` log lines in that region), and per check a graph of the regions failing and
 * slow (the series its alarms read) and, for kinds with a figure, that figure across regions.
 * Large configs continue on `<project>-watchpost-2`, … (a dashboard holds at most 500 widgets
 * and 2,500 metrics; an alarm widget 100 alarms), three dashboards per stack to stay under the
 * template size limit.
 */
import { Duration, Stack, type StackProps } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type { Construct } from 'constructs';
import {
  checkDimensions,
  METRIC,
  METRIC_NAMESPACE,
  RESULT_LOG_MESSAGE,
  runnerDimensions,
} from '../shared/alarms/metrics';
import { dashboardName, runnerLogGroupName } from '../shared/alarms/names';
import { resolveAlarmSettings } from '../shared/alarms/settings';
import { runsPerPeriod, type AlarmSpec } from '../shared/alarms/specs';
import type { ValidatedCheck, ValidatedConfig } from '../shared/config/types';
import { kindOf, registry } from '../shared/probes/registry';

/** A dashboard holds at most 500 widgets and 2,500 metrics; a page stays well below both, and small. */
export const PAGE_BUDGET = { checks: 50, metrics: 2_000, bytes: 300_000 } as const;
/** Pages per dashboard stack: fixed, so a dashboard never moves between stacks (it keeps its name). */
export const PAGES_PER_STACK = 3;
/** An alarm status widget lists at most 100 alarms. */
export const ALARMS_PER_WIDGET = 100;

/** A kind's headline figures (its declared metrics), e.g. tls `DaysToExpiry`. */
const headline = (check: ValidatedCheck) => kindOf(check, registry)?.metrics ?? [];
const checkMetrics = (check: ValidatedCheck) => 4 + 2 * headline(check).length;
/** Rough bytes of a check's graphs and its share of the region tables in the template (with margin). */
const checkBytes = (check: ValidatedCheck) => 1_200 + checkMetrics(check) * 300 + check.regions.length * 80;
const overviewBytes = (specs: readonly AlarmSpec[]) => 2_000 + specs.reduce((n, s) => n + s.name.length + 120, 0);

/** The enabled checks, page by page in config order; page 1 also carries the alarm overview. */
export function planPages(config: ValidatedConfig, specs: readonly AlarmSpec[]): ValidatedCheck[][] {
  const pages: ValidatedCheck[][] = [[]];
  let bytes = overviewBytes(specs);
  let metrics = 0;
  for (const check of config.checks.filter((c) => c.enabled)) {
    const page = pages[pages.length - 1]!;
    if (
      page.length &&
      (page.length >= PAGE_BUDGET.checks ||
        metrics + checkMetrics(check) > PAGE_BUDGET.metrics ||
        bytes + checkBytes(check) > PAGE_BUDGET.bytes)
    ) {
      pages.push([]);
      bytes = 0;
      metrics = 0;
    }
    pages[pages.length - 1]!.push(check);
    bytes += checkBytes(check);
    metrics += checkMetrics(check);
  }
  return pages;
}

export interface DashboardStackProps extends StackProps {
  config: ValidatedConfig;
  /** Every alarm, checks' and runners' (for the overview on page 1). */
  specs: AlarmSpec[];
  /** All pages (from planPages) and which of them this stack holds (0-based indexes). */
  pages: ValidatedCheck[][];
  pageIndexes: number[];
}

export class DashboardStack extends Stack {
  readonly dashboards: cloudwatch.Dashboard[] = [];

  constructor(scope: Construct, id: string, props: DashboardStackProps) {
    super(scope, id, props);
    const { config, specs, pages } = props;
    for (const index of props.pageIndexes) {
      const rows: cloudwatch.IWidget[][] =
        index === 0 ? overviewWidgets(this, config, specs, pages).map((w) => [w]) : [];
      rows.push([guideWidget()], ...regionTables(config, pages[index]!).map((w) => [w]));
      for (const check of pages[index]!) rows.push(checkWidgets(config, check));
      this.dashboards.push(
        new cloudwatch.Dashboard(this, `Dashboard${index + 1}`, {
          dashboardName: dashboardName(config.project, index),
          defaultInterval: Duration.hours(3),
          widgets: rows,
        }),
      );
    }
  }
}

/** A header and the status of every alarm, failing ones first. */
function overviewWidgets(
  scope: Construct,
  config: ValidatedConfig,
  specs: readonly AlarmSpec[],
  pages: ValidatedCheck[][],
): cloudwatch.IWidget[] {
  const checks = pages.reduce((n, p) => n + p.length, 0);
  const alarms = specs.map((s) => cloudwatch.Alarm.fromAlarmName(scope, `Alarm-${s.key}`, s.name));
  const widgets: cloudwatch.IWidget[] = [
    new cloudwatch.TextWidget({
      markdown: [
        `# watchpost: ${config.project}`,
        `${checks} check(s) probed from ${config.regions.join(', ')}; metrics, alarms and the results table live ` +
          `in ${config.homeRegion}.`,
        pages.length > 1
          ? `More checks: ${pages
              .slice(1)
              .map((_, i) => dashboardName(config.project, i + 1))
              .join(', ')}.`
          : '',
      ]
        .filter(Boolean)
        .join('\n\n'),
      width: 24,
      height: 3,
    }),
  ];
  const parts = Math.ceil(alarms.length / ALARMS_PER_WIDGET);
  for (let i = 0; i < parts; i++) {
    const part = alarms.slice(i * ALARMS_PER_WIDGET, (i + 1) * ALARMS_PER_WIDGET);
    widgets.push(
      new cloudwatch.AlarmStatusWidget({
        title: parts > 1 ? `Alarms (${i + 1} of ${parts})` : 'Alarms',
        alarms: part,
        sortBy: cloudwatch.AlarmStatusWidgetSortBy.STATE_UPDATED_TIMESTAMP,
        width: 24,
        height: Math.min(12, 2 + Math.ceil(part.length / 4)),
      }),
    );
  }
  widgets.push(
    new cloudwatch.GraphWidget({
      title: 'Runner health by region: healthy passes a minute (the RUNNER alarms page below 1 in 3 of 5 minutes)',
      left: config.regions.map(
        (region) =>
          new cloudwatch.Metric({
            namespace: METRIC_NAMESPACE,
            metricName: METRIC.runnerHealth,
            dimensionsMap: runnerDimensions(config.project, region),
            statistic: 'Sum',
            period: Duration.minutes(1),
            label: region,
          }),
      ),
      leftYAxis: { min: 0, showUnits: false },
      region: config.homeRegion,
      width: 24,
      height: 5,
    }),
  );
  return widgets;
}

/** What each kind of widget shows: CloudWatch graphs have titles but no descriptions. */
function guideWidget(): cloudwatch.TextWidget {
  return new cloudwatch.TextWidget({
    markdown: [
      '**How to read this page.** *Region tables* (Logs Insights over each region’s runner log, the dashboard’s',
      'time range): per check its runs, failed runs, duration p50/p90/max in ms and its kind’s figure, worst first.',
      '*Regions failing / slow* (per check): failed and slow runs per alarm period summed over all regions,',
      'the series the DOWN and DEGRADED alarms read; the line marks the quorum. A kind’s figure (e.g.',
      '`DaysToExpiry`): its highest and lowest value across regions per period, the series its alarm reads.',
    ].join(' '),
    width: 24,
    height: 2,
  });
}

/** Logs Insights string literal. */
const literal = (v: string) => JSON.stringify(v);

/**
 * The Logs Insights query of a region table: one row per check of `checks`, worst first. Fields
 * come from the runner's `check result` log line (shared/metrics/datums.ts resultLogFields).
 */
export function regionTableQuery(checks: readonly ValidatedCheck[]): string {
  const figures = [...new Set(checks.flatMap((c) => headline(c).map((m) => m.name)))];
  const stats = [
    'count(*) as runs',
    'sum(failed) as failed',
    'pct(durationMs, 50) as p50ms',
    'pct(durationMs, 90) as p90ms',
    'max(durationMs) as maxms',
    ...figures.map((f) => `min(metrics.${f}) as min${f}, max(metrics.${f}) as max${f}`),
  ];
  return [
    `filter message = ${literal(RESULT_LOG_MESSAGE)} and checkId in [${checks.map((c) => literal(c.id)).join(', ')}]`,
    `stats ${stats.join(', ')} by checkId`,
    'sort failed desc, p90ms desc',
  ].join('\n| ');
}

/** Per probe region with checks on this page, a table of them from that region's runner log. */
function regionTables(config: ValidatedConfig, checks: readonly ValidatedCheck[]): cloudwatch.IWidget[] {
  return config.regions.flatMap((region) => {
    const here = checks.filter((c) => c.regions.includes(region));
    if (!here.length) return [];
    return [
      new cloudwatch.LogQueryWidget({
        title: `${region}: runs, failures and durations (ms) per check, from the runner's log there`,
        logGroupNames: [runnerLogGroupName(config.project)],
        region,
        queryString: regionTableQuery(here),
        view: cloudwatch.LogQueryVisualizationType.TABLE,
        width: 24,
        height: Math.min(12, 3 + Math.ceil(here.length / 2)),
      }),
    ];
  });
}

/** Per check: regions failing and slow (what its alarms read), and its kind's figure across regions. */
export function checkWidgets(config: ValidatedConfig, check: ValidatedCheck): cloudwatch.IWidget[] {
  const { quorum, periodSeconds } = resolveAlarmSettings(check);
  const period = Duration.seconds(periodSeconds);
  const runs = runsPerPeriod(check, periodSeconds);
  const metric = (metricName: string, statistic: string, label: string) =>
    new cloudwatch.Metric({
      namespace: METRIC_NAMESPACE,
      metricName,
      dimensionsMap: checkDimensions(config.project, check.id),
      statistic,
      period,
      label,
    });
  // Only failed (slow) runs publish a datum: draw the periods without one as 0.
  const filled = (id: string, metricName: string, label: string) =>
    new cloudwatch.MathExpression({
      expression: `FILL(${id}, 0)`,
      usingMetrics: { [id]: metric(metricName, 'Sum', metricName) },
      period,
      label,
    });
  const title = check.name !== check.id ? `${check.id}: ${check.name}` : check.id;
  const perRun = runs > 1 ? ` (${runs} runs a region per period)` : '';
  const widgets: cloudwatch.IWidget[] = [
    new cloudwatch.GraphWidget({
      title: `${title} — failed and slow runs per period, all ${check.regions.length} region(s)${perRun}`,
      left: [
        filled('f', METRIC.failed, 'failed runs (DOWN)'),
        ...(check.degradedAfter
          ? [filled('s', METRIC.slow, `runs slower than ${check.degradedAfter} (DEGRADED)`)]
          : []),
      ],
      leftYAxis: { min: 0, showUnits: false },
      leftAnnotations: [{ value: quorum * runs, label: `quorum: ${quorum} region(s)`, color: cloudwatch.Color.RED }],
      region: config.homeRegion,
      width: headline(check).length ? 12 : 24,
      height: 5,
    }),
  ];
  const figures = headline(check);
  if (figures.length)
    widgets.push(
      new cloudwatch.GraphWidget({
        title: `${title} — ${figures.map((f) => f.name).join(', ')}: highest and lowest across regions`,
        left: figures.flatMap((f) => [
          metric(f.name, 'Maximum', `${f.name} highest`),
          metric(f.name, 'Minimum', `${f.name} lowest`),
        ]),
        leftYAxis: { showUnits: false },
        region: config.homeRegion,
        width: 12,
        height: 5,
      }),
    );
  return widgets;
}
