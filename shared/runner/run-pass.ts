/**
 * One runner pass: the checks due at a tick run concurrently under a limit, every result is
 * written to the store and published as metrics before the deadline. A write or publish that
 * still fails after retries (or has not answered by its deadline) is logged with the whole
 * result; the pass goes on. A check whose code throws ends as INTERNAL; the others run on.
 */
import type { ValidatedConfig } from '../config/types';
import type { Log } from '../log';
import type { MetricSink } from '../metrics/types';
import type { ProbeContext, ProbeState } from '../probes/types';
import { beforeDeadline, mapLimit, sleep } from '../retry';
import type { SecretResolver } from '../secrets';
import type { ResultStore, WriteReport } from '../store/types';
import { redact } from '../redact';
import type { CheckResult } from '../types';
import { runCheck } from './run-check';
import { dueRuns, type DueRun, type ScheduleOptions } from './schedule';

export interface PassOptions extends ScheduleOptions {
  config: ValidatedConfig;
  region: string;
  /** The scheduled tick (ms since epoch); the minute it falls in is run. */
  tick: number;
  /** ms since epoch by which probes must be over (writes and publishing use the time after it). */
  deadline: number;
  /**
   * ms since epoch by which storing is over: results not stored by then are logged whole and the
   * heartbeat says 0. The Lambda derives it from its own deadline (shared/runner/budget.ts). @default none
   */
  storeDeadline?: number;
  /** ms since epoch by which publishing metrics is over. @default none */
  publishDeadline?: number;
  /** Runs in flight at once. @default 64 */
  concurrency?: number;
  /** Wait for each run's place in the minute (true in the Lambda and `dev`; false for `run`). @default true */
  waitForSchedule?: boolean;
  /** Only these runs (overrides the schedule), e.g. `watchpost run --check`. */
  runs?: DueRun[];
  secrets: SecretResolver;
  store?: ResultStore;
  metrics?: MetricSink;
  log: Log;
  lookup?: ProbeContext['lookup'];
  /** The results table for kinds that read stored state (heartbeat pings). */
  table?: ProbeState['table'];
  /**
   * Store each result as soon as it is ready instead of all at the end (`watchpost dev`, whose
   * passes span a whole minute: the dashboard should not lag). The Lambda batches. @default false
   */
  storeEachResult?: boolean;
  /** Called as each result is ready (live view). */
  onResult?: (r: CheckResult) => void;
  /**
   * Stops the pass (e.g. `watchpost dev` on Ctrl-C): no further run starts, runs in flight are
   * aborted, and their results are dropped (neither stored nor reported: they were cut short).
   */
  signal?: AbortSignal;
}

export interface PassReport {
  results: CheckResult[];
  written: number;
  writeFailures: number;
  published: number;
  publishFailures: number;
  /** The RunnerHealth value sent: false (0) when any result was not stored. */
  runnerHealthy: boolean;
}

/**
 * The store and the sink stop at their deadlines themselves (and say why); the pass stops
 * waiting for them this much later, only for one that does not (then its log line may follow).
 */
const LATE_GRACE_MS = 200;

/** The result of a check whose run threw (a bug): INTERNAL, so the pass and its heartbeat go on. */
function crashed(run: DueRun, region: string, e: unknown): CheckResult {
  const now = new Date().toISOString();
  // The run's own secret set is gone with it: the process-wide set still scrubs the message.
  return redact({
    checkId: run.check.id,
    kind: run.check.kind,
    region,
    scheduledAt: new Date(run.scheduledAt).toISOString(),
    startedAt: now,
    durationMs: 0,
    status: 'fail',
    attempts: 0,
    error: { code: 'INTERNAL', message: `the run crashed: ${(e as Error)?.message ?? String(e)}` },
    timings: {},
    assertions: [],
    metrics: {},
  });
}

