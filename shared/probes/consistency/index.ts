/** The `consistency` probe kind: two systems agree on a figure. See docs/kinds/consistency.md. */
import { parseJsonPath } from '../../assertions/json-path';
import { closest, joinIndex, joinKey, s } from '../../config/schema';
import { displayUrl } from '../http/display-url';
import { defineKind, type KindCheck } from '../types';
import { runConsistency } from './run';
import type { ConsistencyCheck } from './types';

export type { ConsistencyCheck, ConsistencySource, ConsistencyTolerance } from './types';

const jsonPath = s.refine(
  s.string({ minLength: 1, expected: 'a JSON path such as "$.today.orders"' }),
  (v, path, issues) => {
    const parsed = parseJsonPath(v);
    if ('error' in parsed) issues.add(path, parsed.error);
  },
);

const source = s.object(
  {
    name: s.string({
      pattern: /^[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?$/,
      expected: 'a source name (lower-case letters, digits and dashes, at most 32)',
      patternHint: 'e.g. "shop" or "erp"',
    }),
    url: s.url(),
    path: jsonPath,
    headers: s.optional(s.record(s.secretOr()), {}),
  },
  { expected: 'a source { name, url, path, headers? }' },
);

/** The fields of {@link ConsistencyCheck}, with the defaults validation applies. */
const fields = {
  sources: s.array(source, { min: 2, max: 10 }),
  tolerance: s.optional(
    s.object({ percent: s.optional(s.number({ min: 0 })), absolute: s.optional(s.number({ min: 0 })) }),
    {},
  ),
  lag: s.optional(s.duration({ min: 60_000, max: 7 * 86_400_000 })),
};

/** A validated consistency check: the fields with a default are set. */
export type ValidatedConsistencyCheck = KindCheck<ConsistencyCheck, typeof fields>;

/** Two or more systems agree on a figure within a tolerance; publishes the Difference. */
export const consistencyKind = defineKind<ConsistencyCheck>()({
  kind: 'consistency',
  fields,
  assertionSources: ['difference', 'percentDifference', 'value'],
  numericSources: ['difference', 'percentDifference', 'value'],
  // With `lag`: the first source's values are kept in the results table.
  state: ['table'],
  metrics: [
    // The largest |other − first| of the run
    { name: 'Difference', unit: 'None' },
  ],
  validate(check, path, issues) {
    const names = check.sources.map((x) => x.name);
    names.forEach((n, i) => {
      if (names.indexOf(n) !== i)
        issues.add(joinKey(joinIndex(joinKey(path, 'sources'), i), 'name'), `duplicate source name "${n}"`);
    });
    check.assertions.forEach((a, i) => {
      if (a.source === 'value' && a.property !== undefined && !names.includes(a.property)) {
        const near = closest(a.property, names);
        issues.add(
          joinKey(joinIndex(joinKey(path, 'assertions'), i), 'property'),
          `no source named "${a.property}"`,
          near ? `did you mean "${near}"?` : `the sources are ${names.join(', ')}`,
        );
      }
    });
  },
  target: (check) =>
    `${check.sources.map((x) => x.name).join(' vs ')}: ` +
    check.sources.map((x) => `${displayUrl(x.url)} ${x.path}`).join(', '),
  run: runConsistency,
});
