/**
 * The one place assertions are evaluated (OpenStatus warns of its own duplicate). Probes only
 * report what they observed; this decides pass or fail.
 *
 * Semantics: a value the source does not have passes only `notExists`. Numbers compare
 * numerically (a numeric string such as a header value counts as a number); `contains` works
 * on strings and on arrays (an element equal to the target); `matches` takes a regular expression.
 */
import type { Observations } from '../probes/types';
import type { Assertion, AssertionResult, CheckError } from '../types';

function asNumber(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  return undefined;
}

function same(actual: unknown, target: unknown): boolean {
  if (typeof target === 'number') {
    const a = asNumber(actual);
    return a !== undefined && a === target;
  }
  if (typeof target === 'boolean' && typeof actual === 'string') return actual === String(target);
  if (target === null) return actual === null;
  if (typeof target === 'string' && typeof actual === 'number') return String(actual) === target;
  return actual === target;
}

/** Compares one observed value; `found` false means the source had nothing there. */
export function compare(a: Pick<Assertion, 'comparison' | 'target'>, found: boolean, actual: unknown): boolean {
  const { comparison, target } = a;
  if (comparison === 'notExists') return !found;
  if (!found) return false;
  switch (comparison) {
    case 'exists':
      return true;
    case 'equals':
      return same(actual, target);
    case 'notEquals':
      return !same(actual, target);
    case 'lessThan':
    case 'greaterThan': {
      const x = asNumber(actual);
      const t = asNumber(target);
      if (x === undefined || t === undefined) return false;
      return comparison === 'lessThan' ? x < t : x > t;
    }
    case 'contains':
    case 'notContains': {
      let has: boolean;
      if (actual === null)
        has = false; // null holds nothing (not the text "null")
      else if (Array.isArray(actual)) has = actual.some((el) => same(el, target));
      else if (typeof actual === 'string') has = actual.includes(String(target));
      else if (actual !== null && typeof actual === 'object') has = JSON.stringify(actual).includes(String(target));
      else has = String(actual).includes(String(target));
      return comparison === 'contains' ? has : !has;
    }
    case 'matches':
      try {
        return new RegExp(String(target)).test(typeof actual === 'string' ? actual : JSON.stringify(actual));
      } catch {
        return false;
      }
    default:
      return false;
  }
}

function show(v: unknown): string {
  if (v === undefined) return 'nothing';
  const s = typeof v === 'string' ? JSON.stringify(v) : (JSON.stringify(v) ?? String(v));
  return s.length > 80 ? `${s.slice(0, 80)}…` : s;
}

/** Describes an assertion for people: `json $.items.length greaterThan 0`. */
export function describeAssertion(a: Assertion): string {
  const parts = [a.source];
  if (a.property) parts.push(a.property);
  parts.push(a.comparison);
  if (a.comparison !== 'exists' && a.comparison !== 'notExists') parts.push(show(a.target));
  return parts.join(' ');
}

/** Keeps `actual` small in stored results (a whole body is not useful there). */
function clip(v: unknown): unknown {
  if (typeof v === 'string' && v.length > 256) return `${v.slice(0, 256)}…`;
  if (v !== null && typeof v === 'object') {
    const s = JSON.stringify(v);
    if (s.length > 256) return `${s.slice(0, 256)}…`;
  }
  return v;
}

/**
 * Evaluates every assertion against the observations. Returns the results and, when any
 * failed, the error for the result: the source's own error (e.g. INVALID_JSON) or ASSERTION.
 */
export function evaluateAssertions(
  assertions: readonly Assertion[],
  obs: Observations,
): { results: AssertionResult[]; error?: CheckError } {
  const results: AssertionResult[] = [];
  let error: CheckError | undefined;
  const failures: string[] = [];
  for (const a of assertions) {
    const r = obs.read(a.source, a.property);
    const found = r.error === undefined && r.value !== undefined;
    const pass = r.error ? false : compare(a, found, r.value);
    const res: AssertionResult = { source: a.source, comparison: a.comparison, pass };
    if (a.property !== undefined) res.property = a.property;
    if (a.target !== undefined) res.target = a.target;
    if (found) res.actual = clip(r.value);
    results.push(res);
    if (!pass) {
      if (r.error && !error) error = r.error;
      failures.push(`${describeAssertion(a)}, got ${r.error ? r.error.code : show(found ? r.value : undefined)}`);
    }
  }
  if (!error && failures.length) {
    const more = failures.length > 1 ? ` (and ${failures.length - 1} more)` : '';
    error = { code: 'ASSERTION', message: `assertion failed: ${failures[0]}${more}` };
  }
  return error ? { results, error } : { results };
}
