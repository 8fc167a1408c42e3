import type { CheckCommon } from '../../config/types';
import type { MaybeSecret } from '../../types';

/**
 * How a figure is judged against its own history: on every run (locally and in AWS), the
 * figure is compared with the average of its last `samples` stored values; more than
 * `deviationPercent` above or below fails the run (`ANOMALY`), which pages once, through the
 * check's down alarm (docs/kinds/metric.md says why there is no second, CloudWatch anomaly alarm).
 */
export interface MetricAnomaly {
  /**
   * @deprecated Not used: it set the band of a CloudWatch anomaly-detection alarm that paged a
   * second time for the same anomaly. Accepted so that existing configs still validate.
   */
  band?: number;
  /** A run fails when the figure is more than this many percent above or below the trailing average. @default 50 */
  deviationPercent?: number;
  /** How many stored values the trailing average takes (at least 3 are needed to judge). @default 12 */
  samples?: number;
}

/**
 * A business figure read from a JSON endpoint (sign-ups per hour, orders, feed size), published
 * as the metric `Value` and judged by `min`/`max` and against its own history.
 * @example
 * { id: 'feed-size', kind: 'metric', url: 'https://shop.example.com/api/feed/stats',
 *   path: '$.products', min: 1, anomaly: { deviationPercent: 30 } }
 * @example
 * { id: 'signups', kind: 'metric', url: 'https://api.example.com/stats', path: '$.signups.lastHour',
 *   headers: { authorization: { secret: 'stats-token' } }, anomaly: { deviationPercent: 30 }, frequency: '5m' }
 */
export interface MetricCheck extends CheckCommon {
  kind: 'metric';
  /** The JSON endpoint (GET). */
  url: string;
  /** Where the number is: a JSON path such as `$.orders.today` or `$.products.length` (array length). */
  path: string;
  /** Request headers; values may be secret references. @default {} */
  headers?: Record<string, MaybeSecret>;
  /** Fails (`BELOW_MIN`) when the figure is below this. Set `min: 1` for "must not be zero". */
  min?: number;
  /** Fails (`ABOVE_MAX`) when the figure is above this. */
  max?: number;
  /** Judge the figure against its history; `{}` takes the defaults. */
  anomaly?: MetricAnomaly;
}

declare module '../../config/types' {
  interface CheckKinds {
    metric: MetricCheck;
  }
}
