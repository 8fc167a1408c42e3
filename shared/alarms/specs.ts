/**
 * The alarm seam: a pure function from a validated config (and the probe registry) to the
 * alarms watchpost keeps — per check DOWN (quorum of regions failing), DEGRADED (runs slower
 * than `degradedAfter` in a quorum of regions) and the kind's own alarms, plus one RUNNER
 * health alarm per probe region. A check alarm reads ONE series that all its regions publish
 * into (shared/alarms/metrics.ts): a period's `Sum` of `Failed` is the number of regions whose
 * run failed, so the quorum is a plain threshold and each alarm costs one alarm metric. The CDK
 * app renders these specs as CloudWatch alarms in the home region; a notifier can read the same
 * specs to explain a page. Names and descriptions are written for the on-call person: an SMS
 * carries little more than the alarm name.
 */
import type { Severity, ValidatedCheck, ValidatedConfig } from '../config/types';
import { formatDuration, ms } from '../duration';
import { registry as defaultRegistry, kindOf } from '../probes/registry';
import type { KindAlarm, ProbeKind } from '../probes/types';
import { tableName } from '../store/table';
import { checkDimensions, METRIC, METRIC_NAMESPACE, runnerDimensions } from './metrics';
import { dashboardName, runnerFunctionName } from './names';
import { MAX_EVALUATION_SECONDS, resolveAlarmSettings } from './settings';

export type AlarmType = 'down' | 'degraded' | 'kind' | 'runner';
export type AlarmComparison = KindAlarm['comparison'] | 'LessThanLowerOrGreaterThanUpperThreshold';
export type MissingData = NonNullable<KindAlarm['treatMissingData']>;

/** One metric an alarm reads. */
export interface AlarmMetric {
  /** Id used in the expression, e.g. `f0`. */
  id: string;
  metricName: string;
  dimensions: Record<string, string>;
  /** `Maximum`, `p90`, … */
  statistic: string;
  /**
   * The region whose runner publishes the series (runner health); absent for a check's series,
   * which every region feeds.
   */
  region?: string;
}

export interface AlarmSpec {
  /**
   * Stable and unique within a config: `down:<checkId>`, `degraded:<checkId>`, `kind:<checkId>:<name>`,
   * `runner:<region>`.
   */
  key: string;
  type: AlarmType;
  /** The check it watches (absent for runner alarms). */
  checkId?: string;
  /** The probe region it watches (runner alarms only). */
  region?: string;
  /** CloudWatch alarm name (≤ 255 characters): what broke, where, how badly. */
  name: string;
  /** CloudWatch alarm description (≤ 1024 characters): rule, regions, target, runbook. */
  description: string;
  /** Which topic it pages. */
  severity: Severity;
  namespace: string;
  metrics: AlarmMetric[];
  /** Metric math over `metrics` that the alarm watches; absent: the alarm watches `metrics[0]` directly. */
  expression?: string;
  /** Label of the expression's series (graphs). */
  label: string;
  periodSeconds: number;
  comparison: AlarmComparison;
  threshold: number;
  evaluationPeriods: number;
  datapointsToAlarm: number;
  treatMissingData: MissingData;
  /**
   * An anomaly detection alarm: fires when the watched series leaves a band this many standard deviations wide
   * (`threshold` unused).
   */
  anomalyBand?: number;
  /** Whether the OK transition is announced on the same topic (recovery). */
  okActions: boolean;
}

/** Runner health: a healthy pass in 3 of every 5 minutes or it pages. */
/**
 * The runner health alarm. Each shard of a region publishes its share (1 / shards) of a healthy
 * minute, once (duplicated deliveries are claimed away): a minute is healthy when the Sum reaches
 * 1 — `healthySum` allows for floating point and still tells one missing shard of up to 999.
 */
export const RUNNER_HEALTH = {
  periodSeconds: 60,
  evaluationPeriods: 5,
  datapointsToAlarm: 3,
  healthySum: 0.999,
} as const;
/**
 * Runs a region makes in one alarm period: 1, or more for a sub-minute frequency (a period is at
 * least a minute). A check alarm's threshold is quorum × this, so N regions failing every run
 * of the period meet a quorum of N, and one region alone never meets a quorum of 2.
 */
