/**
 * The one retry policy (shared/retry.ts): attempt counts, what is retried, jitter bounds, the
 * deadline (no attempt starts past it, a hung attempt is abandoned at it), and the pass budget.
 */
import { describe, expect, it } from 'vitest';
import { backoffDelay, beforeDeadline, describeStop, retry, TimeoutError } from '../shared/retry';
import { passBudget, TAIL_MS } from '../shared/runner/budget';

const awsError = (name: string, status: number) =>
  Object.assign(new Error(`${name} (injected)`), { name, $metadata: { httpStatusCode: status } });

describe('retry', () => {
  it('retries a retryable error up to the number of attempts, then gives up with the last error', async () => {
    let calls = 0;
    const out = await retry(
      async () => {
        calls++;
        throw awsError('ThrottlingException', 400);
      },
      { attempts: 4, baseMs: 1 },
    );
    expect(calls).toBe(4);
    expect(out).toMatchObject({ ok: false, stop: 'attempts', attempts: 4, error: { name: 'ThrottlingException' } });
    expect(describeStop(out as { stop: 'attempts'; attempts: number })).toBe('gave up after 4 attempts');
  });

  it('stops at the first success and returns its value', async () => {
    let calls = 0;
    const out = await retry(
      async ({ attempt }) => {
        calls++;
        if (attempt < 3) throw awsError('InternalServerError', 500);
        return 'stored';
      },
      { attempts: 5, baseMs: 1 },
    );
    expect(out).toEqual({ ok: true, value: 'stored', attempts: 3 });
    expect(calls).toBe(3);
  });

  it('does not retry what will fail the same way again (validation, access denied)', async () => {
    for (const [name, status] of [
      ['ValidationException', 400],
      ['AccessDeniedException', 403],
      ['ResourceNotFoundException', 400],
    ] as const) {
      let calls = 0;
      const out = await retry(
        async () => {
          calls++;
          throw awsError(name, status);
        },
        { attempts: 5, baseMs: 1 },
      );
      expect(calls).toBe(1);
      expect(out).toMatchObject({ ok: false, stop: 'not-retryable', attempts: 1 });
    }
    // 429 and throttling names are retried even as 4xx.
    let calls = 0;
    await retry(
      async () => {
        calls++;
        throw awsError('TooManyRequests', 429);
      },
      { attempts: 3, baseMs: 1 },
    );
    expect(calls).toBe(3);
  });

  it('a synchronous throw is an attempt error like a rejection', async () => {
    const out = await retry(
      (() => {
        throw awsError('ValidationException', 400);
      }) as () => Promise<never>,
      { attempts: 3 },
    );
    expect(out).toMatchObject({ ok: false, stop: 'not-retryable', attempts: 1 });
  });

  it('repeats while the value asks for more (unprocessed items) and hands back the last value', async () => {
    let left = 3;
    const ok = await retry(async () => --left, { attempts: 5, baseMs: 1, again: (n) => n > 0 });
    expect(ok).toEqual({ ok: true, value: 0, attempts: 3 });
    const notDone = await retry(async () => 7, { attempts: 2, baseMs: 1, again: (n) => n > 0 });
    expect(notDone).toMatchObject({ ok: false, stop: 'attempts', attempts: 2, value: 7 });
  });

  it('never starts an attempt past the deadline, whatever the attempts and backoff', async () => {
    const starts: number[] = [];
    const deadline = Date.now() + 300;
    const out = await retry(
      async () => {
        starts.push(Date.now());
        throw awsError('ServiceUnavailable', 503);
      },
      { attempts: 1_000, baseMs: 10, capMs: 80, deadline },
    );
    expect(out).toMatchObject({ ok: false, stop: 'deadline' });
    expect(starts.length).toBeGreaterThan(1);
    for (const t of starts) expect(t).toBeLessThan(deadline);
  });

  it('abandons an attempt that ignores its signal at the deadline, and aborts that signal', async () => {
    const signals: AbortSignal[] = [];
    const out = await retry(
      ({ signal }) => {
        signals.push(signal);
        return new Promise<never>(() => {}); // hangs for ever, ignores the signal
      },
      { attempts: 3, deadline: Date.now() + 200 },
    );
    expect(out).toMatchObject({ ok: false, stop: 'deadline', attempts: 1 });
    expect(signals).toHaveLength(1);
    expect(signals[0]!.aborted).toBe(true);
    expect(signals[0]!.reason).toBeInstanceOf(TimeoutError);
    expect(describeStop(out as { stop: 'deadline'; attempts: number })).toBe('stopped at the deadline after 1 attempt');
  });

  it('gives each attempt its own time limit and retries a timed-out attempt', async () => {
    const reasons: unknown[] = [];
    const out = await retry(
      ({ signal, attempt }) =>
        attempt < 3
          ? new Promise<never>((_, reject) =>
              signal.addEventListener('abort', () => {
                reasons.push(signal.reason);
                reject(signal.reason);
              }),
            )
          : Promise.resolve('answered'),
      { attempts: 3, baseMs: 1, attemptTimeoutMs: 30 },
    );
    expect(out).toEqual({ ok: true, value: 'answered', attempts: 3 });
    expect(reasons).toHaveLength(2);
    for (const r of reasons)
      expect(r).toMatchObject({ name: 'TimeoutError', message: 'no answer within 30ms', atDeadline: false });
  });

  it('does not start at all when the deadline has passed', async () => {
    let calls = 0;
    const out = await retry(async () => ++calls, { deadline: Date.now() - 1 });
    expect(calls).toBe(0);
    expect(out).toMatchObject({ ok: false, stop: 'deadline', attempts: 0 });
    expect(describeStop(out as { stop: 'deadline'; attempts: number })).toBe('not attempted: the deadline had passed');
  });

  it('stops when the caller aborts', async () => {
    const ac = new AbortController();
    let calls = 0;
    const out = await retry(
      async () => {
        calls++;
        ac.abort();
        throw awsError('InternalServerError', 500);
      },
      { attempts: 5, baseMs: 1, signal: ac.signal },
    );
    expect(calls).toBe(1);
    expect(out).toMatchObject({ ok: false, stop: 'aborted', attempts: 1 });
  });
});

