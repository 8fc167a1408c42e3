/**
 * Runs one check once (with its retries) and returns a CheckResult. Whatever the target does,
 * this returns within the check's timeout per attempt and never after `deadline`: a probe that
 * does not honour its abort signal is abandoned and the run ends as TIMEOUT. Whatever the code
 * does, it returns a result: a probe, an assertion or a secret resolver that throws ends this
 * check as INTERNAL, never the pass.
 */
import { evaluateAssertions } from '../assertions/evaluate';
import type { ValidatedCheck, ValidatedConfig } from '../config/types';
import { formatDuration, ms } from '../duration';
import { probeKind } from '../probes/registry';
import type { ProbeContext, ProbeKind, ProbeOutcome, ProbeState } from '../probes/types';
import { beforeDeadline, retry, TimeoutError } from '../retry';
import { redact, resolveSecrets, SecretError, secretNames, SecretSet, type SecretResolver } from '../secrets';
import type { CheckResult, CheckStatus, DegradedReason } from '../types';

export interface RunCheckOptions {
  region: string;
  /** ms since epoch this run was scheduled for. @default now */
  scheduledAt?: number;
  /** ms since epoch by which the run must be over, retries included. @default none */
  deadline?: number;
  secrets: SecretResolver;
  config?: ValidatedConfig;
  lookup?: ProbeContext['lookup'];
  /** The stored state the runner has; a kind gets the parts it declares in `state`. @default none */
  state?: Partial<ProbeState>;
  /** Aborts the run at once (e.g. `watchpost dev` stopping): the probe gets the abort like a timeout. */
  signal?: AbortSignal;
}

/** Backoff between a check's attempts (shared/retry.ts): 250 ms, 500 ms, 1 s, 2 s… capped at 2 s, no jitter. */
export const CHECK_BACKOFF = { baseMs: 250, capMs: 2_000, factor: 2, jitter: 'none' } as const;

/** Only the stored state a kind declares: a kind that declares none reads nothing stored. */
function stateFor(kind: ProbeKind, state: Partial<ProbeState> | undefined): Partial<ProbeState> {
  const out: Partial<ProbeState> = {};
  for (const need of kind.state ?? []) if (state?.[need]) Object.assign(out, { [need]: state[need] });
  return out;
}

/** How long past the deadline a secret resolver may take to report its own failure. */
const SECRET_GRACE_MS = 250;

/** A retry is not started with less than this left before the deadline. */
const MIN_RETRY_MS = 100;

const message = (e: unknown) => (e instanceof Error ? e.message : String(e));
const internal = (what: string, e: unknown): ProbeOutcome => ({
  error: { code: 'INTERNAL', message: `${what}: ${message(e)}` },
  timings: {},
});

const ATTEMPT_OVER = new Error('attempt over');

/**
 * The secrets a run of the check resolves: every one it references, unless its kind reads none
 * (heartbeat). The CDK app grants the runner exactly these (infra/runner.ts).
 */
export function runSecretNames(check: ValidatedCheck): Set<string> {
  return probeKind(check.kind).runReadsSecrets === false ? new Set() : secretNames(check);
}

/** Whether a run resolves secrets at all (most do not: skip the deep copy for them). */
const secretFree = new WeakMap<object, boolean>();
function needsSecrets(check: ValidatedCheck): boolean {
  let v = secretFree.get(check);
  if (v === undefined) secretFree.set(check, (v = runSecretNames(check).size === 0));
  return !v;
}

async function attempt(
  check: ValidatedCheck,
  ctxBase: Omit<ProbeContext, 'signal' | 'timeoutMs'>,
  timeoutMs: number,
  outer?: AbortSignal,
): Promise<ProbeOutcome> {
  const controller = new AbortController();
  // An outer abort ends the attempt at once, whether or not the probe honours its signal.
  let stopped!: (o: ProbeOutcome) => void;
  const aborted = new Promise<ProbeOutcome>((resolve) => (stopped = resolve));
  const stop = () => {
    controller.abort(outer?.reason);
    stopped({ error: { code: 'ABORTED', message: 'the runner stopped' }, timings: {} });
  };
  if (outer?.aborted) stop();
  else outer?.addEventListener('abort', stop, { once: true });
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<ProbeOutcome>((resolve) => {
    // The probe gets the abort first and a short grace to report its own phase (e.g. CONNECT_TIMEOUT).
    timer = setTimeout(() => {
      controller.abort(new Error('timeout'));
      timer = setTimeout(
        () =>
          resolve({
            error: { code: 'TIMEOUT', message: `no answer within ${timeoutMs}ms` },
            timings: { total: timeoutMs },
          }),
        50,
      );
    }, timeoutMs);
  });
  try {
    // A throw from a probe (before or after it returns a promise) is a bug in the probe; the run still ends as data.
    const run = Promise.resolve()
      .then(() => probeKind(check.kind).run(check, { ...ctxBase, signal: controller.signal, timeoutMs }))
      .then((o) => (o && typeof o === 'object' ? o : internal('probe crashed', `it returned ${String(o)}`)))
      .catch((e: unknown) => internal('probe crashed', e));
    return await Promise.race([run, timedOut, aborted]);
  } finally {
    clearTimeout(timer);
    outer?.removeEventListener('abort', stop);
    // Stops whatever the probe left running; a shared reason: abort() without one builds a DOMException per run.
    controller.abort(ATTEMPT_OVER);
  }
}

