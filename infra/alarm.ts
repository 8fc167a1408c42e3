/**
 * Renders an alarm spec (shared/alarms) as a CloudWatch alarm. It has no SNS actions of its own:
 * its state changes reach the notifier (infra/notifier.ts) through EventBridge, which pages the
 * spec's severity topic with a formatted message (a raw alarm action would page twice).
 */
import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import type { Severity } from '../shared/config/types';
import type { AlarmMetric, AlarmSpec } from '../shared/alarms/specs';

export type Topics = Record<Severity, sns.ITopic>;

const MISSING: Record<AlarmSpec['treatMissingData'], cloudwatch.TreatMissingData> = {
  breaching: cloudwatch.TreatMissingData.BREACHING,
  notBreaching: cloudwatch.TreatMissingData.NOT_BREACHING,
  ignore: cloudwatch.TreatMissingData.IGNORE,
  missing: cloudwatch.TreatMissingData.MISSING,
};

/** A spec's metric as a CDK metric (label = its region or name, for graphs). */
export function specMetric(
  spec: Pick<AlarmSpec, 'namespace' | 'periodSeconds'>,
  m: AlarmMetric,
  opts: { statistic?: string; period?: Duration } = {},
): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: spec.namespace,
    metricName: m.metricName,
    dimensionsMap: m.dimensions,
    statistic: opts.statistic ?? m.statistic,
    period: opts.period ?? Duration.seconds(spec.periodSeconds),
    label: m.region ?? m.metricName,
  });
}

/** What the alarm watches: the spec's expression over its metrics, or its single metric. */
export function specWatched(spec: AlarmSpec): cloudwatch.IMetric {
  if (!spec.expression) return specMetric(spec, spec.metrics[0]!);
  return new cloudwatch.MathExpression({
    expression: spec.expression,
    usingMetrics: Object.fromEntries(spec.metrics.map((m) => [m.id, specMetric(spec, m)])),
    period: Duration.seconds(spec.periodSeconds),
    label: spec.label,
  });
}

/**
 * `actionsEnabled: false` marks the alarm silent (context `alarmActions=off`, for a first
 * deploy; the notifier's rule is then disabled too): it evaluates but pages nobody.
 */
export function renderAlarm(scope: Construct, spec: AlarmSpec, actionsEnabled = true): cloudwatch.Alarm {
  const common = {
    alarmName: spec.name,
    alarmDescription: spec.description,
    metric: specWatched(spec),
    comparisonOperator: spec.comparison as cloudwatch.ComparisonOperator,
    evaluationPeriods: spec.evaluationPeriods,
    datapointsToAlarm: spec.datapointsToAlarm,
    treatMissingData: MISSING[spec.treatMissingData],
    actionsEnabled,
  };
  return spec.anomalyBand !== undefined
    ? new cloudwatch.AnomalyDetectionAlarm(scope, spec.key, { ...common, stdDevs: spec.anomalyBand })
    : new cloudwatch.Alarm(scope, spec.key, { ...common, threshold: spec.threshold });
}
