/**
 * The metric contract between the publisher (the runner, every region → the home region) and
 * the alarms and dashboards that read it. All metrics live in {@link METRIC_NAMESPACE}.
 *
 * Every series carries the `Project` dimension (the config's `project`): two watchpost projects
 * in one account and home region never share a series, so one's runner cannot mask another's.
 *
 * Per result of a check (dimensions Project, CheckId, Region):
 * - `Failed` (Count): 1 when the run failed (after retries), 0 otherwise.
 * - `Duration` (Milliseconds): wall time of a run that did not fail. Failed runs publish no
 *   duration, so an outage pages as DOWN and not also as DEGRADED.
 * - a kind's own metrics (`ProbeKind.metrics`), same dimensions.
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
  duration: 'Duration',
  runnerHealth: 'RunnerHealth',
} as const;

/**
 * The runner health metric's name before 0.2.0. The RUNNER alarm reads it beside
 * {@link METRIC.runnerHealth} so that it stays quiet while `cdk deploy --all` updates the home
 * stack and the probe stacks one after the other. Remove in 0.3.0.
 */
export const LEGACY_RUNNER_HEALTH_METRIC = 'RunnerHeartbeat';

export const DIMENSION = {
  project: 'Project',
  checkId: 'CheckId',
  region: 'Region',
} as const;

/** Dimensions of a check's metrics as published from `region` by `project`'s runner. */
export function checkDimensions(project: string, checkId: string, region: string): Record<string, string> {
  return { [DIMENSION.project]: project, [DIMENSION.checkId]: checkId, [DIMENSION.region]: region };
}

/** Dimensions of a region's runner health metric of `project`. */
export function runnerDimensions(project: string, region: string): Record<string, string> {
  return { [DIMENSION.project]: project, [DIMENSION.region]: region };
}
