/** Config schema for assertions, shared by every kind (each passes its own sources). */
import { INVALID, Issues, joinKey, s, type Schema } from '../config/schema';
import { COMPARISONS, type Assertion } from '../types';
import { parseJsonPath } from './json-path';

const targetSchema = s.oneOf<string | number | boolean | null>(
  'a string, number, boolean or null',
  s.string(),
  s.number(),
  s.boolean(),
  { expected: 'null', check: (v, p, i) => (v === null ? null : (i.add(p, 'not null'), INVALID)) },
);

/** Sources that take a property, and what it is. */
const PROPERTY_SOURCES: Record<string, string> = { header: 'a header name', json: 'a JSON path such as "$.items[0].price"' };

export function assertionSchema(sources: readonly string[], numericSources: readonly string[] = []): Schema<Assertion> {
  const base = s.object<Assertion>({
    source: s.literalUnion(sources),
    property: s.optional(s.string({ minLength: 1 })),
    comparison: s.literalUnion(COMPARISONS),
    target: s.optional(targetSchema),
  });
  return s.refine(base, (a, path, issues: Issues) => {
    const needsProperty = PROPERTY_SOURCES[a.source];
    if (needsProperty && a.property === undefined)
      issues.add(joinKey(path, 'property'), `is required for source "${a.source}" (${needsProperty})`);
    if (a.source === 'json' && a.property !== undefined) {
      const parsed = parseJsonPath(a.property);
      if ('error' in parsed) issues.add(joinKey(path, 'property'), parsed.error);
    }
    const unary = a.comparison === 'exists' || a.comparison === 'notExists';
    if (!unary && a.target === undefined)
      issues.add(joinKey(path, 'target'), `is required for comparison "${a.comparison}"`);
    if (unary && a.target !== undefined)
      issues.add(joinKey(path, 'target'), `is not used by "${a.comparison}"`, 'remove it');
    if ((a.comparison === 'lessThan' || a.comparison === 'greaterThan' || numericSources.includes(a.source)) && !unary && a.target !== undefined) {
      const numericComparison = a.comparison === 'lessThan' || a.comparison === 'greaterThan';
      if ((numericComparison || ['equals', 'notEquals'].includes(a.comparison)) && typeof a.target !== 'number' && numericSources.includes(a.source))
        issues.add(joinKey(path, 'target'), `expected a number for source "${a.source}", got ${JSON.stringify(a.target)}`, typeof a.target === 'string' && Number.isFinite(Number(a.target)) ? `write ${a.target} without quotes` : undefined);
      else if (numericComparison && typeof a.target !== 'number')
        issues.add(joinKey(path, 'target'), `expected a number for "${a.comparison}", got ${JSON.stringify(a.target)}`);
    }
    if (a.comparison === 'matches' && typeof a.target === 'string') {
      try {
        new RegExp(a.target);
      } catch (e) {
        issues.add(joinKey(path, 'target'), `not a valid regular expression: ${(e as Error).message}`);
      }
    }
  });
}