export async function runPass(opts: PassOptions): Promise<PassReport> {
  const runs = opts.runs ?? dueRuns(opts.config, opts.region, opts.tick, opts);
  const results: CheckResult[] = [];
  // One store-backed state for every kind; each gets the parts it declares (ProbeKind.state).
  const resultStore = opts.store;
  const state: Partial<ProbeState> = { table: opts.table };
  if (resultStore)
    state.history = async (checkId, limit) =>
      (await resultStore.history(checkId, { limit, region: opts.region })).map((r) => ({
        scheduledAt: r.scheduledAt,
        metrics: r.metrics,
      }));

  const storeFailure = (e: Error, batch: CheckResult[]): WriteReport => ({
    written: 0,
    failed: batch.map((result) => ({ result, reason: e.message })),
    fresh: [],
  });
  const stored: WriteReport = { written: 0, failed: [], fresh: [] };
  const storeDeadline = opts.storeDeadline ?? Number.POSITIVE_INFINITY;
  const store = async (batch: CheckResult[]) => {
    if (!opts.store || !batch.length) return;
    const late = () => storeFailure(new Error('the store did not answer before its deadline'), batch);
    const write = Promise.resolve()
      .then(() => opts.store!.writeResults(batch, { deadline: storeDeadline }))
      .catch((e: Error) => storeFailure(e, batch));
    const r = await beforeDeadline(write, storeDeadline + LATE_GRACE_MS, late);
    stored.written += r.written;
    stored.failed.push(...r.failed);
    stored.fresh.push(...(r.fresh ?? []));
  };

  await mapLimit(runs, opts.concurrency ?? 64, async (run) => {
    if (opts.waitForSchedule !== false) {
      const wait = Math.min(run.scheduledAt, opts.deadline) - Date.now();
      if (wait > 0 && !opts.signal?.aborted) await sleep(wait, opts.signal);
    }
    if (opts.signal?.aborted) return;
    const r = await runCheck(run.check, {
      region: opts.region,
      scheduledAt: run.scheduledAt,
      deadline: opts.deadline,
      secrets: opts.secrets,
      config: opts.config,
      lookup: opts.lookup,
      state,
      signal: opts.signal,
    }).catch((e: unknown) => crashed(run, opts.region, e));
    if (opts.signal?.aborted) return;
    results.push(r);
    if (opts.storeEachResult) await store([r]);
    try {
      opts.onResult?.(r);
    } catch (e) {
      opts.log.warn('onResult failed', { checkId: r.checkId, error: (e as Error)?.message ?? String(e) });
    }
  });

  const report: PassReport = {
    results,
    written: 0,
    writeFailures: 0,
    published: 0,
    publishFailures: 0,
    runnerHealthy: true,
  };
  // Store first: the runner health published next tells whether this pass stored its results.
  if (!opts.storeEachResult) await store(results);
  const publishDeadline = opts.publishDeadline ?? Number.POSITIVE_INFINITY;
  const publishFailure = (reason: string) => ({
    published: 0,
    failed: results.map((r) => ({ checkId: r.checkId, reason })),
  });
  const at = new Date(opts.tick);
  const runnerHealthy = (report.runnerHealthy = stored.failed.length === 0);
  // A shard's healthy pass is its share of the region's minute (the shares of a minute add up to 1).
  const health = { runnerHealthy, runnerHealthShare: 1 / (opts.shard?.count ?? 1), deadline: publishDeadline };
  // The series count regions: a re-delivered pass stores its results again but publishes only new ones.
  const toPublish = opts.store ? stored.fresh : results;
  const published = opts.metrics
    ? await beforeDeadline(
        Promise.resolve()
          .then(() => opts.metrics!.publish(toPublish, opts.region, at, health))
          .catch((e: Error) => publishFailure(e.message)),
        publishDeadline + LATE_GRACE_MS,
        () => publishFailure('CloudWatch did not answer before the deadline'),
      )
    : undefined;
  if (opts.store) {
    report.written = stored.written;
    report.writeFailures = stored.failed.length;
    // Never a silent loss: the whole result goes to the log, where it can be recovered.
    for (const f of stored.failed) opts.log.error('result not stored', { reason: f.reason, result: f.result });
  }
  if (published) {
    report.published = published.published;
    report.publishFailures = published.failed.length;
    const byId = new Map(results.map((r) => [r.checkId, r]));
    for (const f of published.failed)
      opts.log.error('metrics not published', { reason: f.reason, result: byId.get(f.checkId) });
  }
  return report;
}
