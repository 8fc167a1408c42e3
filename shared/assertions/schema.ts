/** Config schema for assertions, shared by every kind (each passes its own sources). */
import { closest, describe, INVALID, type Issues, joinKey, s, type Schema } from '../config/schema';
import { parseDuration } from '../duration';
import { COMPARISONS, type Assertion } from '../types';
import { parseJsonPath } from './json-path';

const targetSchema = s.oneOf<string | number | boolean | null>(
  'a string, number, boolean or null',
  s.string(),
  s.number(),
  s.boolean(),
  {
    expected: 'null',
    check: (v, p, i) => {
      if (v === null) return null;
      i.add(p, 'not null');
      return INVALID;
    },
  },
);

/** Sources that take a property, and what it is. */
const PROPERTY_SOURCES: Record<string, string> = {
  header: 'a header name',
  json: 'a JSON path such as "$.items[0].price"',
};

/** Words people write for a source, and the source they mean. */
const SOURCE_SYNONYMS: Record<string, string> = {
  body: 'text',
  statuscode: 'status',
  code: 'status',
  headers: 'header',
  responsetime: 'latency',
  duration: 'latency',
  time: 'latency',
};

/** The source of an assertion: one the kind offers, with a hint for near misses and synonyms. */
function sourceSchema(sources: readonly string[], kind?: string): Schema<string> {
  const expected = `one of ${sources.map((x) => JSON.stringify(x)).join(', ')}`;
  return {
    expected,
    check(v, path, issues) {
      if (typeof v === 'string' && sources.includes(v)) return v;
      if (typeof v !== 'string') {
        issues.add(path, `expected ${expected}, got ${describe(v)}`);
        return INVALID;
      }
      const synonym = SOURCE_SYNONYMS[v.toLowerCase()];
      const near = closest(v, sources) ?? (synonym && sources.includes(synonym) ? synonym : undefined);
      const offered = sources.join(', ');
      issues.add(
        path,
        kind ? `"${v}" is not a source ${kind} checks offer (${offered})` : `"${v}" is not a source here (${offered})`,
        near ? `did you mean "${near}"?` : undefined,
      );
      return INVALID;
    },
  };
}

/** `Invalid regular expression: /([a-z/: Unterminated character class` → `unterminated character class`. */
function regexReason(e: Error): string {
  const m = /^Invalid regular expression: \/.*\/[a-z]*: (.*)$/s.exec(e.message);
  const reason = m ? m[1]! : e.message;
  return reason.charAt(0).toLowerCase() + reason.slice(1);
}

/**
 * @param sources the sources the kind offers
 * @param numericSources sources whose targets must be numbers
 * @param kind the kind's name, for messages ("not a source http checks offer")
 */
export function assertionSchema(
  sources: readonly string[],
  numericSources: readonly string[] = [],
  kind?: string,
): Schema<Assertion> {
  const base: Schema<Assertion> = s.object(
    {
      source: sourceSchema(sources, kind),
      property: s.optional(s.string({ minLength: 1 })),
      comparison: s.literalUnion(COMPARISONS),
      target: s.optional(targetSchema),
    },
    { expected: 'an assertion such as { source: "status", comparison: "equals", target: 200 }' },
  );
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
    if (
      (a.comparison === 'lessThan' || a.comparison === 'greaterThan' || numericSources.includes(a.source)) &&
      !unary &&
      a.target !== undefined
    ) {
      const numericComparison = a.comparison === 'lessThan' || a.comparison === 'greaterThan';
      if (
        (numericComparison || ['equals', 'notEquals'].includes(a.comparison)) &&
        typeof a.target !== 'number' &&
        numericSources.includes(a.source)
      )
        issues.add(
          joinKey(path, 'target'),
          `expected a number for source "${a.source}", got ${JSON.stringify(a.target)}`,
          numberHint(a.source, a.target),
        );
      else if (numericComparison && typeof a.target !== 'number')
        issues.add(joinKey(path, 'target'), `expected a number for "${a.comparison}", got ${JSON.stringify(a.target)}`);
    }
    if (a.comparison === 'matches' && typeof a.target === 'string') {
      try {
        new RegExp(a.target);
      } catch (e) {
        issues.add(
          joinKey(path, 'target'),
          `${JSON.stringify(a.target)} is not a valid regular expression: ${regexReason(e as Error)}`,
        );
      }
    }
  });
}

/** `"200"` → write it without quotes; a latency of `"800ms"` → latency is in milliseconds. */
function numberHint(source: string, target: unknown): string | undefined {
  if (typeof target !== 'string') return undefined;
  if (target.trim() !== '' && Number.isFinite(Number(target))) return `write ${target} without quotes`;
  const msv = parseDuration(target);
  if (source === 'latency' && msv !== undefined) return `latency is compared in milliseconds: write ${msv}`;
  return undefined;
}
