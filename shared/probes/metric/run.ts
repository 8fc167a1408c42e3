/**
 * One run of a `metric` check: GET the JSON endpoint through the http kind's request code (same
 * timings, byte cap and error codes), read the number at `path`, publish it as `Value`, judge
 * it by `min`/`max` and against the trailing average of its stored history.
 */
import type { ValidatedMetricCheck } from './index';
import type { CheckError } from '../../types';
import { runHttp } from '../http/run';
import type { ValidatedHttpCheck } from '../http';
import type { Observations, ProbeContext, ProbeOutcome } from '../types';

/** A figure endpoint answers with a small document; anything bigger is a misconfigured URL. */
export const METRIC_MAX_BODY_BYTES = 1024 * 1024;
export const ANOMALY_DEFAULTS = { band: 2, deviationPercent: 50, samples: 12 } as const;
/** Stored values needed before the trailing average judges anything. */
export const MIN_SAMPLES = 3;

const round = (v: number, digits = 1) => {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
};

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return `an array of ${v.length}`;
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)}`;
  return `${typeof v} ${String(v)}`;
}

/** The figure as a number: numbers and numeric strings count; nothing else does. */
export function toFigure(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  return undefined;
}

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
  const headers: Record<string, string | { secret: string }> = { accept: 'application/json', ...check.headers };
  if (Object.keys(check.headers).some((k) => k.toLowerCase() === 'accept')) delete headers.accept;
  const httpCheck: ValidatedHttpCheck = {
    id: check.id,
    kind: 'http',
    name: check.name,
    frequency: check.frequency,
    timeout: check.timeout,
    retries: check.retries,
    regions: check.regions,
    severity: check.severity,
    tags: check.tags,
    enabled: check.enabled,
    assertions: [],
    url: check.url,
    method: 'GET',
    headers,
    query: {},
    followRedirects: true,
    maxRedirects: 5,
    maxBodyBytes: METRIC_MAX_BODY_BYTES,
  };

  const http = await runHttp(httpCheck, ctx);
  const details: Record<string, unknown> = { ...(http.details ?? {}), path: check.path };
  if (http.error || !http.observations) {
    return {
      error: http.error ?? { code: 'INTERNAL', message: `no response observed from ${check.url}` },
      timings: http.timings,
      details,
    };
  }
  const obs = http.observations;
  const failed = (error: CheckError, extra: Partial<ProbeOutcome> = {}): ProbeOutcome => ({
    error,
    timings: http.timings,
    latencyMs: http.latencyMs,
    details,
    ...extra,
  });

  const status = obs.read('status', undefined).value as number;
  if (status < 200 || status > 299)
    return failed({
      code: 'HTTP_STATUS',
      message: `GET ${details.finalUrl ?? check.url} answered ${status}, expected 2xx`,
    });

  const read = obs.read('json', check.path);
  if (read.error) return failed(read.error);
  if (read.value === undefined)
    return failed({
      code: 'NO_VALUE',
      message: `${check.path} is not in the response of ${details.finalUrl ?? check.url}`,
    });
  const value = toFigure(read.value);
  if (value === undefined) {
    const hint = Array.isArray(read.value) ? ` — hint: ${check.path}.length counts its items` : '';
    return failed({ code: 'NOT_A_NUMBER', message: `${check.path} is ${describe(read.value)}, not a number${hint}` });
  }
  details.value = value;
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
