/**
 * `statusPage` in the config: its schema and the cross-checks against the rest of the config
 * (check ids exist, component names are unique, groups name real components, once each).
 */
import { closest, joinIndex, joinKey, s, type Infer, type Issues, type SameType } from '../config/schema';
import type { StatusPageSettings, ValidatedConfig } from '../config/types';
import { parseDuration } from '../duration';

const DAY = 86_400_000;
/** Days of bars when `history` is not set. */
export const DEFAULT_HISTORY_DAYS = 90;

const name = s.string({ minLength: 1 });
const statusPageShape = {
  title: s.string({ minLength: 1 }),
  description: s.optional(s.string()),
  components: s.array(
    s.object({
      name,
      checks: s.array(s.string({ minLength: 1 }), { min: 1, expected: 'a list of check ids' }),
      description: s.optional(s.string()),
    }),
    { min: 1, expected: 'a list of components' },
  ),
  groups: s.optional(s.array(s.object({ name, components: s.array(name, { min: 1 }) }))),
  domain: s.optional(
    s.object({
      name: s.string({
        pattern: /^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/,
        expected: 'a domain name such as "status.example.com"',
      }),
      certificateArn: s.string({
        pattern: /^arn:aws[a-z-]*:acm:us-east-1:\d{12}:certificate\/[\w-]+$/,
        expected: 'an ACM certificate ARN in us-east-1',
        patternHint: 'CloudFront only uses certificates from us-east-1: request or import it there',
      }),
    }),
  ),
  history: s.optional(s.duration({ min: 7 * DAY, max: 365 * DAY })),
};
true satisfies SameType<Infer<typeof statusPageShape>, StatusPageSettings>;

export const statusPageSchema = s.refine(s.object(statusPageShape), (p, path, issues) => {
  const ms = typeof p.history === 'string' ? parseDuration(p.history) : undefined;
  if (ms !== undefined && ms % DAY !== 0)
    issues.add(joinKey(path, 'history'), `"${p.history}" is not a whole number of days`, 'e.g. "90d"');
});

/** Cross-checks that need the whole config; runs on the raw value so every problem shows at once. */
export function checkStatusPage(page: unknown, checkIds: readonly string[], issues: Issues): void {
  if (!page || typeof page !== 'object') return;
  const { components, groups } = page as { components?: unknown; groups?: unknown };
  const names = new Map<string, number>();
  if (Array.isArray(components))
    components.forEach((c, i) => {
      if (!c || typeof c !== 'object') return;
      const path = joinIndex('statusPage.components', i);
      const { name: n, checks } = c as { name?: unknown; checks?: unknown };
      if (typeof n === 'string') {
        const first = names.get(n);
        if (first !== undefined)
          issues.add(
            joinKey(path, 'name'),
            `duplicate component name "${n}", also used by statusPage.components[${first}]`,
            'component names are what customers read: make each one unique',
          );
        else names.set(n, i);
      }
      if (Array.isArray(checks))
        checks.forEach((id, j) => {
          if (typeof id !== 'string' || checkIds.includes(id)) return;
          const near = closest(id, checkIds);
          issues.add(
            joinIndex(joinKey(path, 'checks'), j),
            `unknown check id "${id}"`,
            near ? `did you mean "${near}"?` : 'list ids of checks in this config',
          );
        });
    });
  if (!Array.isArray(groups)) return;
  const known = [...names.keys()];
  const inGroup = new Map<string, string>();
  groups.forEach((g, i) => {
    if (!g || typeof g !== 'object') return;
    const path = joinIndex('statusPage.groups', i);
    const { name: groupName, components: members } = g as { name?: unknown; components?: unknown };
    if (!Array.isArray(members)) return;
    members.forEach((m, j) => {
      if (typeof m !== 'string') return;
      const at = joinIndex(joinKey(path, 'components'), j);
      if (!names.has(m)) {
        const near = closest(m, known);
        issues.add(
          at,
          `unknown component "${m}"`,
          near ? `did you mean "${near}"?` : `components of this page: ${known.join(', ') || 'none'}`,
        );
        return;
      }
      const other = inGroup.get(m);
      if (other !== undefined)
        issues.add(at, `component "${m}" is already in group "${other}"`, 'a component is listed in one group only');
      else inGroup.set(m, typeof groupName === 'string' ? groupName : `statusPage.groups[${i}]`);
    });
  });
}

/** Days of history the page shows (`statusPage.history`, default 90). */
export function historyDays(config: Pick<ValidatedConfig, 'statusPage'>): number {
  const h = config.statusPage?.history;
  return h ? Math.round(parseDuration(h)! / DAY) : DEFAULT_HISTORY_DAYS;
}
