/**
 * The one retry policy of the project: a number of attempts, exponential backoff with jitter
 * between them, and a deadline that nothing runs past. Every attempt gets its own AbortSignal,
 * aborted at the attempt's time limit or the deadline, whichever comes first; an attempt that
 * ignores its signal is abandoned at that moment. No attempt starts, and no wait ends, after
 * the deadline. Failures come back as data ({@link RetryOutcome}), never as a throw.
 *
 * Also here: AWS error classification and description, and a bounded-concurrency map.
 * No AWS SDK imports.
 *
 * @example
 * const out = await retry(({ signal }) => client.send(cmd, { abortSignal: signal }), {
 *   attempts: 4, baseMs: 100, attemptTimeoutMs: 3_000, deadline,
 * });
 * if (!out.ok) log.warn('PutMetricData failed', { reason: `${describeError(out.error)} (${describeStop(out)})` });
 */

/** Waits `ms`; resolves early (never rejects) when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, Math.max(0, ms));
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** The shape of the waits between attempts. */
export interface Backoff {
  /** Delay before the first retry. @default 50 */
  baseMs?: number;
  /** Largest delay. @default 2000 */
  capMs?: number;
  /** Growth per retry. @default 2 */
  factor?: number;
  /**
   * `equal`: half fixed, half random (retries of many runners do not line up); `full`: 0 to
   * the delay; `none`: exactly the delay (a documented schedule, e.g. check retries).
   * @default "equal"
   */
  jitter?: 'equal' | 'full' | 'none';
}

/**
 * Delay before retry number `retry` (1 = the first retry): `baseMs × factor^(retry-1)`, capped
 * at `capMs`, then jittered.
 * @example backoffDelay(3, { baseMs: 250, jitter: 'none' }) // 1000
 */
export function backoffDelay(retry: number, b: Backoff = {}, random: () => number = Math.random): number {
  const base = b.baseMs ?? 50;
  const d = Math.min(b.capMs ?? 2_000, base * (b.factor ?? 2) ** Math.max(0, retry - 1));
  switch (b.jitter ?? 'equal') {
    case 'none':
      return d;
    case 'full':
      return random() * d;
    default:
      return d / 2 + random() * (d / 2);
  }
}

/** Thrown into an attempt (as its signal's reason) when its time is up. */
export class TimeoutError extends Error {
  constructor(
    message: string,
    /** True when the overall deadline (not the attempt's own limit) ended the attempt. */
    readonly atDeadline = false,
  ) {
    super(message);
    this.name = 'TimeoutError';
  }
}

export interface RetryOptions<T> extends Backoff {
  /** Attempts in all, the first included. @default 3 */
  attempts?: number;
  /** ms since epoch: no attempt starts and no wait ends after it; the attempt in flight is aborted at it. */
  deadline?: number;
  /** Each attempt's own time limit in ms. @default none (only the deadline) */
  attemptTimeoutMs?: number;
  /**
   * How long an attempt whose signal aborted may still take to settle on its own (e.g. report
   * which phase timed out) before it is abandoned. @default 0
   */
  graceMs?: number;
  /** A retry is not started with less than this many ms left before the deadline. @default 0 */
  minAttemptMs?: number;
  /** Whether a thrown error is worth another attempt. @default {@link isRetryable} */
  retryable?: (e: unknown) => boolean;
  /** Whether a returned value still asks for another attempt (e.g. unprocessed items left). @default never */
  again?: (value: T) => boolean;
  /** Ends everything early (the caller is stopping). */
  signal?: AbortSignal;
  /**
   * The wait before the next attempt when the last one asks for its own (a `Retry-After`);
   * `undefined` keeps the backoff. @default the backoff
   */
  delayFor?: (last: { error?: unknown; value?: T }) => number | undefined;
  /** Called before each wait. */
  onRetry?: (info: { attempt: number; delayMs: number; error?: unknown }) => void;
  /** Random source for jitter (tests). @default Math.random */
  random?: () => number;
}