describe('backoffDelay', () => {
  it('doubles from the base up to the cap, exactly with jitter none (the check retry schedule)', () => {
    const check = { baseMs: 250, capMs: 2_000, jitter: 'none' } as const;
    expect([1, 2, 3, 4, 5, 9].map((n) => backoffDelay(n, check))).toEqual([250, 500, 1_000, 2_000, 2_000, 2_000]);
  });

  it('keeps equal jitter within [d/2, d] and full jitter within [0, d]', () => {
    for (let retryNo = 1; retryNo <= 8; retryNo++) {
      const d = Math.min(2_000, 50 * 2 ** (retryNo - 1));
      expect(backoffDelay(retryNo, {}, () => 0)).toBe(d / 2);
      expect(backoffDelay(retryNo, {}, () => 0.999999)).toBeCloseTo(d, 0);
      expect(backoffDelay(retryNo, { jitter: 'full' }, () => 0)).toBe(0);
      for (let i = 0; i < 200; i++) {
        const eq = backoffDelay(retryNo);
        expect(eq).toBeGreaterThanOrEqual(d / 2);
        expect(eq).toBeLessThanOrEqual(d);
        const full = backoffDelay(retryNo, { jitter: 'full' });
        expect(full).toBeGreaterThanOrEqual(0);
        expect(full).toBeLessThanOrEqual(d);
      }
    }
  });
});

describe('beforeDeadline', () => {
  it('settles with the promise when in time, with the fallback when not', async () => {
    expect(await beforeDeadline(Promise.resolve('in time'), Date.now() + 1_000, () => 'late')).toBe('in time');
    expect(await beforeDeadline(new Promise<string>(() => {}), Date.now() + 20, () => 'late')).toBe('late');
  });
});

describe('passBudget', () => {
  it('orders the phases probes < store < publish < end and ends at the Lambda deadline', () => {
    const now = 1_000_000;
    const b = passBudget(now, 60_000);
    expect(b.end).toBe(now + 60_000);
    expect(b.publish).toBe(b.end - TAIL_MS.log);
    expect(b.store).toBe(b.publish - TAIL_MS.publish);
    expect(b.probes).toBe(b.store - TAIL_MS.store);
  });

  it('shrinks the tail in proportion when the Lambda has little time, so the probes keep half', () => {
    const b = passBudget(0, 6_000);
    expect(b.probes).toBe(3_000);
    expect(b.probes).toBeLessThan(b.store);
    expect(b.store).toBeLessThan(b.publish);
    expect(b.publish).toBeLessThan(b.end);
    expect(b.end).toBe(6_000);
  });
});
