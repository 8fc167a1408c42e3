/** Renders an alarm spec (shared/alarms) as a CloudWatch alarm paging its severity's topic. */
import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
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

/** A spec's metric as a CDK metric (label = its region, for graphs). */
export function specMetric(spec: Pick<AlarmSpec, 'namespace' | 'periodSeconds'>, m: AlarmMetric, opts: { statistic?: string; period?: Duration } = {}): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: spec.namespace,
    metricName: m.metricName,
    dimensionsMap: m.dimensions,
    statistic: opts.statistic ?? m.statistic,
    period: opts.period ?? Duration.seconds(spec.periodSeconds),
    label: m.region,
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
 * `actionsEnabled: false` creates the alarm silent (context `alarmActions=off`, for a first
 * deploy): it evaluates but notifies nobody; enabling actions later sends nothing by itself, as
 * actions fire only on state changes.
 */
export function renderAlarm(scope: Construct, spec: AlarmSpec, topics: Topics, actionsEnabled = true): cloudwatch.Alarm {
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
  const alarm =
    spec.anomalyBand !== undefined
      ? new cloudwatch.AnomalyDetectionAlarm(scope, spec.key, { ...common, stdDevs: spec.anomalyBand })
      : new cloudwatch.Alarm(scope, spec.key, { ...common, threshold: spec.threshold });
  const action = new actions.SnsAction(topics[spec.severity]);
  alarm.addAlarmAction(action);
  if (spec.okActions) alarm.addOkAction(action);
  return alarm;
}
