import type { CheckCommon } from '../../config/types';
import type { Duration } from '../../duration';
import type { MaybeSecret } from '../../types';

/** One system's reading of the figure: a JSON endpoint and where the number is in it. */
export interface ConsistencySource {
  /**
   * The system's name, in messages, details and assertions (`{ source: 'value', property: 'shop' }`):
   * lower-case letters, digits and dashes. @example "shop"
   */
  name: string;
  /** The JSON endpoint (http or https), read with GET. @example "https://shop.example.com/api/stats" */
  url: string;
  /** JSON path of the number. @example "$.today.orders" */
  path: string;
  /**
   * Request headers; values may be secret references.
   * @default {}
   * @example { authorization: { secret: 'erp-token' } }
   */
  headers?: Record<string, MaybeSecret>;
}

/** How far apart the figures may be. Set one limit or both; with none they must be equal. */
export interface ConsistencyTolerance {
  /**
   * Largest difference in percent of the first source's value (the reference): `|other − first| /
   * |first| × 100`. @example 5
   */
  percent?: number;
  /** Largest difference in the figure's own unit: `|other − first|`. @example 3 */
  absolute?: number;
}

/**
 * Two (or more) systems agree on a figure: each source's number is read (the http kind's
 * machinery: secrets in headers, the same error codes), every other source is compared with
 * the first, and the run fails with `INCONSISTENT` when the difference passes a limit of
 * `tolerance` (either limit: each one that is set must hold).
 * @example
 * { id: 'orders-match', kind: 'consistency', frequency: '5m',
 *   sources: [
 *     { name: 'shop', url: 'https://shop.example.com/api/stats', path: '$.today.orders' },
 *     { name: 'erp', url: 'https://erp.example.com/api/orders/count', path: '$.data.count',
 *       headers: { authorization: { secret: 'erp-token' } } } ],
 *   tolerance: { percent: 5, absolute: 3 }, lag: '10m' }
 */
export interface ConsistencyCheck extends CheckCommon {
  kind: 'consistency';
  /** 2 to 10 sources; the first is the reference the others are compared with. */
  sources: ConsistencySource[];
  /** @default {} — the figures must be equal */
  tolerance?: ConsistencyTolerance;
  /**
   * How long the other systems take to catch up with the first: they are compared with the
   * first source's value from this long ago (kept in the results table), not with its value now.
   * @default none — compared with the value now
   * @example "10m"
   */
  lag?: Duration;
}

declare module '../../config/types' {
  interface CheckKinds {
    consistency: ConsistencyCheck;
  }
}