/** The status of an attempt and, when degraded, why: the kind's own warn level first, then `degradedAfter`. */
export function statusOf(
  check: ValidatedCheck,
  outcome: ProbeOutcome,
  assertionsFailed: boolean,
): { status: CheckStatus; degraded?: DegradedReason } {
  if (outcome.error || assertionsFailed || outcome.status === 'fail') return { status: 'fail' };
  if (outcome.status === 'degraded' || outcome.degraded) {
    const fallback = { code: 'DEGRADED', message: `the ${check.kind} probe reported a warning level` };
    return { status: 'degraded', degraded: outcome.degraded ?? fallback };
  }
  const latency = outcome.latencyMs ?? outcome.timings?.total;
  if (check.degradedAfter !== undefined && latency !== undefined && latency > ms(check.degradedAfter)) {
    const message = `took ${formatDuration(latency)}, slower than degradedAfter ${check.degradedAfter}`;
    return { status: 'degraded', degraded: { code: 'SLOW', message } };
  }
  return { status: 'pass' };
}

/** Runs a check with retries and returns its result (secrets resolved for the probe, redacted from the result). */
export async function runCheck(check: ValidatedCheck, opts: RunCheckOptions): Promise<CheckResult> {
  const started = Date.now();
  const scheduledAt = opts.scheduledAt ?? started;
  const deadline = opts.deadline ?? Number.POSITIVE_INFINITY;
  // This run's secrets: the check's resolved ones and what the probe marks secret (ctx.secret).
  const secretValues = new SecretSet();
  const base = {
    checkId: check.id,
    kind: check.kind,
    region: opts.region,
    scheduledAt: new Date(scheduledAt).toISOString(),
  };

  const failed = (code: string, msg: string): CheckResult => ({
    ...base,
    startedAt: new Date(started).toISOString(),
    durationMs: Date.now() - started,
    status: 'fail',
    attempts: 0,
    error: { code, message: msg },
    timings: {},
    assertions: [],
    metrics: {},
  });

  const needs = needsSecrets(check);
  let resolved: ValidatedCheck;
  try {
    // A resolver that hangs past the deadline must not hold the pass: the check ends as SECRET.
    // The resolver's own deadline handling (and its message) comes first; this only catches one that has none.
    const found = new Set<string>();
    const reading = needs ? resolveSecrets(check, opts.secrets, found) : Promise.resolve(check);
    const late = () => {
      const names = [...secretNames(check)];
      const quoted = names.map((n) => `"${n}"`).join(', ');
      const what = `secret${names.length === 1 ? '' : 's'} ${quoted}`;
      return Promise.reject(new SecretError(names.join(', '), `${what} not read before the runner's deadline`));
    };
    resolved = await beforeDeadline(reading, deadline + SECRET_GRACE_MS, late);
    for (const v of found) secretValues.add(v);
  } catch (e) {
    // Whatever the resolver threw, the secret was not read: SECRET, with what it said.
    const msg = e instanceof SecretError ? e.message : `cannot read secrets: ${message(e)}`;
    return redact(failed('SECRET', msg), secretValues);
  }

  const ctxBase = {
    region: opts.region,
    config: opts.config,
    lookup: opts.lookup,
    state: stateFor(probeKind(check.kind), opts.state),
    secret: (v: string) => void secretValues.add(v),
  };
  const timeout = ms(check.timeout);
  const once = async (n: number): Promise<CheckResult> => {
    const left = deadline - Date.now();
    const attemptStarted = Date.now();
    let outcome = await attempt(resolved, ctxBase, Math.min(timeout, left), opts.signal);
    if (outcome.error?.code === 'TIMEOUT' && left < timeout) {
      const message = `stopped at the runner's deadline after ${Date.now() - attemptStarted}ms`;
      outcome.error = { code: 'TIMEOUT', message };
    }
    let evaluated: ReturnType<typeof evaluateAssertions> | undefined;
    try {
      const obs = outcome.error ? undefined : outcome.observations;
      if (obs) evaluated = evaluateAssertions(check.assertions, obs);
    } catch (e) {
      outcome = { ...internal('assertion evaluation crashed', e), timings: outcome.timings };
    }
    const failed = evaluated?.error;
    // A kind's context (logs: the newest matching line) goes into the assertion's message and so the page.
    const error =
      outcome.error ??
      (failed && outcome.failureContext
        ? { ...failed, message: `${failed.message}; ${outcome.failureContext}` }
        : failed);
    const judged = statusOf(check, outcome, !!evaluated?.error);
    const result: CheckResult = {
      ...base,
      startedAt: new Date(attemptStarted).toISOString(),
      durationMs: Date.now() - started,
      status: judged.status,
      attempts: n,
      timings: outcome.timings ?? {},
      assertions: evaluated?.results ?? [],
      metrics: outcome.metrics ?? {},
    };
    if (error) result.error = error;
    if (outcome.details) result.details = outcome.details;
    if (judged.degraded) result.degraded = judged.degraded;
    return result;
  };

  const out = await retry(({ attempt: n }) => once(n), {
    ...CHECK_BACKOFF,
    attempts: check.retries + 1,
    deadline,
    minAttemptMs: MIN_RETRY_MS,
    graceMs: 500, // attempt() ends itself 50 ms after its own timeout, with the phase that hung
    again: (r) => r.status === 'fail' && !opts.signal?.aborted,
    retryable: () => false, // once() returns failures as results; a throw is a bug, reported below
  });
  let result: CheckResult;
  if (out.ok) result = out.value;
  else if (out.value) result = out.value;
  else if (out.stop === 'deadline' && !out.attempts)
    result = { ...failed('TIMEOUT', 'the runner reached its deadline before this check could run'), attempts: 1 };
  else if (out.error instanceof TimeoutError)
    result = { ...failed('TIMEOUT', out.error.message), attempts: out.attempts };
  else result = failed('INTERNAL', `the run crashed: ${message(out.error)}`);
  return redact(result, secretValues);
}
