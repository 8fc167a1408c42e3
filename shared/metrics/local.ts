/**
 * The metric sink of local mode: publishes nothing, keeps the recent datums of every series in
 * memory for the local dashboard. Same datums as CloudWatch gets (see `datums.ts`).
 */
import { registry } from '../probes/registry';
import type { ProbeKind } from '../probes/types';
import type { CheckResult } from '../types';
import { heartbeatDatum, resultDatums, type MetricUnit } from './datums';
import type { MetricSink, PublishReport } from './types';

export interface LocalDatum {
  metric: string;
  /** Dimension name → value, e.g. `{ CheckId: 'shop-home', Region: 'local' }`. */
  dimensions: Record<string, string>;
  value: number;
  unit: MetricUnit;
  /** ISO time of the datum (the run's scheduled time; the pass time for the heartbeat). */
  timestamp: string;
}

export interface LocalMetricSinkOptions {
  /** Datums kept per series (metric + dimensions), oldest dropped first. @default 60 */
  keep?: number;
  /** @default the probe registry */
  kinds?: ReadonlyMap<string, Pick<ProbeKind, 'metrics'>>;
}

const seriesKey = (metric: string, dimensions: Record<string, string>) =>
  `${metric}|${Object.keys(dimensions)
    .sort()
    .map((k) => `${k}=${dimensions[k]}`)
    .join('|')}`;

export class LocalMetricSink implements MetricSink {
  private readonly keep: number;
  private readonly kinds: ReadonlyMap<string, Pick<ProbeKind, 'metrics'>>;
  /** Insertion-ordered: series appear in the order they were first published. */
  private readonly byKey = new Map<string, LocalDatum[]>();

  constructor(opts: LocalMetricSinkOptions = {}) {
    this.keep = Math.max(1, opts.keep ?? 60);
    this.kinds = opts.kinds ?? registry;
  }

  async publish(results: readonly CheckResult[], region: string, at: Date): Promise<PublishReport> {
    let published = 0;
    const record = (d: ReturnType<typeof heartbeatDatum>) => {
      const dimensions = Object.fromEntries(d.dimensions.map((x) => [x.name, x.value]));
      const key = seriesKey(d.name, dimensions);
      const series = this.byKey.get(key) ?? [];
      series.push({ metric: d.name, dimensions, value: d.value, unit: d.unit, timestamp: d.timestamp.toISOString() });
      // Results of one pass can arrive out of order: keep each series in time order.
      series.sort((a, b) => (a.timestamp < b.timestamp ? -1 : a.timestamp > b.timestamp ? 1 : 0));
      if (series.length > this.keep) series.splice(0, series.length - this.keep);
      this.byKey.set(key, series);
      published++;
    };
    record(heartbeatDatum(region, at));
    for (const r of results) for (const d of resultDatums(r, { kinds: this.kinds }).datums) record(d);
    return { published, failed: [] };
  }

  /** The newest datum of every series (optionally of one check). */
  latest(checkId?: string): LocalDatum[] {
    const out: LocalDatum[] = [];
    for (const series of this.byKey.values()) {
      const last = series[series.length - 1];
      if (last && (checkId === undefined || last.dimensions.CheckId === checkId)) out.push(last);
    }
    return out;
  }

  /** Recent datums of one series, oldest first, e.g. `series('Duration', { CheckId: 'shop-home', Region: 'local' })`. */
  series(metric: string, dimensions: Record<string, string>): LocalDatum[] {
    return [...(this.byKey.get(seriesKey(metric, dimensions)) ?? [])];
  }

  /** Forgets everything (e.g. when the config is reloaded). */
  clear(): void {
    this.byKey.clear();
  }
}
