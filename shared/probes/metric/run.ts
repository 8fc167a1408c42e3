/**
 * One run of a `metric` check: GET the JSON endpoint through the http kind's request code (same
 * timings, byte cap and error codes), read the number at `path`, publish it as `Value`, judge
 * it by `min`/`max` and against the trailing average of its stored history.
 */
import type { ValidatedMetricCheck } from './index';
import type { CheckError } from '../../types';
import { readFigure } from './figure';
import type { Observations, ProbeContext, ProbeOutcome } from '../types';

export const ANOMALY_DEFAULTS = { band: 2, deviationPercent: 50, samples: 12 } as const;
/** Stored values needed before the trailing average judges anything. */
export const MIN_SAMPLES = 3;

const round = (v: number, digits = 1) => {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
};

export interface AnomalyJudgement {
  /** `judged` compared with the trailing average; otherwise why not. */
  state: 'judged' | 'learning' | 'no-baseline' | 'no-history' | 'history-error';
  average?: number;
  /** Signed: positive above the average, negative below. */
  deviationPercent?: number;
  samples: number;
  limitPercent: number;
  anomalous: boolean;
  reason?: string;
}

/** Compares `value` with the average of `past` (newest first). Pure. */
export function judgeAnomaly(value: number, past: readonly number[], limitPercent: number): AnomalyJudgement {
  const base = { samples: past.length, limitPercent, anomalous: false };
  if (past.length < MIN_SAMPLES) return { ...base, state: 'learning' };
  const average = past.reduce((a, b) => a + b, 0) / past.length;
  // A percentage of zero is meaningless: use `min`/`max` for figures that sit at 0.
  if (average === 0) return { ...base, state: 'no-baseline', average: 0 };
  const deviation = ((value - average) / Math.abs(average)) * 100;
  return {
    ...base,
    state: 'judged',
    average: round(average, 3),
    deviationPercent: round(deviation),
    anomalous: Math.abs(deviation) > limitPercent,
  };
}

class MetricObservations implements Observations {
  constructor(
    private readonly value: number,
    private readonly http: Observations,
  ) {}
  read(source: string, property: string | undefined): { value?: unknown; error?: CheckError } {
    if (source === 'value') return { value: this.value };
    return this.http.read(source, property);
  }
}

export async function runMetric(check: ValidatedMetricCheck, ctx: ProbeContext): Promise<ProbeOutcome> {
  const reading = await readFigure(check, { url: check.url, path: check.path, headers: check.headers }, ctx);
  const { http, details } = reading;
  if (reading.error && !reading.observations) return { error: reading.error, timings: http.timings, details };
  if (reading.error) return { error: reading.error, timings: http.timings, latencyMs: http.latencyMs, details };
  const value = reading.value!;
  const obs = reading.observations!;
  const metrics = { Value: value };
  const observations = new MetricObservations(value, obs);
  const done = (extra: Partial<ProbeOutcome> = {}): ProbeOutcome => ({
    timings: http.timings,
    latencyMs: http.latencyMs,
    details,
    metrics,
    observations,
    ...extra,
  });

  if (check.min !== undefined && value < check.min)
    return done({ error: { code: 'BELOW_MIN', message: `${check.path} is ${value}, below the minimum ${check.min}` } });
  if (check.max !== undefined && value > check.max)
    return done({ error: { code: 'ABOVE_MAX', message: `${check.path} is ${value}, above the maximum ${check.max}` } });

  if (check.anomaly) {
    const { deviationPercent: limit, samples } = check.anomaly;
    const history = ctx.state?.history;
    let j: AnomalyJudgement;
    if (!history)
      j = { state: 'no-history', samples: 0, limitPercent: limit, anomalous: false, reason: 'no result store' };
    else {
      try {
        const past = (await history(check.id, samples))
          .map((r) => r.metrics?.Value)
          .filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
        j = judgeAnomaly(value, past, limit);
      } catch (e) {
        // History is a nicety of this run; its absence must not fail the figure itself.
        j = {
          state: 'history-error',
          samples: 0,
          limitPercent: limit,
          anomalous: false,
          reason: (e as Error)?.message ?? String(e),
        };
      }
    }
    details.anomaly = j;
    if (j.anomalous) {
      const dir = j.deviationPercent! > 0 ? 'above' : 'below';
      return done({
        error: {
          code: 'ANOMALY',
          message:
            `${check.path} is ${value}, ${Math.abs(j.deviationPercent!)}% ${dir} its trailing ` +
            `average ${j.average} of the last ${j.samples} runs (limit ±${limit}%)`,
        },
      });
    }
  }
  return done();
}
