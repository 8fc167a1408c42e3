/**
 * Typed helpers that build assertions (plain data either way).
 * @example
 * import { status, json, latency } from 'watchpost/assertions';
 * assertions: [status.equals(200), json('$.items.length').greaterThan(0), latency.lessThan(800)]
 */
import type { Assertion, Comparison } from '../types';

type Target = Assertion['target'];

function on(source: string, property?: string) {
  const make = (comparison: Comparison, target?: Target): Assertion => {
    const a: Assertion = { source, comparison };
    if (property !== undefined) a.property = property;
    if (target !== undefined) a.target = target;
    return a;
  };
  return {
    equals: (t: Target) => make('equals', t),
    notEquals: (t: Target) => make('notEquals', t),
    lessThan: (t: number) => make('lessThan', t),
    greaterThan: (t: number) => make('greaterThan', t),
    contains: (t: string | number) => make('contains', t),
    notContains: (t: string | number) => make('notContains', t),
    matches: (re: string | RegExp) => make('matches', typeof re === 'string' ? re : re.source),
    exists: () => make('exists'),
    notExists: () => make('notExists'),
  };
}

/** HTTP status code. */
export const status = on('status');
/** Response time in ms. */
export const latency = on('latency');
/** Response body as text. */
export const text = on('text');
/** A response header (case-insensitive name). */
export const header = (name: string) => on('header', name);
/** A value in a JSON body, e.g. `$.items[0].price` or `$.items.length`. */
export const json = (path: string) => on('json', path);
/** Any source a kind offers. */
export const assertion = on;
