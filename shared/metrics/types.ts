import type { CheckResult } from '../types';

export interface PublishReport {
  /** Datums accepted. */
  published: number;
  /** Datums of results that could not be published after retries, with why. */
  failed: Array<{ checkId: string; reason: string }>;
}

export interface PublishOptions {
  /** The runner health metric's value: false (0) when the pass could not store its results. @default true */
  runnerHealthy?: boolean;
  /**
   * The RunnerHealth value of a healthy pass: this shard's share of its region (1 / shards), so
   * that a minute's Sum is 1 when every shard of the region was healthy. @default 1
   */
  runnerHealthShare?: number;
  /** ms since epoch by which publishing is over: what is not accepted by then comes back in `failed`. @default none */
  deadline?: number;
}

/** Where metrics go: CloudWatch in the home region, or nowhere/in-memory locally. */
export interface MetricSink {
  /**
   * Publishes Failed, Slow and kind figures of the results, plus the region's runner health. Pass
   * only results whose store write was new (`WriteReport.fresh`): the series count regions.
   */
  publish(results: readonly CheckResult[], region: string, at: Date, opts?: PublishOptions): Promise<PublishReport>;
}
