/**
 * The datums a result turns into — one definition for the CloudWatch sink and the local sink.
 * Names come from the metric contract in `shared/alarms/metrics.ts`, which the alarms read.
 *
 * Per result (dimensions `Project` + `CheckId`, the same series for every region): `Failed`
 * (Count, 1) for a failed run, `Slow` (Count, 1) for a run judged `SLOW` (slower than
 * `degradedAfter`), and each of the result's `metrics` with the unit its kind declares (`None`
 * when undeclared). A passing run publishes only its kind's figures. Per publish:
 * `RunnerHealth` (Count, dimensions `Project` + `Region`): the shard's share of its region
 * (1 / shards) for a healthy pass, 0 when results could not be stored.
 */
import { checkDimensions, METRIC, runnerDimensions } from '../alarms/metrics';
import type { KindMetric, ProbeKind } from '../probes/types';
import type { CheckResult } from '../types';

export type MetricUnit = KindMetric['unit'];

export interface Datum {
  name: string;
  /** In publishing order; names are exactly the contract's (Project, CheckId | Region). */
  dimensions: Array<{ name: string; value: string }>;
  value: number;
  unit: MetricUnit;
  timestamp: Date;
}

export interface DatumOptions {
  /** The config's `project`: every datum carries it as the `Project` dimension. */
  project: string;
  /** Kind registry to read declared units from. */
  kinds: ReadonlyMap<string, Pick<ProbeKind, 'metrics'>>;
}

/** The alarms' dimension map as a datum's list: one definition, so publisher and alarms agree. */
const asList = (dims: Record<string, string>) => Object.entries(dims).map(([name, value]) => ({ name, value }));

/** Datums of one result; values CloudWatch would reject (NaN, ±Infinity) are left out and listed in `skipped`. */
export function resultDatums(r: CheckResult, opts: DatumOptions): { datums: Datum[]; skipped: string[] } {
  const dimensions = asList(checkDimensions(opts.project, r.checkId));
  const parsed = Date.parse(r.scheduledAt);
  const timestamp = new Date(Number.isNaN(parsed) ? Date.now() : parsed);
  const datums: Datum[] = [];
  const skipped: string[] = [];
  const add = (name: string, value: number, unit: MetricUnit) => {
    if (typeof value === 'number' && Number.isFinite(value)) datums.push({ name, dimensions, value, unit, timestamp });
    else skipped.push(name);
  };
  if (r.status === 'fail') add(METRIC.failed, 1, 'Count');
  else if (r.degraded?.code === 'SLOW') add(METRIC.slow, 1, 'Count');
  const declared = opts.kinds.get(r.kind)?.metrics ?? [];
  for (const [name, value] of Object.entries(r.metrics ?? {}))
    add(name, value, declared.find((m) => m.name === name)?.unit ?? 'None');
  return { datums, skipped };
}

/** The runner's health for one publish: lets an alarm notice a region whose runner stopped. */
export function runnerHealthDatum(project: string, region: string, at: Date, healthy = true, share = 1): Datum {
  return {
    name: METRIC.runnerHealth,
    dimensions: asList(runnerDimensions(project, region)),
    value: healthy ? share : 0,
    unit: 'Count',
    timestamp: at,
  };
}

/**
 * The runner's log line for one result: the per-region detail the merged series leave out
 * (which region failed, how slow each region is, the kind's figures per region). The
 * dashboard's Logs Insights widgets query these fields; keep their names stable.
 */
export function resultLogFields(r: CheckResult): Record<string, unknown> {
  return {
    checkId: r.checkId,
    kind: r.kind,
    region: r.region,
    scheduledAt: r.scheduledAt,
    status: r.status,
    failed: r.status === 'fail' ? 1 : 0,
    durationMs: r.durationMs,
    ...(r.error?.code ? { errorCode: r.error.code } : {}),
    ...(r.degraded?.code ? { degradedCode: r.degraded.code } : {}),
    ...(r.metrics && Object.keys(r.metrics).length ? { metrics: r.metrics } : {}),
  };
}
