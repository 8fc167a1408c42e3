/**
 * One number from a JSON endpoint through the http kind's request code (same timings, byte cap
 * and error codes): GET `url`, expect 2xx, read the figure at `path`. Shared by `metric` and
 * `consistency`, so a figure is read, and fails, the same way in both.
 */
import type { ValidatedCheck } from '../../config/types';
import type { CheckError, SecretRef } from '../../types';
import type { ValidatedHttpCheck } from '../http';
import { runHttp } from '../http/run';
import type { Observations, ProbeContext, ProbeOutcome } from '../types';

/** A figure endpoint answers with a small document; anything bigger is a misconfigured URL. */
export const FIGURE_MAX_BODY_BYTES = 1024 * 1024;

export interface FigureRequest {
  url: string;
  /** JSON path of the figure, e.g. `$.today.orders`. */
  path: string;
  /** Values resolved by the runner before the run (secret references become strings). */
  headers: Record<string, string | SecretRef>;
}

export interface FigureReading {
  /** The http outcome: timings, latency, details. */
  http: ProbeOutcome;
  /** The http details plus `path` and, when read, `value`. */
  details: Record<string, unknown>;
  /** Set when the figure could not be read (the request failed, not 2xx, not there, not a number). */
  error?: CheckError;
  value?: number;
  /** The response's sources (status, latency, json…), once there was one. */
  observations?: Observations;
}

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

/** Reads one figure for `owner` (the check whose run this is). Never throws for the target. */
export async function readFigure(owner: ValidatedCheck, req: FigureRequest, ctx: ProbeContext): Promise<FigureReading> {
  const headers: Record<string, string | SecretRef> = { accept: 'application/json', ...req.headers };
  if (Object.keys(req.headers).some((k) => k.toLowerCase() === 'accept')) delete headers.accept;
  const httpCheck: ValidatedHttpCheck = {
    id: owner.id,
    kind: 'http',
    name: owner.name,
    frequency: owner.frequency,
    timeout: owner.timeout,
    retries: owner.retries,
    regions: owner.regions,
    severity: owner.severity,
    tags: owner.tags,
    enabled: owner.enabled,
    assertions: [],
    url: req.url,
    method: 'GET',
    headers,
    query: {},
    followRedirects: true,
    maxRedirects: 5,
    maxBodyBytes: FIGURE_MAX_BODY_BYTES,
  };

  const http = await runHttp(httpCheck, ctx);
  const details: Record<string, unknown> = { ...(http.details ?? {}), path: req.path };
  if (http.error || !http.observations)
    return {
      http,
      details,
      error: http.error ?? { code: 'INTERNAL', message: `no response observed from ${req.url}` },
    };
  const obs = http.observations;
  const failed = (error: CheckError): FigureReading => ({ http, details, error, observations: obs });
  const status = obs.read('status', undefined).value as number;
  if (status < 200 || status > 299)
    return failed({
      code: 'HTTP_STATUS',
      message: `GET ${details.finalUrl ?? req.url} answered ${status}, expected 2xx`,
    });

  const read = obs.read('json', req.path);
  if (read.error) return failed(read.error);
  if (read.value === undefined)
    return failed({
      code: 'NO_VALUE',
      message: `${req.path} is not in the response of ${details.finalUrl ?? req.url}`,
    });
  const value = toFigure(read.value);
  if (value === undefined) {
    const hint = Array.isArray(read.value) ? ` — hint: ${req.path}.length counts its items` : '';
    return failed({ code: 'NOT_A_NUMBER', message: `${req.path} is ${describe(read.value)}, not a number${hint}` });
  }
  details.value = value;
  return { http, details, value, observations: obs };
}
