/**
 * How a runner pass spends the time its Lambda has: probes first, then storing results, then
 * publishing metrics, and a final margin for logging what could not be stored. Each phase ends
 * at a fixed point in time (a phase that finishes early leaves the rest to the next one), so
 * that before the Lambda's deadline every result is stored or logged whole.
 */

/** Phase deadlines of one pass, ms since epoch. */
export interface PassBudget {
  /** Probes (retries included) are over. */
  probes: number;
  /** Storing results is over. */
  store: number;
  /** Publishing metrics (heartbeat included) is over. */
  publish: number;
  /** The Lambda's own deadline. */
  end: number;
}

/** The time after the probes, in ms, when the Lambda has plenty. */
export const TAIL_MS = {
  /** Writing results (BatchGetItem + BatchWriteItem, retries included). */
  store: 4_000,
  /** PutMetricData, retries included. */
  publish: 2_500,
  /** Logging every unstored result as one JSON line, and the summary. */
  log: 1_000,
} as const;

/**
 * The phase deadlines for a pass started at `now` with `remainingMs` before the Lambda ends.
 * With less than twice the tail left, every share shrinks in proportion so the probes keep half.
 * @example passBudget(Date.now(), context.getRemainingTimeInMillis())
 */
export function passBudget(
  now: number,
  remainingMs: number,
  tail: { store: number; publish: number; log: number } = TAIL_MS,
): PassBudget {
  const remaining = Math.max(0, remainingMs);
  const want = tail.store + tail.publish + tail.log;
  const scale = remaining >= 2 * want ? 1 : remaining / (2 * want);
  const end = now + remaining;
  const publish = end - tail.log * scale;
  const store = publish - tail.publish * scale;
  const probes = store - tail.store * scale;
  return { probes, store, publish, end };
}
