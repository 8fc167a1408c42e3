/**
 * Runs one check once (with its retries) and returns a CheckResult. Whatever the target does,
 * this returns within the check's timeout per attempt and never after `deadline`: a probe that
 * does not honour its abort signal is abandoned and the run ends as TIMEOUT.
 */
import { evaluateAssertions } from '../assertions/evaluate';
import type { ValidatedCheck, ValidatedConfig } from '../config/types';
import { formatDuration, ms } from '../duration';
import { probeKind } from '../probes/registry';
import type { ProbeContext, ProbeKind, ProbeOutcome, ProbeState } from '../probes/types';
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

/** Only the stored state a kind declares: a kind that declares none reads nothing stored. */
function stateFor(kind: ProbeKind, state: Partial<ProbeState> | undefined): Partial<ProbeState> {
  const out: Partial<ProbeState> = {};
  for (const need of kind.state ?? []) if (state?.[need]) Object.assign(out, { [need]: state[need] });
  return out;
}

const sleep = (msv: number) => new Promise((r) => setTimeout(r, msv));

/** Backoff between attempts: 250 ms, 500 ms, 1 s, 2 s… capped at 2 s. */
export const backoffMs = (attempt: number): number => Math.min(2_000, 250 * 2 ** (attempt - 1));

const ATTEMPT_OVER = new Error('attempt over');

/** Whether a check references secrets at all (most do not: skip the deep copy for them). */
const secretFree = new WeakMap<object, boolean>();
function needsSecrets(check: ValidatedCheck): boolean {
  let v = secretFree.get(check);
  if (v === undefined) secretFree.set(check, (v = secretNames(check).size === 0));
  return !v;
}

async function attempt(check: ValidatedCheck, ctxBase: Omit<ProbeContext, 'signal' | 'timeoutMs'>, timeoutMs: number, outer?: AbortSignal): Promise<ProbeOutcome> {
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
        () => resolve({ error: { code: 'TIMEOUT', message: `no answer within ${timeoutMs}ms` }, timings: { total: timeoutMs } }),
        50,
      );
    }, timeoutMs);
  });
  try {
    const run = probeKind(check.kind)
      .run(check, { ...ctxBase, signal: controller.signal, timeoutMs })
      .catch((e: unknown): ProbeOutcome => ({
        // A throw from a probe is a bug in the probe, but the run still ends as data.
        error: { code: 'INTERNAL', message: `probe crashed: ${(e as Error)?.message ?? String(e)}` },
        timings: {},
      }));
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
  const latency = outcome.latencyMs ?? outcome.timings.total;
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

  let resolved: ValidatedCheck;
  try {
    const found = new Set<string>();
    resolved = needsSecrets(check) ? await resolveSecrets(check, opts.secrets, found) : check;
    for (const v of found) secretValues.add(v);
  } catch (e) {
    const message = e instanceof SecretError ? e.message : `cannot read secrets: ${(e as Error).message}`;
    return redact({
      ...base,
      startedAt: new Date(started).toISOString(),
      durationMs: Date.now() - started,
      status: 'fail',
      attempts: 0,
      error: { code: 'SECRET', message },
      timings: {},
      assertions: [],
      metrics: {},
    } satisfies CheckResult);
  }

  const ctxBase = {
    region: opts.region,
    config: opts.config,
    lookup: opts.lookup,
    state: stateFor(probeKind(check.kind), opts.state),
    secret: (v: string) => void secretValues.add(v),
  };
  const timeout = ms(check.timeout);
  let result!: CheckResult;
  for (let n = 1; n <= check.retries + 1; n++) {
    const left = deadline - Date.now();
    const attemptStarted = Date.now();
    let outcome: ProbeOutcome;
    if (left <= 0) {
      outcome = { error: { code: 'TIMEOUT', message: 'the runner reached its deadline before this check could run' }, timings: {} };
    } else {
      outcome = await attempt(resolved, ctxBase, Math.min(timeout, left), opts.signal);
      if (outcome.error?.code === 'TIMEOUT' && left < timeout)
        outcome.error = { code: 'TIMEOUT', message: `stopped at the runner's deadline after ${Date.now() - attemptStarted}ms` };
    }
    const evaluated = outcome.observations && !outcome.error ? evaluateAssertions(check.assertions, outcome.observations) : undefined;
    const assertions = evaluated?.results ?? [];
    const error = outcome.error ?? evaluated?.error;
    const judged = statusOf(check, outcome, !!evaluated?.error);
    result = {
      ...base,
      startedAt: new Date(attemptStarted).toISOString(),
      durationMs: Date.now() - started,
      status: judged.status,
      attempts: n,
      timings: outcome.timings,
      assertions,
      metrics: outcome.metrics ?? {},
    };
    if (error) result.error = error;
    if (judged.degraded) result.degraded = judged.degraded;
    if (outcome.details) result.details = outcome.details;
    if (result.status !== 'fail' || n > check.retries || opts.signal?.aborted) break;
    const wait = backoffMs(n);
    if (Date.now() + wait + 100 >= deadline) break;
    await sleep(wait);
  }
  return redact(result, secretValues);
}
