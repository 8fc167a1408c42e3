/**
 * The metric contract between the publisher (the runner, every region → the home region) and
 * the alarms and dashboards that read it. All metrics live in {@link METRIC_NAMESPACE}.
 *
 * Every series carries the `Project` dimension (the config's `project`): two watchpost projects
 * in one account and home region never share a series, so one's runner cannot mask another's.
 *
 * Per check, ONE series for all its regions (dimensions Project, CheckId — no Region): every
 * region publishes into the same series, so a period's `Sum` counts the regions that reported
 * it. This is what makes a check cost one alarm metric instead of one per region (docs/deploy.md
 * "What a check costs"). A datum is published only for a result whose store write was new
 * (shared/store: `WriteReport.fresh`), so a re-delivered runner invocation never counts twice.
 * - `Failed` (Count): 1 for a failed run (after retries). Nothing is published for a run that
 *   passed: a series costs only in the hours it receives data, and "no failure" needs no datum.
 * - `Slow` (Count): 1 for a run that did not fail but took longer than the check's `degradedAfter`.
 * - a kind's own metrics (`ProbeKind.metrics`), every run, same dimensions: the worst region's
 *   figure is the series' `Maximum` (or `Minimum`) over the period.
 *
 * Per region, what the series merge away (which region fails, how slow each one is) is in the
 * runner's log, one JSON line per result (see {@link RESULT_LOG_MESSAGE}), read by the
 * dashboard's Logs Insights widgets, and in the results table.
 *
 * Per runner pass (dimensions Project, Region):
 * - `RunnerHealth` (Count): the shard's share of its region (1 / shards; 1 for an unsharded
 *   region) when the pass ran and stored every result, 0 when a write failed; a minute's Sum
 *   is 1 when every shard was healthy. Missing means the runner did not run or could
 *   not publish at all; the runner health alarm treats both as breaching. (Named
 *   `RunnerHeartbeat` before 0.2.0; "heartbeat" is the probe kind for cron jobs' pings.)
 */
import { METRIC_NAMESPACE } from '../store/table';

export { METRIC_NAMESPACE };

export const METRIC = {
  failed: 'Failed',
  slow: 'Slow',
  runnerHealth: 'RunnerHealth',
} as const;

export const DIMENSION = {
  project: 'Project',
  checkId: 'CheckId',
  region: 'Region',
} as const;

/** `message` of the runner's log line for one result (fields in `resultLogFields`, shared/metrics/datums.ts). */
export const RESULT_LOG_MESSAGE = 'check result';

/** Dimensions of a check's metrics: one series for every region it runs in. */
export function checkDimensions(project: string, checkId: string): Record<string, string> {
  return { [DIMENSION.project]: project, [DIMENSION.checkId]: checkId };
}

/** Dimensions of a region's runner health metric of `project`. */
export function runnerDimensions(project: string, region: string): Record<string, string> {
  return { [DIMENSION.project]: project, [DIMENSION.region]: region };
}