export interface AttemptContext {
  /** 1 for the first attempt. */
  attempt: number;
  /** Aborted when this attempt's time is up (pass it to the SDK's `send(cmd, { abortSignal })`). */
  signal: AbortSignal;
  /** ms this attempt may take (Infinity when unbounded). */
  timeLeftMs: number;
}

/** Why a retry loop gave up. */
export type RetryStop = 'not-retryable' | 'attempts' | 'deadline' | 'aborted';

export type RetryOutcome<T> =
  | { ok: true; value: T; attempts: number }
  | {
      ok: false;
      stop: RetryStop;
      /** Attempts started (0 when the deadline had passed before the first). */
      attempts: number;
      /** The last attempt's error, when it threw. */
      error?: unknown;
      /** The last attempt's value, when it returned one that asked for more. */
      value?: T;
    };

/** Runs `fn` until it succeeds, a non-retryable error, the last attempt or the deadline. Never throws. */
export async function retry<T>(
  fn: (ctx: AttemptContext) => Promise<T>,
  opts: RetryOptions<T> = {},
): Promise<RetryOutcome<T>> {
  const attempts = Math.max(1, Math.floor(opts.attempts ?? 3));
  const deadline = opts.deadline ?? Number.POSITIVE_INFINITY;
  const retryable = opts.retryable ?? isRetryable;
  let last: { error?: unknown; value?: T; hasValue: boolean } = { hasValue: false };
  const fail = (stop: RetryStop, n: number): RetryOutcome<T> => ({
    ok: false,
    stop,
    attempts: n,
    ...(last.error !== undefined ? { error: last.error } : {}),
    ...(last.hasValue ? { value: last.value } : {}),
  });

  for (let n = 1; n <= attempts; n++) {
    if (opts.signal?.aborted) return fail('aborted', n - 1);
    if (n > 1) {
      const asked = opts.delayFor?.(last.hasValue ? { value: last.value } : { error: last.error });
      const delayMs = asked ?? backoffDelay(n - 1, opts, opts.random);
      // Never sleep into the deadline: a retry that could not run is not worth waiting for.
      if (Date.now() + delayMs + (opts.minAttemptMs ?? 0) >= deadline) return fail('deadline', n - 1);
      opts.onRetry?.({ attempt: n - 1, delayMs, error: last.error });
      await sleep(delayMs, opts.signal);
      if (opts.signal?.aborted) return fail('aborted', n - 1);
    }
    const left = deadline - Date.now();
    if (left <= 0) return fail('deadline', n - 1);
    try {
      const value = await runAttempt(fn, n, left, opts);
      if (opts.again?.(value)) {
        last = { value, hasValue: true };
        continue;
      }
      return { ok: true, value, attempts: n };
    } catch (e) {
      last = { error: e, hasValue: false };
      if (opts.signal?.aborted) return fail('aborted', n);
      if (e instanceof TimeoutError && e.atDeadline) return fail('deadline', n);
      if (!retryable(e)) return fail('not-retryable', n);
    }
  }
  return fail(Date.now() >= deadline ? 'deadline' : 'attempts', attempts);
}

/** Shared reason: building an Error per attempt costs more than the attempt itself for fast calls. */
const ATTEMPT_OVER = new Error('attempt over');

