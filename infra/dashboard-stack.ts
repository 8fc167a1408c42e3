/**
 * CloudWatch dashboards in the home region. The first, `<project>-watchpost`, opens with the
 * status of every alarm (checks and runners, failing ones first); then, per check, its
 * failures by region and its duration percentiles by region. Large configs continue on
 * `<project>-watchpost-2`, … (a dashboard holds at most 500 widgets and 2,500 metrics; an
 * alarm widget 100 alarms), three dashboards per stack to stay under the template size limit.
 */
import { Duration, Stack, type StackProps } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type { Construct } from 'constructs';
import { checkDimensions, METRIC, METRIC_NAMESPACE } from '../shared/alarms/metrics';
import { dashboardName } from '../shared/alarms/names';
import { alarmPeriodSeconds } from '../shared/alarms/settings';
import type { AlarmSpec } from '../shared/alarms/specs';
import type { ValidatedCheck, ValidatedConfig } from '../shared/config/types';
import { ms } from '../shared/duration';

/** A dashboard holds at most 500 widgets and 2,500 metrics; a page stays well below both, and small. */
export const PAGE_BUDGET = { checks: 50, metrics: 2_000, bytes: 300_000 } as const;
/** Pages per dashboard stack: fixed, so a dashboard never moves between stacks (it keeps its name). */
export const PAGES_PER_STACK = 3;
/** An alarm status widget lists at most 100 alarms. */
export const ALARMS_PER_WIDGET = 100;
export const DURATION_PERCENTILES = ['p50', 'p90', 'p99'] as const;

const checkMetrics = (check: ValidatedCheck) => check.regions.length * (1 + DURATION_PERCENTILES.length);
/** Rough bytes of a check's two graphs in the template (measured, with margin). */
const checkBytes = (check: ValidatedCheck) => 700 + checkMetrics(check) * 300;
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
  return widgets;
}

/** Failures by region and duration percentiles by region for one check. */
export function checkWidgets(config: ValidatedConfig, check: ValidatedCheck): cloudwatch.IWidget[] {
  const period = Duration.seconds(alarmPeriodSeconds(check));
  const metric = (metricName: string, region: string, statistic: string, label: string) =>
    new cloudwatch.Metric({
      namespace: METRIC_NAMESPACE,
      metricName,
      dimensionsMap: checkDimensions(config.project, check.id, region),
      statistic,
      period,
      label,
    });
  const title = check.name !== check.id ? `${check.id}: ${check.name}` : check.id;
  return [
    new cloudwatch.GraphWidget({
      title: `${title} — failed runs by region`,
      left: check.regions.map((r) => metric(METRIC.failed, r, 'Sum', r)),
      leftYAxis: { min: 0, showUnits: false },
      region: config.homeRegion,
      width: 12,
      height: 6,
    }),
    new cloudwatch.GraphWidget({
      title: `${title} — duration by region (ms)`,
      left: check.regions.flatMap((r) => DURATION_PERCENTILES.map((p) => metric(METRIC.duration, r, p, `${r} ${p}`))),
      leftYAxis: { min: 0, showUnits: false },
      leftAnnotations: check.degradedAfter
        ? [
            {
              value: ms(check.degradedAfter),
              label: `degradedAfter ${check.degradedAfter}`,
              color: cloudwatch.Color.ORANGE,
            },
          ]
        : undefined,
      region: config.homeRegion,
      width: 12,
      height: 6,
    }),
  ];
}
