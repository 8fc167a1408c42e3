/**
 * A stored result as the notifier tests need one: the http check `shop-cart` failing with a
 * 120 ms run, one attempt, no assertions. Override what a test is about.
 *
 * @example failedResult({ region: 'local', scheduledAt: at, startedAt: at })
 */
import type { CheckResult } from '../../shared/types';

export function failedResult(over: Partial<CheckResult> = {}): CheckResult {
  const at = over.scheduledAt ?? '2026-03-01T14:00:00.000Z';
  return {
    checkId: 'shop-cart',
    kind: 'http',
    region: 'eu-central-1',
    scheduledAt: at,
    startedAt: at,
    durationMs: 120,
    status: 'fail',
    attempts: 1,
    timings: { total: 118 },
    assertions: [],
    metrics: {},
    error: { code: 'ASSERTION', message: 'status is 503, expected 200' },
    ...over,
  };
}

/** The error of a target that is down: nothing listens on the port. */
export const REFUSED = { code: 'CONNECT_REFUSED', message: 'connect ECONNREFUSED 127.0.0.1:9' };

/** 14:`minute` on 2026-03-01 (UTC), as results carry it. */
export const minuteAt = (minute: number): string => new Date(Date.UTC(2026, 2, 1, 14, minute)).toISOString();
