/**
 * One run of a heartbeat check: read the ping state from the table and judge it. The probe
 * has no network target; its "target misbehaving" is a job that stops pinging, fails, or runs
 * too long.
 */
import type { ValidatedHeartbeatCheck } from './index';
import { cronSchedule, zonedClock } from '../../cron';
import { formatDuration, ms } from '../../duration';
import { describeError } from '../../retry';
import type { CheckError } from '../../types';
import { phaseTimer, round } from '../net';
import type { Observations, ProbeContext, ProbeOutcome } from '../types';
import { MIN_TOKEN_LENGTH } from './endpoint';
import { PingStore, STORED_BODY_BYTES, type OpenRun, type PingState } from './ping-store';

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
  values: { sinceLastPing?: number; jobDuration?: number; lastSignal?: string; exitCode?: number };
}

/** Characters of a job's output quoted in a page (the whole kept output is in `details.lastOutput`). */
export const QUOTED_OUTPUT_CHARS = 300;

/** `; last output: …` — the end of the kept output on one line (the error is usually at the end). */
function lastOutputText(output: string | undefined, bytes: number | undefined): string {
  const text = output?.replace(/\s+/g, ' ').trim();
  if (!text) return '';
  const quoted = text.length > QUOTED_OUTPUT_CHARS ? `…${text.slice(-QUOTED_OUTPUT_CHARS)}` : text;
  const cut = bytes !== undefined && bytes > STORED_BODY_BYTES;
  return `; last output: ${quoted}${cut ? `… (cut at ${kib(STORED_BODY_BYTES)} of ${kib(bytes)})` : ''}`;
}
const kib = (n: number) => `${Math.ceil(n / 1024)} KiB`;

/**
 * When the next good ping is due after `ref` (the last one, or when watching began): `ref +
 * period`, or the first `schedule` fire time after `ref` in `timezone`. Undefined: never again.
 */