/** One attempt under its own signal; rejects with a TimeoutError the moment its time is up. */
async function runAttempt<T>(
  fn: (ctx: AttemptContext) => Promise<T>,
  attempt: number,
  leftMs: number,
  opts: RetryOptions<T>,
): Promise<T> {
  const own = opts.attemptTimeoutMs ?? Number.POSITIVE_INFINITY;
  const timeLeftMs = Math.min(own, leftMs);
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const onParentAbort = () => controller.abort(opts.signal?.reason ?? new Error('aborted'));
  opts.signal?.addEventListener('abort', onParentAbort, { once: true });
  let grace: NodeJS.Timeout | undefined;
  const over = new Promise<never>((_, reject) => {
    const abandon = () => reject(controller.signal.reason);
    const graceMs = opts.graceMs ?? 0;
    controller.signal.addEventListener(
      'abort',
      () => (graceMs > 0 ? (grace = setTimeout(abandon, graceMs)) : abandon()),
      { once: true },
    );
  });
  over.catch(() => {}); // settled by whichever wins the race below
  if (Number.isFinite(timeLeftMs)) {
    const atDeadline = leftMs <= own;
    const message = atDeadline
      ? `stopped at the deadline after ${Math.round(timeLeftMs)}ms`
      : `no answer within ${own}ms`;
    timer = setTimeout(() => controller.abort(new TimeoutError(message, atDeadline)), timeLeftMs);
  }
  try {
    // A synchronous throw from fn becomes this attempt's error, like a rejection.
    return await Promise.race([
      Promise.resolve().then(() => fn({ attempt, signal: controller.signal, timeLeftMs })),
      over,
    ]);
  } finally {
    clearTimeout(timer);
    opts.signal?.removeEventListener('abort', onParentAbort);
    if (!controller.signal.aborted) controller.abort(ATTEMPT_OVER); // stops whatever the attempt left running
    clearTimeout(grace);
  }
}

/**
 * A call that kept failing with retryable errors (or ran into its deadline): the last error as
 * `cause`, and why it stopped. Its message is the one line for a log or a failure reason.
 */
export class RetryError extends Error {
  readonly stop: RetryStop;
  readonly attempts: number;
  constructor(out: { stop: RetryStop; attempts: number; error?: unknown }) {
    super(out.error === undefined ? describeStop(out) : `${describeError(out.error)} (${describeStop(out)})`, {
      cause: out.error,
    });
    this.name = 'RetryError';
    this.stop = out.stop;
    this.attempts = out.attempts;
  }
}

/**
 * {@link retry} for callers that expect a throw: the value, or the last error itself when it was
 * not retryable (so `e.name` checks such as `ConditionalCheckFailedException` keep working),
 * else a {@link RetryError}.
 */
export async function retryOrThrow<T>(fn: (ctx: AttemptContext) => Promise<T>, opts: RetryOptions<T> = {}): Promise<T> {
  const out = await retry(fn, opts);
  if (out.ok) return out.value;
  if (out.stop === 'not-retryable' && out.error !== undefined) throw out.error;
  throw new RetryError(out);
}

/** `gave up after 3 attempts`, `stopped at the deadline after 2 attempts`… for a failure reason. */
export function describeStop(out: { stop: RetryStop; attempts: number }): string {
  const tries = `${out.attempts} attempt${out.attempts === 1 ? '' : 's'}`;
  switch (out.stop) {
    case 'deadline':
      return out.attempts ? `stopped at the deadline after ${tries}` : 'not attempted: the deadline had passed';
    case 'aborted':
      return `cancelled after ${tries}`;
    case 'not-retryable':
      return `not retried (${tries})`;
    default:
      return `gave up after ${tries}`;
  }
}

/**
 * Settles with `p`, or with `late()` if `p` has not settled by `deadline` (for calls that take no
 * signal: the caller goes on, the abandoned call's eventual result is ignored).
 */
export function beforeDeadline<T>(p: Promise<T>, deadline: number, late: () => T | PromiseLike<T>): Promise<T> {
  if (!Number.isFinite(deadline)) return p;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<T>((resolve) => {
    timer = setTimeout(() => resolve(late()), Math.max(0, deadline - Date.now()));
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
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
 * Whether an AWS call is worth repeating: throttling, 5xx, timeouts and network trouble are;
 * other 4xx (validation, missing table, access denied) will fail the same way again.
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
  if (e instanceof RetryError) return e.message;
  const err = (e ?? {}) as AwsLikeError;
  const name = err.name && err.name !== 'Error' ? err.name : err.code;
  const status = err.$metadata?.httpStatusCode;
  const msg = err.message || String(e);
  return `${name ? `${name}: ` : ''}${msg}${status ? ` (HTTP ${status})` : ''}`;
}

/** Maps `fn` over items with at most `limit` calls in flight; results keep the input order. */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
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
