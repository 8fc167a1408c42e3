/**
 * The `metric` probe kind: a business figure from a JSON endpoint, judged by limits and its own history. See
 * docs/kinds/metric.md.
 */
import { parseJsonPath } from '../../assertions/json-path';
import { joinKey, s } from '../../config/schema';
import { displayUrl } from '../http/display-url';
import { defineKind, type KindCheck } from '../types';
import { ANOMALY_DEFAULTS, runMetric } from './run';
import type { MetricCheck } from './types';

export type { MetricAnomaly, MetricCheck } from './types';

const jsonPath = s.refine(
  s.string({ minLength: 1, expected: 'a JSON path such as "$.orders.today"' }),
  (v, path, issues) => {
    const parsed = parseJsonPath(v);
    if ('error' in parsed) issues.add(path, parsed.error);
  },
);

/** The fields of {@link MetricCheck}, with the defaults validation applies. */
const fields = {
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
};

/** A validated metric check: the fields with a default are set. */
export type ValidatedMetricCheck = KindCheck<MetricCheck, typeof fields>;

/**
 * Business figure from a JSON endpoint, published as Value; fails below min, above max, or far from its trailing
 * average.
 */
export const metricKind = defineKind<MetricCheck>()({
  kind: 'metric',
  fields,
  assertionSources: ['value', 'status', 'latency', 'json'],
  numericSources: ['value', 'status', 'latency'],
  // Judges the figure against its own stored runs.
  state: ['history'],
  // The figure read at `path`
  metrics: [{ name: 'Value', unit: 'None' }],
  validate(check, path, issues) {
    if (typeof check.min === 'number' && typeof check.max === 'number' && check.min > check.max)
      issues.add(joinKey(path, 'max'), `${check.max} is below min ${check.min}`, 'min must not be above max');
  },
  target: (check) => `GET ${displayUrl(check.url)} ${check.path}`,
  // No kind alarm: the runner's ANOMALY fails the run and the down alarm pages it, once.
  run: runMetric,
});