export function dueAfter(check: ValidatedHeartbeatCheck, ref: number): number | undefined {
  if (check.schedule === undefined) return ref + ms(check.period!);
  return cronSchedule(check.schedule, check.timezone).next(ref);
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
  openRuns: readonly OpenRun[] = [],
): HeartbeatJudgement {
  const grace = ms(check.grace);
  const maxRuntime = check.maxRuntime !== undefined ? ms(check.maxRuntime) : undefined;
  const metrics: Record<string, number> = {};
  const values: HeartbeatJudgement['values'] = {};
  const tz = check.timezone ?? 'UTC';
  const details: Record<string, unknown> =
    check.schedule !== undefined
      ? { schedule: check.schedule, timezone: tz, grace: check.grace }
      : { period: check.period, grace: check.grace };
  if (check.maxRuntime !== undefined) details.maxRuntime = check.maxRuntime;

  // Never looked before: watching starts now.
  state ??= { checkId: check.id, watchedSince: now };

  const last = state.lastSuccessAt;
  // When the next good ping is due, and the end of its grace.
  const due = dueAfter(check, last ?? state.watchedSince ?? now);
  const deadline = due === undefined ? Number.POSITIVE_INFINITY : due + grace;
  if (due !== undefined) {
    details.expectedAt = iso(due);
    details.expectedBy = iso(deadline);
  }
  // `expected 02:00 Europe/Rome` (schedule) — on-call reads the job's own clock.
  const expected = due === undefined ? '' : `expected ${zonedClock(due, now, tz)} ${tz}`;
  if (last !== undefined) {
    values.sinceLastPing = round(Math.max(0, now - last) / 1000);
    metrics.SinceLastPing = values.sinceLastPing;
    details.lastPingAt = iso(last);
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
  if (state.lastExitCode !== undefined) {
    values.exitCode = state.lastExitCode;
    details.exitCode = state.lastExitCode;
  }
  if (state.lastOutput !== undefined) {
    details.lastOutput = state.lastOutput;
    details.lastOutputAt = iso(state.lastOutputAt);
  }
  // The oldest open run decides maxRuntime: a plain /start, or one paired by its rid.
  const oldestRid = openRuns[0];
  const openStartAt =
    oldestRid !== undefined && (state.openStartAt === undefined || oldestRid.startAt < state.openStartAt)
      ? oldestRid.startAt
      : state.openStartAt;
  const openRid = openStartAt !== undefined && openStartAt === oldestRid?.startAt ? oldestRid.rid : undefined;
  if (openStartAt !== undefined) details.runningSince = iso(openStartAt);
  if (openRuns.length) details.openRuns = openRuns.length;
  details.pings = state.pings ?? 0;

  const done = (s: HeartbeatState, extra: Partial<HeartbeatJudgement> = {}): HeartbeatJudgement => ({
    state: s,
    metrics,
    details: { ...details, state: s },
    values,
    ...extra,
  });

  if (openStartAt !== undefined && maxRuntime !== undefined && now - openStartAt > maxRuntime) {
    const run = openRid !== undefined ? ` (run ${openRid})` : '';
    return done('overrun', {
      status: 'fail',
      error: {
        code: 'RUNTIME_EXCEEDED',
        message:
          `${check.id}${run} started at ${iso(openStartAt)} and has not finished after ` +
          `${formatDuration(now - openStartAt)} (maxRuntime ${check.maxRuntime})`,
      },
    });
  }
  if (state.lastFailAt !== undefined && (last === undefined || state.lastFailAt > last)) {
    const how = state.lastExitCode !== undefined ? `exited with code ${state.lastExitCode}` : 'reported a failure';
    const output = lastOutputText(state.lastOutput, state.lastOutputBytes);
    const good = last !== undefined ? `; last good ping ${formatDuration(now - last)} ago` : '; no good ping yet';
    return done('failed', {
      status: 'fail',
      error: {
        code: 'JOB_FAILED',
        message: `${check.id} ${how} at ${iso(state.lastFailAt)}${good}${output}`,
      },
    });
  }
  const running = openStartAt !== undefined;
  if (last === undefined) {
    const since = state.watchedSince ?? now;
    // Published like a ping age, so the alarm (missing data breaches) waits as long as the check.
    values.sinceLastPing = round(Math.max(0, now - since) / 1000);
    metrics.SinceLastPing = values.sinceLastPing;
    details.watchedSince = iso(since);
    if (now <= deadline) return done(running ? 'running' : 'new');
    const started = running ? ` (a run started at ${iso(openStartAt)})` : '';
    return done(running ? 'running' : 'new', {
      status: 'fail',
      error: {
        code: 'PING_MISSING',
        message:
          check.schedule !== undefined
            ? `${expected}, no good ping yet (watching since ${zonedClock(since, now, tz)})${started}`
            : `no good ping from ${check.id} since watching began ${formatDuration(now - since)} ago${started} ` +
              `(expected every ${check.period}, ${check.grace} grace)`,
      },
    });
  }
  const age = now - last;
  if (now > deadline) {
    return done('down', {
      status: 'fail',
      error: {
        code: 'PING_MISSING',
        message:
          check.schedule !== undefined
            ? `${expected}, nothing since ${zonedClock(last, now, tz)}`
            : `no ping from ${check.id} for ${formatDuration(age)} (expected every ${check.period}, ` +
              `${check.grace} grace); last ping ${iso(last)}`,
      },
    });
  }
  if (maxRuntime !== undefined && state.lastDurationMs !== undefined && state.lastDurationMs > maxRuntime) {
    const message = `the last run took ${formatDuration(state.lastDurationMs)} (maxRuntime ${check.maxRuntime})`;
    return done('slow', { status: 'degraded', degraded: { code: 'RUNTIME_SLOW', message } });
  }
  if (running) return done('running');
  return done(due !== undefined && now > due ? 'late' : 'up');
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
      case 'exitCode':
        return { value: this.values.exitCode };
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
  let open: OpenRun[] = [];
  try {
    const store = new PingStore({ client: table.client, tableName: table.tableName });
    state = await store.stateWatched(check.id, Date.now(), ctx.signal);
    // Runs paired by rid live in their own items: read them only when some are open.
    if ((state.openRuns ?? 0) > 0) open = await store.openRuns(check.id, 100, ctx.signal);
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
  const j = judgeHeartbeat(check, state, Date.now(), open);
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
