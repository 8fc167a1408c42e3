/**
 * One run of a `consistency` check: every source's figure read at once (the metric kind's
 * figure reader over the http kind's requests), the others compared with the first (or with
 * the first's value from `lag` ago, kept in the results table), INCONSISTENT past a limit.
 */
import type { ValidatedConsistencyCheck } from './index';
import { ms } from '../../duration';
import { describeError } from '../../retry';
import type { CheckError } from '../../types';
import { displayUrl } from '../http/display-url';
import { readFigure } from '../metric/figure';
import { phaseTimer, round } from '../net';
import type { Observations, ProbeContext, ProbeOutcome } from '../types';
import { SampleStore, type Sample } from './sample-store';

/** A kept reference older than the lag by more than this (a gap in the runs) is not used. */
const staleAfterMs = (frequency: string) => Math.max(2 * ms(frequency), 120_000);

export interface Comparison {
  /** The largest `|other − reference|`. */
  difference: number;
  /** The largest difference in percent of `|reference|`; undefined when the reference is 0 and another is not. */
  percentDifference?: number;
  /** The source farthest from the reference. */
  worst: string;
  /** Whether a set limit (or, with none, any difference) is passed. */
  inconsistent: boolean;
}

const roundTo = (v: number, digits = 4) => Math.round(v * 10 ** digits) / 10 ** digits;

/**
 * Compares each of `others` with `reference` (pure). Inconsistent when a difference passes
 * `absolute` or its percentage passes `percent` (either limit); with neither set, any difference.
 */
export function compare(
  reference: number,
  others: ReadonlyArray<{ name: string; value: number }>,
  tolerance: { percent?: number; absolute?: number },
): Comparison {
  const { absolute, percent } = tolerance;
  const pairs = others.map((o) => {
    const diff = Math.abs(o.value - reference);
    const pct = reference === 0 ? (diff === 0 ? 0 : undefined) : (diff / Math.abs(reference)) * 100;
    const over =
      (absolute !== undefined && diff > absolute) ||
      (percent !== undefined && (pct === undefined || pct > percent)) ||
      (absolute === undefined && percent === undefined && diff > 0);
    return { name: o.name, diff, pct, over };
  });
  const inconsistent = pairs.some((p) => p.over);
  // The message names the farthest source among those past a limit.
  const pool = inconsistent ? pairs.filter((p) => p.over) : pairs;
  const worst = pool.reduce((a, b) => (b.diff > a.diff ? b : a));
  const pcts = pairs.map((p) => p.pct);
  const out: Comparison = {
    difference: roundTo(Math.max(...pairs.map((p) => p.diff))),
    worst: worst.name,
    inconsistent,
  };
  if (pcts.every((p) => p !== undefined)) out.percentDifference = roundTo(Math.max(...(pcts as number[])), 2);
  return out;
}

/** `±3 and ±5%`: the limits as a sentence fragment. */
function limitsText(t: { percent?: number; absolute?: number }): string {
  const parts = [
    ...(t.absolute !== undefined ? [`±${t.absolute}`] : []),
    ...(t.percent !== undefined ? [`±${t.percent}%`] : []),
  ];
  return parts.length ? parts.join(' and ') : 'equal';
}

class ConsistencyObservations implements Observations {
  constructor(
    private readonly values: Record<string, number>,
    private readonly first: string,
    private readonly cmp: Comparison | undefined,
  ) {}
  read(source: string, property: string | undefined): { value?: unknown } {
    if (source === 'difference') return { value: this.cmp?.difference };
    if (source === 'percentDifference') return { value: this.cmp?.percentDifference };
    if (source === 'value') return { value: this.values[property ?? this.first] };
    return {};
  }
}

