/**
 * Small helpers shared by the result store and the metric sink: AWS error classification,
 * exponential backoff with jitter, and a bounded-concurrency map. No AWS SDK imports here.
 */

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Delay before retry number `retry` (1 = first retry): exponential, capped, with "equal jitter"
 * (half fixed, half random) so retries of many runners do not line up.
 */
export function backoffDelay(retry: number, baseMs = 50, capMs = 2_000): number {
  const d = Math.min(capMs, baseMs * 2 ** Math.max(0, retry - 1));
  return d / 2 + Math.random() * (d / 2);
}

const THROTTLING = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'Throttling',
  'RequestLimitExceeded',
  'TooManyRequestsException',
  'LimitExceededException',
  'RequestThrottled',
  'RequestThrottledException',
  'TransactionConflictException',
]);

interface AwsLikeError {
  name?: string;
  message?: string;
  code?: string;
  $metadata?: { httpStatusCode?: number };
}

/**
 * Whether an AWS call is worth repeating: throttling, 5xx and network trouble are; other 4xx
 * (validation, missing table, access denied) will fail the same way again.
 */
export function isRetryable(e: unknown): boolean {
  const err = (e ?? {}) as AwsLikeError;
  if (err.name && THROTTLING.has(err.name)) return true;
  const status = err.$metadata?.httpStatusCode;
  if (status !== undefined && status >= 400 && status < 500) return status === 429;
  return true;
}

/** One line for a log or a failure reason: `ThrottlingException: Rate exceeded (HTTP 400)`. */
export function describeError(e: unknown): string {
  const err = (e ?? {}) as AwsLikeError;
  const name = err.name && err.name !== 'Error' ? err.name : err.code;
  const status = err.$metadata?.httpStatusCode;
  const msg = err.message || String(e);
  return `${name ? `${name}: ` : ''}${msg}${status ? ` (HTTP ${status})` : ''}`;
}

/** Maps `fn` over items with at most `limit` calls in flight; results keep the input order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!, i);
    }
  });
  await Promise.all(workers);
  return out;
}