export function runsPerPeriod(check: Pick<ValidatedCheck, 'frequency'>, periodSeconds: number): number {
  return Math.max(1, Math.round((periodSeconds * 1000) / ms(check.frequency)));
}

const MAX_NAME = 255;
const MAX_DESCRIPTION = 1024;

type Kinds = ReadonlyMap<string, ProbeKind>;

/** No control characters, single spaces, no credentials inside URLs. */
function clean(text: string): string {
  return text
    .replace(/[\u0000-\u001f\u007f]+/g, ' ')
    .replace(/\/\/[^/@\s]+@/g, '//')
    .replace(/\s+/g, ' ')
    .trim();
}

/** `head - tail`, shortening the tail (never the head) to fit `max`. */
function fit(head: string, tail: string, max: number): string {
  const sep = ' - ';
  const room = max - head.length - sep.length;
  if (!tail || room < 8) return clip(head, max);
  return `${head}${sep}${clip(tail, room)}`;
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 3)}...`;
}

/** `id (name)`; alarm names clip a long name (the description has it whole) to leave room for the target. */
const checkLabel = (check: ValidatedCheck, max = Infinity) =>
  check.name && check.name !== check.id ? `${check.id} (${clip(clean(check.name), max)})` : check.id;

/** `in eu-central-1`, `in all 3 regions`, `in >=2 of 3 regions`. */
function whereText(regions: readonly string[], quorum: number): string {
  if (regions.length === 1) return `in ${regions[0]}`;
  if (quorum >= regions.length) return `in all ${regions.length} regions`;
  return `in >=${quorum} of ${regions.length} regions`;
}

/** `its region (eu-central-1)`, `all 3 of its regions (…)`, `at least 2 of its 3 regions (…)`. */
function quorumText(regions: readonly string[], quorum: number): string {
  const list = `(${regions.join(', ')})`;
  if (regions.length === 1) return `its region ${list}`;
  if (quorum >= regions.length) return `all ${regions.length} of its regions ${list}`;
  return `at least ${quorum} of its ${regions.length} regions ${list}`;
}

/** `2 of the last 3 periods of 1m`. */
function windowText(datapoints: number, periods: number, periodSeconds: number): string {
  const p = formatDuration(periodSeconds * 1000);
  return periods === 1 ? `the last period of ${p}` : `${datapoints} of the last ${periods} periods of ${p}`;
}

function footer(config: ValidatedConfig, check: ValidatedCheck): string {
  return [
    `Runbook: ${check.runbook ? clip(check.runbook, 400) : 'none (set runbook on the check)'}`,
    `History: DynamoDB table ${tableName(config.project)}, pk RUN#${check.id}. ` +
      `Dashboard: ${dashboardName(config.project)}.`,
  ].join('\n');
}

/** The rule lines, shortened if need be so that the footer (runbook, where to look) always fits. */
function describe(lines: string[], tail: string): string {
  return `${clip(lines.join('\n'), MAX_DESCRIPTION - tail.length - 1)}\n${tail}`;
}

