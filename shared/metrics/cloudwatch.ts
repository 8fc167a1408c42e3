/**
 * Publishes results as CloudWatch metrics in the HOME region (alarms can only read metrics of
 * their own region, so every region's runner publishes there). A check's series are shared by
 * all its regions (shared/alarms/metrics.ts): give `publish` only the results whose store write
 * was new, or a re-delivered invocation counts twice. Each result is also logged as one JSON
 * line (`check result`), the per-region detail the dashboard's Logs Insights widgets read.
 *
 * Batches of at most 1,000 datums and well under the 1 MB request limit, a few calls in
 * parallel, retries with backoff for throttling, 5xx and network errors. Never throws: the
 * check ids of a call that still fails come back in `failed` with the reason.
 */
import { PutMetricDataCommand, type CloudWatchClient, type MetricDatum } from '@aws-sdk/client-cloudwatch';
import { silentLog, type Log } from '../log';
import { registry } from '../probes/registry';
import type { ProbeKind } from '../probes/types';
import { describeError, describeStop, mapLimit, retry } from '../retry';
import { METRIC_NAMESPACE } from '../store/table';
import type { CheckResult } from '../types';
import { RESULT_LOG_MESSAGE } from '../alarms/metrics';
import { resultDatums, resultLogFields, runnerHealthDatum, type Datum } from './datums';
import type { MetricSink, PublishOptions, PublishReport } from './types';

export interface CloudWatchMetricSinkOptions {
  /**
   * A client for the HOME region. Build it with `awsClient()` (shared/aws-clients.ts): timeouts
   * set and 1 SDK attempt, so the sink's retries (shared/retry.ts) are the only ones.
   */
  client: CloudWatchClient;
  /** The config's `project`, published as the `Project` dimension of every datum. */
  project: string;
  /** @default "Watchpost" (METRIC_NAMESPACE) */
  namespace?: string;
  /** @default silent */
  log?: Log;
  /** Attempts per PutMetricData call. @default 4 */
  maxAttempts?: number;
  /** First retry delay; doubles each retry (with jitter), capped at 2 s. @default 100 */
  retryBaseMs?: number;
  /** One call's time limit; a call past it is aborted and retried. @default 3000 */
  callTimeoutMs?: number;
  /** Calls in flight at once. @default 4 */
  concurrency?: number;
  /** Kind registry for declared units (tests pass their own). @default the probe registry */
  kinds?: ReadonlyMap<string, Pick<ProbeKind, 'metrics'>>;
}

/** PutMetricData limits: 1,000 datums and 1 MB per request. Keep a margin on the size. */
export const MAX_DATUMS_PER_CALL = 1_000;
const MAX_CALL_BYTES = 900_000;

interface Call {
  datums: MetricDatum[];
  bytes: number;
  /** Check ids whose datums are in this call (a result's datums never span two calls). */
  checkIds: Set<string>;
  runnerHealth: boolean;
}

const toMetricDatum = (d: Datum): MetricDatum => ({
  MetricName: d.name,
  Dimensions: d.dimensions.map((x) => ({ Name: x.name, Value: x.value })),
  Timestamp: d.timestamp,
  Value: d.value,
  Unit: d.unit,
});

/** Size of a datum on the wire (JSON), roughly and generously. */
const sizeOf = (d: MetricDatum) => JSON.stringify(d).length + 16;

export class CloudWatchMetricSink implements MetricSink {
  private readonly client: CloudWatchClient;
  private readonly project: string;
  private readonly namespace: string;
  private readonly log: Log;
  private readonly maxAttempts: number;
  private readonly retryBaseMs: number;
  private readonly callTimeoutMs: number;
  private readonly concurrency: number;
  private readonly kinds: ReadonlyMap<string, Pick<ProbeKind, 'metrics'>>;

