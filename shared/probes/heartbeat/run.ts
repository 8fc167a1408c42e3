/**
 * One run of a heartbeat check: read the ping state from the table and judge it. The probe
 * has no network target; its "target misbehaving" is a job that stops pinging, fails, or runs
 * too long.
 */
import type { ValidatedHeartbeatCheck } from './index';
import { formatDuration, ms } from '../../duration';
import { describeError } from '../../retry';
import type { CheckError } from '../../types';
import { phaseTimer, round } from '../net';
import type { Observations, ProbeContext, ProbeOutcome } from '../types';
import { MIN_TOKEN_LENGTH } from './endpoint';
import { PingStore, type PingState } from './ping-store';

const iso = (t: number | undefined) => (t === undefined ? undefined : new Date(t).toISOString());

/** What the stored pings say, in one word (for details and the docs). */
export type HeartbeatState = 'new' | 'up' | 'late' | 'down' | 'failed' | 'running' | 'overrun' | 'slow';

export interface HeartbeatJudgement {
  state: HeartbeatState;
  error?: CheckError;
  status?: 'degraded' | 'fail';
  degraded?: { code: string; message: string };
  metrics: Record<string, number>;
  details: Record<string, unknown>;
  values: { sinceLastPing?: number; jobDuration?: number; lastSignal?: string };
}

/**
 * Judges a check's ping state at `now` (pure: the rules, in order):
 * 1. a run started and not ended after `maxRuntime` → fail `RUNTIME_EXCEEDED`;
 * 2. the last end of the job was `/fail` → fail `JOB_FAILED` (until the next good ping);
 * 3. no good ping for `period + grace` → fail `PING_MISSING` (a new check that never got one
 *    counts from when it started watching, so a deploy does not page before the job could run);
 * 4. the last measured run took longer than `maxRuntime` → degraded;
 * 5. otherwise pass (`late` when past `period` but within `grace`).
 */
export function judgeHeartbeat(
  check: ValidatedHeartbeatCheck,
  state: PingState | undefined,
  now: number,
): HeartbeatJudgement {
  const period = ms(check.period);
  const grace = ms(check.grace);
  const maxRuntime = check.maxRuntime !== undefined ? ms(check.maxRuntime) : undefined;
  const metrics: Record<string, number> = {};
  const values: HeartbeatJudgement['values'] = {};
  const details: Record<string, unknown> = { period: check.period, grace: check.grace };
  if (check.maxRuntime !== undefined) details.maxRuntime = check.maxRuntime;

  // Never looked before: watching starts now.
  state ??= { checkId: check.id, watchedSince: now };

  const last = state.lastSuccessAt;
  if (last !== undefined) {
    values.sinceLastPing = round(Math.max(0, now - last) / 1000);
    metrics.SinceLastPing = values.sinceLastPing;
    details.lastPingAt = iso(last);
    details.expectedBy = iso(last + period + grace);
  }
  if (state.lastDurationMs !== undefined) {
    values.jobDuration = state.lastDurationMs;
    metrics.JobDuration = state.lastDurationMs;
    details.lastRunDurationMs = state.lastDurationMs;
    details.lastRunEndedAt = iso(state.lastRunEndedAt);
    if (state.lastRunSignal) details.lastRunEndedWith = state.lastRunSignal;
  }
  if (state.lastSignal) {
    values.lastSignal = state.lastSignal;
    details.lastSignal = state.lastSignal;
    details.lastSignalAt = iso(state.lastSignalAt);
  }
  if (state.lastFailAt !== undefined) details.lastFailAt = iso(state.lastFailAt);
  if (state.openStartAt !== undefined) details.runningSince = iso(state.openStartAt);
  details.pings = state.pings ?? 0;

  const done = (s: HeartbeatState, extra: Partial<HeartbeatJudgement> = {}): HeartbeatJudgement => ({
    state: s,
    metrics,
    details: { ...details, state: s },
    values,
    ...extra,
  });

  if (state.openStartAt !== undefined && maxRuntime !== undefined && now - state.openStartAt > maxRuntime) {
    return done('overrun', {
      status: 'fail',
      error: {
        code: 'RUNTIME_EXCEEDED',
        message:
          `${check.id} started at ${iso(state.openStartAt)} and has not finished ` +
          `after ${formatDuration(now - state.openStartAt)} (maxRuntime ${check.maxRuntime})`,
      },
    });
  }
  if (state.lastFailAt !== undefined && (last === undefined || state.lastFailAt > last)) {
    return done('failed', {
      status: 'fail',
      error: {
        code: 'JOB_FAILED',
        message:
          `${check.id} reported a failure at ${iso(state.lastFailAt)}` +
          (last !== undefined ? `; last good ping ${formatDuration(now - last)} ago` : '; no good ping yet'),
      },
    });
  }
  if (last === undefined) {
    const since = state.watchedSince ?? now;
    // Published like a ping age, so the alarm (missing data breaches) waits as long as the check.
    values.sinceLastPing = round(Math.max(0, now - since) / 1000);
    metrics.SinceLastPing = values.sinceLastPing;
    details.watchedSince = iso(since);
    details.expectedBy = iso(since + period + grace);
    if (now - since <= period + grace) return done(state.openStartAt !== undefined ? 'running' : 'new');
    return done(state.openStartAt !== undefined ? 'running' : 'new', {
      status: 'fail',
      error: {
        code: 'PING_MISSING',
        message:
          `no good ping from ${check.id} since watching began ${formatDuration(now - since)} ` +
          `ago${state.openStartAt !== undefined ? ` (a run started at ${iso(state.openStartAt)})` : ''} (expected ` +
          `every ${check.period}, ${check.grace} grace)`,
      },
    });
  }
  const age = now - last;
  if (age > period + grace) {
    return done('down', {
      status: 'fail',
      error: {
        code: 'PING_MISSING',
        message:
          `no ping from ${check.id} for ${formatDuration(age)} (expected ` +
          `every ${check.period}, ${check.grace} grace); last ping ${iso(last)}`,
      },
    });
  }
  if (maxRuntime !== undefined && state.lastDurationMs !== undefined && state.lastDurationMs > maxRuntime) {
    const message = `the last run took ${formatDuration(state.lastDurationMs)} (maxRuntime ${check.maxRuntime})`;
    return done('slow', { status: 'degraded', degraded: { code: 'RUNTIME_SLOW', message } });
  }
  if (state.openStartAt !== undefined) return done('running');
  return done(age > period ? 'late' : 'up');
}