/** The alarms of one check (none when it is disabled). */
export function checkAlarmSpecs(
  config: ValidatedConfig,
  check: ValidatedCheck,
  kinds: Kinds = defaultRegistry,
): AlarmSpec[] {
  if (!check.enabled) return [];
  const kind = kindOf(check, kinds);
  const target = clean(kind ? kind.target(check) : check.kind);
  const { quorum, datapoints, periods, periodSeconds } = resolveAlarmSettings(check);
  const regions = check.regions;
  const label = checkLabel(check);
  const short = checkLabel(check, 60);
  const where = whereText(regions, quorum);
  const window = windowText(datapoints, periods, periodSeconds);
  const series = (id: string, metricName: string, statistic: string): AlarmMetric[] => [
    { id, metricName, dimensions: checkDimensions(config.project, check.id), statistic },
  ];
  const runs = runsPerPeriod(check, periodSeconds);
  const perPeriod = runs > 1 ? ` (${runs} runs a region per period: threshold ${quorum * runs} runs)` : '';
  const common = {
    checkId: check.id,
    namespace: METRIC_NAMESPACE,
    periodSeconds,
    evaluationPeriods: periods,
    datapointsToAlarm: datapoints,
    okActions: true,
  };
  const specs: AlarmSpec[] = [];

  const failed = series('f', METRIC.failed, 'Sum');
  specs.push({
    ...common,
    key: `down:${check.id}`,
    type: 'down',
    name: fit(`${config.project} DOWN ${short} failing ${where}`, target, MAX_NAME),
    description: describe(
      [
        `DOWN (${check.severity}): check ${label}, kind ${check.kind}, target ${target}.`,
        `Fires when ${quorumText(regions, quorum)} had a failed run (after ${check.retries} ` +
          `retr${check.retries === 1 ? 'y' : 'ies'}) in ${window}${perPeriod}. Sends OK when it recovers.`,
        `Reads ${METRIC.failed} (Sum over the regions) of CheckId ${check.id}; which regions failed: the ` +
          `dashboard's region tables or the history.`,
      ],
      footer(config, check),
    ),
    severity: check.severity,
    metrics: failed,
    label: 'Regions failing',
    comparison: 'GreaterThanOrEqualToThreshold',
    threshold: quorum * runs,
    // Only failed runs publish a datum: no data is no failure. A silent runner is the RUNNER alarm's.
    treatMissingData: 'notBreaching',
  });

  if (check.degradedAfter !== undefined) {
    const slow = series('s', METRIC.slow, 'Sum');
    specs.push({
      ...common,
      key: `degraded:${check.id}`,
      type: 'degraded',
      // One word for this alarm on every surface: its name, its page and the docs say DEGRADED.
      name: fit(`${config.project} DEGRADED ${short} slower than ${check.degradedAfter} ${where}`, target, MAX_NAME),
      description: describe(
        [
          `DEGRADED (warning): check ${label}, kind ${check.kind}, target ${target}.`,
          `Fires when runs took longer than degradedAfter ${check.degradedAfter} in ` +
            `${quorumText(regions, quorum)} in ${window}${perPeriod}. Sends OK when it recovers.`,
          `Reads ${METRIC.slow} (Sum over the regions) of CheckId ${check.id}; each region's durations: the ` +
            `dashboard's region tables.`,
        ],
        footer(config, check),
      ),
      severity: 'warning',
      metrics: slow,
      label: `Regions slower than ${check.degradedAfter}`,
      comparison: 'GreaterThanOrEqualToThreshold',
      threshold: quorum * runs,
      treatMissingData: 'notBreaching',
    });
  }

  for (const ka of kind?.alarms?.(check) ?? []) {
    // Every region feeds the one series: its Maximum (Minimum) over a period is the worst region's.
    const values = series('k0', ka.metric, ka.statistic);
    const worst = ka.acrossRegions === 'max' ? 'highest' : 'lowest';
    // A kind may ask for a longer period (e.g. one that always holds a run); the look-back stays within a day.
    const kindPeriod = ka.periodSeconds ?? periodSeconds;
    const kindPeriods = Math.max(1, Math.min(periods, Math.floor(MAX_EVALUATION_SECONDS / kindPeriod)));
    const kindWindow = windowText(Math.min(datapoints, kindPeriods), kindPeriods, kindPeriod);
    const rule =
      ka.anomalyBand !== undefined
        ? `leaves its anomaly detection band (${ka.anomalyBand} standard deviations)`
        : `is ${comparisonText(ka.comparison)} ${ka.threshold}`;
    specs.push({
      ...common,
      key: `kind:${check.id}:${ka.name}`,
      type: 'kind',
      // A kind's description already names what it watches: no target tail.
      name: fit(`${config.project} ${ka.name.toUpperCase()} ${short} ${clean(ka.description)}`, '', MAX_NAME),
      description: describe(
        [
          `${ka.name.toUpperCase()} (${ka.severity}): check ${label}, kind ${check.kind}, ` +
            `target ${target}: ${clean(ka.description)}.`,
          regions.length > 1
            ? `Fires when the ${worst} ${ka.statistic} ${ka.metric} across ${regions.join(', ')} ${rule} ` +
              `in ${kindWindow}. Sends OK when it recovers.`
            : `Fires when the ${ka.statistic} ${ka.metric} in ${regions[0]} ${rule} in ${kindWindow}. ` +
              'Sends OK when it recovers.',
        ],
        footer(config, check),
      ),
      severity: ka.severity,
      metrics: values,
      label:
        regions.length > 1
          ? `${worst === 'highest' ? 'Highest' : 'Lowest'} ${ka.metric} across regions`
          : `${ka.metric} in ${regions[0]}`,
      periodSeconds: kindPeriod,
      evaluationPeriods: kindPeriods,
      datapointsToAlarm: Math.min(datapoints, kindPeriods),
      comparison: ka.anomalyBand !== undefined ? 'LessThanLowerOrGreaterThanUpperThreshold' : ka.comparison,
      threshold: ka.threshold,
      treatMissingData: ka.treatMissingData ?? 'notBreaching',
      ...(ka.anomalyBand !== undefined ? { anomalyBand: ka.anomalyBand } : {}),
    });
  }
  return specs;
}