  constructor(opts: CloudWatchMetricSinkOptions) {
    this.client = opts.client;
    this.project = opts.project;
    this.namespace = opts.namespace ?? METRIC_NAMESPACE;
    this.log = opts.log ?? silentLog;
    this.maxAttempts = Math.max(1, opts.maxAttempts ?? 4);
    this.retryBaseMs = opts.retryBaseMs ?? 100;
    this.callTimeoutMs = opts.callTimeoutMs ?? 3_000;
    this.concurrency = Math.max(1, opts.concurrency ?? 4);
    this.kinds = opts.kinds ?? registry;
  }

  async publish(
    results: readonly CheckResult[],
    region: string,
    at: Date,
    opts: PublishOptions = {},
  ): Promise<PublishReport> {
    for (const r of results) this.log.info(RESULT_LOG_MESSAGE, resultLogFields(r));
    const calls = this.plan(results, region, at, opts.runnerHealthy ?? true, opts.runnerHealthShare);
    const deadline = opts.deadline ?? Number.POSITIVE_INFINITY;
    // The heartbeat call goes first (calls[0]): it says whether this pass stored its results.
    const outcomes = await mapLimit(calls, this.concurrency, (call) => this.put(call, deadline));
    const report: PublishReport = { published: 0, failed: [] };
    outcomes.forEach((reason, i) => {
      const call = calls[i]!;
      if (reason === undefined) {
        report.published += call.datums.length;
        return;
      }
      for (const checkId of call.checkIds) report.failed.push({ checkId, reason });
      if (call.runnerHealth) {
        this.log.warn('runner health not published', { namespace: this.namespace, region, reason });
      }
    });
    return report;
  }

  /** Packs datums into calls: runner health first, then each result's datums together. */
  private plan(results: readonly CheckResult[], region: string, at: Date, healthy: boolean, share?: number): Call[] {
    const health = toMetricDatum(runnerHealthDatum(this.project, region, at, healthy, share));
    const calls: Call[] = [{ datums: [health], bytes: sizeOf(health), checkIds: new Set(), runnerHealth: true }];
    for (const r of results) {
      const { datums, skipped } = resultDatums(r, { project: this.project, kinds: this.kinds });
      if (skipped.length)
        this.log.warn('metric values that are not finite numbers were not published', {
          checkId: r.checkId,
          metrics: skipped,
        });
      const wire = datums.map(toMetricDatum);
      const bytes = wire.reduce((n, d) => n + sizeOf(d), 0);
      const next = () => {
        const c: Call = { datums: [], bytes: 0, checkIds: new Set(), runnerHealth: false };
        calls.push(c);
        return c;
      };
      let call = calls[calls.length - 1]!;
      if (call.datums.length + wire.length > MAX_DATUMS_PER_CALL || call.bytes + bytes > MAX_CALL_BYTES) call = next();
      for (const d of wire) {
        // Only a result with an absurd number of metrics gets here with a full call.
        const size = sizeOf(d);
        if (call.datums.length >= MAX_DATUMS_PER_CALL || call.bytes + size > MAX_CALL_BYTES) call = next();
        call.datums.push(d);
        call.bytes += size;
        call.checkIds.add(r.checkId);
      }
    }
    return calls;
  }

  /** One PutMetricData call with retries; the reason it finally failed, or undefined. */
  private async put(call: Call, deadline: number): Promise<string | undefined> {
    const cmd = new PutMetricDataCommand({ Namespace: this.namespace, MetricData: call.datums });
    const out = await retry(({ signal }) => this.client.send(cmd, { abortSignal: signal }), {
      attempts: this.maxAttempts,
      baseMs: this.retryBaseMs,
      attemptTimeoutMs: this.callTimeoutMs,
      deadline,
      onRetry: ({ attempt, error }) => this.log.debug('PutMetricData retry', { attempt, reason: describeError(error) }),
    });
    if (out.ok) return undefined;
    const reason = `PutMetricData: ${out.error === undefined ? 'no answer' : describeError(out.error)}`;
    return out.stop === 'not-retryable' ? reason : `${reason} (${describeStop(out)})`;
  }
}
