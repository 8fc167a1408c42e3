/**
 * Keeps a stored CheckResult well under DynamoDB's 400 KB item limit. A probe may put a large
 * response snippet in `details`, an assertion's `actual`, or a long error message; a result
 * that would not fit is clipped in stages (long strings first, then details, then lists), and
 * `details.clipped` records that it was.
 */
import type { CheckResult } from '../types';

/** Default budget for one serialized result (a history item and a latest item each hold one). */
export const MAX_RESULT_BYTES = 64 * 1024;

const bytes = (s: string) => Buffer.byteLength(s, 'utf8');

/** JSON that never throws on the shapes probes produce: bigint as string, cycles cut. */
export function safeJson(value: unknown): string {
  const seen = new WeakSet<object>();
  return JSON.stringify(value, (_key, v: unknown) => {
    if (typeof v === 'bigint') return v.toString();
    if (typeof v === 'object' && v !== null) {
      if (seen.has(v)) return '[Circular]';
      seen.add(v);
    }
    return v;
  });
}

function clipString(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max)}… [${s.length - max} chars clipped]`;
}

/** Deep copy with long strings, long arrays and many keys cut. */
function clipValue(v: unknown, maxString: number, maxItems: number, depth = 0): unknown {
  if (typeof v === 'string') return clipString(v, maxString);
  if (typeof v !== 'object' || v === null) return v;
  if (depth >= 8) return '[clipped: too deep]';
  if (Array.isArray(v)) {
    const head = v.slice(0, maxItems).map((x) => clipValue(x, maxString, maxItems, depth + 1));
    if (v.length > maxItems) head.push(`[${v.length - maxItems} more items clipped]`);
    return head;
  }
  const out: Record<string, unknown> = {};
  const entries = Object.entries(v as Record<string, unknown>);
  for (const [k, x] of entries.slice(0, maxItems))
    out[clipString(k, 200)] = clipValue(x, maxString, maxItems, depth + 1);
  if (entries.length > maxItems) out['…'] = `${entries.length - maxItems} more keys clipped`;
  return out;
}

function firstKeys(rec: Record<string, number>, n: number): Record<string, number> {
  return Object.fromEntries(Object.entries(rec).slice(0, n));
}

/**
 * Returns the result as JSON of at most `maxBytes` bytes (the result itself when it fits).
 * Identity fields (checkId, region, scheduledAt, status, error code) are never clipped.
 */
export function serializeResult(result: CheckResult, maxBytes = MAX_RESULT_BYTES): string {
  const json = safeJson(result);
  const original = bytes(json);
  if (original <= maxBytes) return json;

  const note = { originalBytes: original };
  const stages: Array<(r: CheckResult) => CheckResult> = [
    // 1: long strings and lists anywhere in the free-form parts.
    (r) => ({
      ...r,
      error: r.error && { code: r.error.code, message: clipString(r.error.message, 4_096) },
      assertions: r.assertions.map((a) => ({ ...a, actual: clipValue(a.actual, 1_024, 50) })),
      details: r.details && { ...(clipValue(r.details, 2_048, 100) as Record<string, unknown>), clipped: note },
    }),
    // 2: drop details, shorten actual values and the error message further.
    (r) => ({
      ...r,
      error: r.error && { code: r.error.code, message: clipString(r.error.message, 1_024) },
      assertions: r.assertions.map((a) => ({ ...a, actual: clipValue(a.actual, 128, 10) })),
      details: { clipped: note },
    }),
    // 3: bounded lists and maps.
    (r) => ({
      ...r,
      error: r.error && { code: r.error.code, message: clipString(r.error.message, 256) },
      assertions: r.assertions.slice(0, 50).map((a) => ({
        ...a,
        property: a.property === undefined ? undefined : clipString(a.property, 200),
        target: typeof a.target === 'string' ? clipString(a.target, 200) : a.target,
        actual: clipValue(a.actual, 64, 5),
      })),
      timings: firstKeys(r.timings, 50),
      metrics: firstKeys(r.metrics, 50),
      details: { clipped: { ...note, assertions: r.assertions.length } },
    }),
  ];
  let current = result;
  for (const stage of stages) {
    current = stage(current);
    const out = safeJson(current);
    if (bytes(out) <= maxBytes) return out;
  }
  // Only the identity is left: still a valid, honest result.
  return safeJson({
    checkId: clipString(result.checkId, 1_024),
    kind: result.kind,
    region: result.region,
    scheduledAt: result.scheduledAt,
    startedAt: result.startedAt,
    durationMs: result.durationMs,
    status: result.status,
    attempts: result.attempts,
    error: result.error && {
      code: String(result.error.code).slice(0, 100),
      message: clipString(result.error.message, 256),
    },
    timings: {},
    assertions: [],
    metrics: {},
    details: { clipped: { ...note, everything: true } },
  } satisfies CheckResult);
}