function comparisonText(c: KindAlarm['comparison']): string {
  return {
    GreaterThanThreshold: 'above',
    GreaterThanOrEqualToThreshold: 'at or above',
    LessThanThreshold: 'below',
    LessThanOrEqualToThreshold: 'at or below',
  }[c];
}

/** One health alarm per probe region: a runner that stops, fails or lacks permissions pages `critical`. */
export function runnerAlarmSpecs(config: ValidatedConfig): AlarmSpec[] {
  const { periodSeconds, evaluationPeriods, datapointsToAlarm, healthySum } = RUNNER_HEALTH;
  const minutes = `${datapointsToAlarm} of the last ${evaluationPeriods} minutes`;
  return config.regions.map((region) => {
    const watched = config.checks.filter((c) => c.enabled && c.regions.includes(region)).length;
    return {
      key: `runner:${region}`,
      type: 'runner',
      region,
      name:
        `${config.project} RUNNER ${region} no healthy probe pass in ${minutes} - its ${watched} check(s) are ` +
        `unwatched there`,
      description: clip(
        [
          `RUNNER (critical): the watchpost runner in ${region} did not complete a healthy pass in ${minutes} ` +
            `(${METRIC.runnerHealth} missing or below 1: a runner shard stopped or could not store).`,
          `It stopped being invoked, fails or times out, or lacks a permission (the results table in ` +
            `${config.homeRegion}, cloudwatch:PutMetricData, a secret). Checks in ${region} are not probed or not ` +
            `recorded meanwhile.`,
          `Look at Lambda ${runnerFunctionName(config.project)} in ${region}: its logs and its EventBridge ` +
            `Scheduler schedule. Sends OK when it recovers.`,
        ].join('\n'),
        MAX_DESCRIPTION,
      ),
      severity: 'critical',
      namespace: METRIC_NAMESPACE,
      metrics: [
        {
          id: 'h0',
          metricName: METRIC.runnerHealth,
          dimensions: runnerDimensions(config.project, region),
          // The shards' shares add up.
          statistic: 'Sum',
          region,
        },
      ],
      label: `Healthy passes in ${region}`,
      periodSeconds,
      comparison: 'LessThanThreshold',
      threshold: healthySum,
      evaluationPeriods,
      datapointsToAlarm,
      // The point of this alarm: silence is a failure.
      treatMissingData: 'breaching',
      okActions: true,
    };
  });
}

/** Every alarm of a config: the checks' (in config order) and then the runners'. */
export function alarmSpecs(config: ValidatedConfig, kinds: Kinds = defaultRegistry): AlarmSpec[] {
  return [...config.checks.flatMap((c) => checkAlarmSpecs(config, c, kinds)), ...runnerAlarmSpecs(config)];
}