class HeartbeatObservations implements Observations {
  constructor(private readonly values: HeartbeatJudgement['values']) {}
  read(source: string): { value?: unknown } {
    switch (source) {
      case 'sinceLastPing':
        return { value: this.values.sinceLastPing };
      case 'jobDuration':
        return { value: this.values.jobDuration };
      case 'lastSignal':
        return { value: this.values.lastSignal };
      default:
        return {};
    }
  }
}

/** Runs one attempt: a strongly consistent read of the check's ping state, then the judgement. */
export async function runHeartbeat(check: ValidatedHeartbeatCheck, ctx: ProbeContext): Promise<ProbeOutcome> {
  const elapsed = phaseTimer().total;
  const table = ctx.state?.table;
  if (!table)
    return {
      error: {
        code: 'INTERNAL',
        message:
          'a heartbeat check reads its pings from the results table, and the runner was given none ' +
          '(ProbeContext.state.table)',
      },
      timings: { total: 0 },
    };
  let state: PingState | undefined;
  try {
    state = await new PingStore({ client: table.client, tableName: table.tableName }).stateWatched(
      check.id,
      Date.now(),
      ctx.signal,
    );
  } catch (e) {
    const total = elapsed();
    if (ctx.signal.aborted)
      return {
        error: { code: 'TIMEOUT', message: `reading the pings of ${check.id} took longer than ${ctx.timeoutMs}ms` },
        timings: { total },
      };
    return {
      error: {
        code: 'STORE',
        message: `cannot read the pings of ${check.id} from ${table.tableName}: ${describeError(e)}`,
      },
      timings: { total },
    };
  }
  const read = elapsed();
  // The endpoint refused a ping because the stored token is too short: no ping can ever arrive.
  if (state.shortTokenLength !== undefined) {
    const ref = check as { token?: { secret?: string } };
    const where = ref.token?.secret ? ` (secret "${ref.token.secret}")` : '';
    return {
      error: {
        code: 'TOKEN_TOO_SHORT',
        message:
          `the token of ${check.id}${where} has ${state.shortTokenLength} characters; the ping endpoint refuses ` +
          `tokens shorter than ${MIN_TOKEN_LENGTH} — store a longer one, e.g. openssl rand -hex 16`,
      },
      timings: { read, total: elapsed() },
    };
  }
  const j = judgeHeartbeat(check, state, Date.now());
  const outcome: ProbeOutcome = {
    timings: { read, total: elapsed() },
    metrics: j.metrics,
    details: j.details,
    observations: new HeartbeatObservations(j.values),
  };
  if (j.error) outcome.error = j.error;
  if (j.status) outcome.status = j.status;
  if (j.degraded) outcome.degraded = j.degraded;
  return outcome;
}
