/** The `metric` probe kind: a business figure from a JSON endpoint, judged by limits and its own history. See docs/kinds/metric.md. */
import { parseJsonPath } from '../../assertions/json-path';
import { joinKey, s } from '../../config/schema';
import { ms } from '../../duration';
import { displayUrl } from '../http/display-url';
import type { KindAlarm, ProbeKind } from '../types';
import { ANOMALY_DEFAULTS, runMetric } from './run';
import type { MetricCheck } from './types';

export type { MetricAnomaly, MetricCheck } from './types';

const jsonPath = s.refine(s.string({ minLength: 1, expected: 'a JSON path such as "$.orders.today"' }), (v, path, issues) => {
  const parsed = parseJsonPath(v);
  if ('error' in parsed) issues.add(path, parsed.error);
});

export const metricKind: ProbeKind<MetricCheck> = {
  kind: 'metric',
  description: 'Business figure from a JSON endpoint, published as Value; fails below min, above max, or far from its trailing average',
  fields: {
    url: s.url(),
    path: jsonPath,
    headers: s.optional(s.record(s.secretOr()), {}),
    min: s.optional(s.number()),
    max: s.optional(s.number()),
    anomaly: s.optional(
      s.object({
        band: s.optional(s.number({ min: 0.1, max: 100 }), ANOMALY_DEFAULTS.band),
        deviationPercent: s.optional(s.number({ min: 0.1, max: 100_000 }), ANOMALY_DEFAULTS.deviationPercent),
        samples: s.optional(s.number({ integer: true, min: 3, max: 100 }), ANOMALY_DEFAULTS.samples),
      }),
    ),
  },
  assertionSources: ['value', 'status', 'latency', 'json'],
  numericSources: ['value', 'status', 'latency'],
  metrics: [{ name: 'Value', unit: 'None', description: 'The figure read at `path`' }],
  validate(check, path, issues) {
    if (typeof check.min === 'number' && typeof check.max === 'number' && check.min > check.max)
      issues.add(joinKey(path, 'max'), `${check.max} is below min ${check.min}`, 'min must not be above max');
  },
  target: (check) => `GET ${displayUrl(check.url)} ${check.path}`,
  alarms(check): KindAlarm[] {
    if (!check.anomaly || check.enabled === false) return [];
    const band = check.anomaly.band ?? ANOMALY_DEFAULTS.band;
    return [
      {
        name: 'anomaly',
        metric: 'Value',
        statistic: 'Average',
        // Ignored for anomaly alarms (the band decides); kept for renderers that show them.
        comparison: 'GreaterThanThreshold',
        threshold: 0,
        acrossRegions: 'max',
        severity: check.severity,
        description: `${check.path} is outside its expected band (${band} standard deviations)`,
        // No Value means the endpoint failed: the down alarm covers that.
        treatMissingData: 'ignore',
        // A period holds at least one run: the frequency rounded up to whole minutes.
        periodSeconds: Math.max(60, Math.ceil(ms(check.frequency) / 60_000) * 60),
        anomalyBand: band,
      },
    ];
  },
  run: runMetric,
};
