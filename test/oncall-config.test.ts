/**
 * The on-call config: dependsOn (unknown ids, cycles, self, duplicates), repeat and escalate —
 * collected diagnostics.
 */
import { describe, expect, it } from 'vitest';
import { formatDiagnostic } from '../shared/config/schema';
import { validateConfig } from '../shared/config/validate';
import { ancestorsOf, dependentsOf, onCallSettings } from '../shared/notify/oncall-config';

const check = (id: string, dependsOn?: unknown) => ({
  id,
  kind: 'http',
  url: `https://${id}.example.com/`,
  ...(dependsOn !== undefined ? { dependsOn } : {}),
});
const base = (checks: unknown[], notify: Record<string, unknown> = {}) => ({
  project: 'shop',
  homeRegion: 'eu-central-1',
  regions: ['eu-central-1'],
  notify,
  checks,
});
const problems = (raw: unknown) => {
  const r = validateConfig(raw);
  return r.ok ? [] : r.diagnostics.map(formatDiagnostic);
};

describe('dependsOn', () => {
  it('accepts a chain and resolves ancestors and dependents transitively', () => {
    const r = validateConfig(
      base([check('db'), check('api', ['db']), check('cart', ['api']), check('search', ['api'])]),
    );
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(ancestorsOf(r.config, 'cart')).toEqual(['api', 'db']);
    expect(dependentsOf(r.config, 'db')).toEqual(['api', 'cart', 'search']);
  });

  it('names unknown ids with a did-you-mean, self-dependence and duplicates, all at once', () => {
    expect(
      problems(base([check('shop-api'), check('shop-cart', ['shop-apj', 'shop-cart', 'shop-api', 'shop-api'])])),
    ).toEqual([
      'checks[1] "shop-cart".dependsOn[0]: unknown check id "shop-apj" — hint: did you mean "shop-api"?',
      'checks[1] "shop-cart".dependsOn[1]: a check cannot depend on itself',
      'checks[1] "shop-cart".dependsOn[3]: lists "shop-api" more than once',
    ]);
    expect(problems(base([check('a', 'b'), check('b')]))[0]).toMatch(
      /^checks\[0\] "a"\.dependsOn: expected a list of check ids/,
    );
  });

  it('reports a cycle once, with its path', () => {
    const p = problems(base([check('a', ['c']), check('b', ['a']), check('c', ['b']), check('d', ['a'])]));
    expect(p).toHaveLength(1);
    expect(p[0]).toMatch(
      /dependsOn\[0\]: is a cycle: (a → c → b → a|b → a → c → b|c → b → a → c) — hint: a check cannot/,
    );
  });
});

describe('repeat and escalate', () => {
  it('resolves reminders and levels per severity', () => {
    const r = validateConfig(
      base([check('a')], {
        critical: { sms: ['+4915112345678'], repeat: '30m', escalate: [{ after: '15m', email: ['l2@example.com'] }] },
      }),
    );
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(onCallSettings(r.config, 'critical')).toEqual({
      repeat: '30m',
      repeatMs: 1_800_000,
      escalate: [{ level: 1, after: '15m', afterMs: 900_000, sms: [], email: ['l2@example.com'] }],
    });
    expect(onCallSettings(r.config, 'warning')).toEqual({ escalate: [] });
  });

  it('rejects levels out of order, levels that page nobody, bad intervals and unknown keys', () => {
    const p = problems(
      base([check('a')], {
        critical: {
          repeat: '10s',
          escalate: [
            { after: '30m', sms: ['+4915112345678'] },
            { after: '15m', email: ['x@example.com'] },
            { after: '1h' },
          ],
        },
        warning: { escalate: [{ after: '15m', sms: ['0151'], pager: 'x' }] },
      }),
    );
    expect(p.join('\n')).toContain('notify.critical.repeat');
    expect(p).toContain(
      'notify.critical.escalate[1].after: "15m" is not later than the level before ("30m") — hint: levels are ' +
        'paged in order: give each a longer `after`',
    );
    expect(p.some((l) => l.startsWith('notify.critical.escalate[2]: pages nobody'))).toBe(true);
    expect(p.some((l) => l.startsWith('notify.warning.escalate[0].sms[0]'))).toBe(true);
    expect(p.some((l) => l.startsWith('notify.warning.escalate[0].pager: unknown key'))).toBe(true);
  });
});