/** Runs one attempt. Never throws for what a source or the store does. */
export async function runConsistency(check: ValidatedConsistencyCheck, ctx: ProbeContext): Promise<ProbeOutcome> {
  const elapsed = phaseTimer().total;
  const readings = await Promise.all(
    check.sources.map((src) => readFigure(check, { url: src.url, path: src.path, headers: src.headers }, ctx)),
  );
  const timings: Record<string, number> = {};
  const sources: Record<string, unknown> = {};
  const values: Record<string, number> = {};
  check.sources.forEach((src, i) => {
    const r = readings[i]!;
    timings[src.name] = r.http.timings.total ?? 0;
    sources[src.name] = {
      url: displayUrl(src.url),
      path: src.path,
      ...(r.details.statusCode !== undefined ? { statusCode: r.details.statusCode } : {}),
      ...(r.value !== undefined ? { value: r.value } : {}),
    };
    if (r.value !== undefined) values[src.name] = r.value;
  });
  const details: Record<string, unknown> = { sources, tolerance: check.tolerance };
  const done = (extra: Partial<ProbeOutcome> = {}, cmp?: Comparison): ProbeOutcome => ({
    timings: { ...timings, total: elapsed() },
    details,
    observations: new ConsistencyObservations(values, check.sources[0]!.name, cmp),
    ...extra,
  });

  // The first source that could not be read: its own code, its name first.
  const bad = readings.findIndex((r) => r.error);
  if (bad >= 0) {
    const e = readings[bad]!.error!;
    return done({ error: { code: e.code, message: `${check.sources[bad]!.name}: ${e.message}` } });
  }

  const [first, ...rest] = check.sources;
  let reference = values[first!.name]!;
  let refText = `${first!.name} says ${reference}`;
  if (check.lag !== undefined) {
    const past = await laggedReference(check, ctx, reference);
    if ('error' in past) return done({ error: past.error });
    if (past.sample === undefined) {
      details.state = 'waiting';
      details.waiting = `no value of ${first!.name} from ${check.lag} ago kept yet: compared once there is one`;
      return done();
    }
    reference = past.sample.value;
    details.reference = { value: reference, at: new Date(past.sample.at).toISOString() };
    refText = `${first!.name} said ${reference} ${check.lag} ago`;
  }

  const others = rest.map((s) => ({ name: s.name, value: values[s.name]! }));
  const cmp = compare(reference, others, check.tolerance);
  details.difference = cmp.difference;
  if (cmp.percentDifference !== undefined) details.percentDifference = cmp.percentDifference;
  details.state = cmp.inconsistent ? 'inconsistent' : 'consistent';
  const metrics = { Difference: cmp.difference };
  if (!cmp.inconsistent) return done({ metrics }, cmp);
  const pct = cmp.percentDifference !== undefined ? ` (${round(cmp.percentDifference)}%)` : '';
  const error: CheckError = {
    code: 'INCONSISTENT',
    message:
      `${cmp.worst} says ${values[cmp.worst]}, ${refText}: ` +
      `${cmp.difference} apart${pct}, allowed ${limitsText(check.tolerance)}`,
  };
  return done({ metrics, error }, cmp);
}

/** Keeps this run's reference value and finds the one from `lag` ago. */
async function laggedReference(
  check: ValidatedConsistencyCheck,
  ctx: ProbeContext,
  value: number,
): Promise<{ sample?: Sample } | { error: CheckError }> {
  const table = ctx.state?.table;
  if (!table)
    return {
      error: {
        code: 'INTERNAL',
        message: 'a consistency check with lag keeps values in the results table, and the runner was given none',
      },
    };
  const store = new SampleStore(table.client, table.tableName);
  const lagMs = ms(check.lag!);
  const now = Date.now();
  try {
    await store.put(check.id, ctx.region, { at: now, value }, lagMs, ctx.signal);
    const sample = await store.atOrBefore(check.id, ctx.region, now - lagMs, ctx.signal);
    const fresh = sample && now - lagMs - sample.at <= staleAfterMs(check.frequency);
    return fresh ? { sample } : {};
  } catch (e) {
    if (ctx.signal.aborted)
      return {
        error: { code: 'TIMEOUT', message: `the kept values of ${check.id} took longer than ${ctx.timeoutMs}ms` },
      };
    return {
      error: {
        code: 'STORE',
        message: `cannot keep or read the values of ${check.id} in ${table.tableName}: ${describeError(e)}`,
      },
    };
  }
}
