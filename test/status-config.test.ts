/** `statusPage` in the config: every problem at once, with its path and a hint. */
import { describe, expect, it } from 'vitest';
import { formatDiagnostic } from '../shared/config/schema';
import { parseConfig, validateConfig } from '../shared/config/validate';
import { historyDays } from '../shared/status/config';

const base = {
  project: 'shop',
  homeRegion: 'eu-central-1',
  regions: ['eu-central-1'],
  checks: [
    { id: 'shop-cart', kind: 'http', url: 'http://127.0.0.1:9/cart' },
    { id: 'shop-home', kind: 'http', url: 'http://127.0.0.1:9/' },
  ],
};

const problems = (statusPage: unknown) => {
  const r = validateConfig({ ...base, statusPage });
  return r.ok ? [] : r.diagnostics.map(formatDiagnostic);
};

describe('statusPage config', () => {
  it('accepts a page with components, groups and a custom domain', () => {
    const cfg = parseConfig({
      ...base,
      statusPage: {
        title: 'Shop status',
        components: [
          { name: 'Checkout', checks: ['shop-cart'], description: 'Cart and payment' },
          { name: 'Website', checks: ['shop-home'] },
        ],
        groups: [{ name: 'Shop', components: ['Checkout', 'Website'] }],
        domain: { name: 'status.example.com', certificateArn: 'arn:aws:acm:us-east-1:123456789012:certificate/abc-1' },
      },
    });
    expect(cfg.statusPage?.components).toHaveLength(2);
    expect(historyDays(cfg)).toBe(90);
    expect(historyDays({ statusPage: { ...cfg.statusPage!, history: '30d' } })).toBe(30);
  });

  it('reports unknown checks, duplicate names and bad groups together, with did-you-mean', () => {
    expect(
      problems({
        title: 'Shop status',
        components: [
          { name: 'Checkout', checks: ['shop-crat'] },
          { name: 'Checkout', checks: ['shop-home'] },
          { name: 'Search', checks: ['nothing-like-it'] },
        ],
        groups: [
          { name: 'Shop', components: ['Checkout', 'Serch'] },
          { name: 'Other', components: ['Checkout'] },
        ],
      }),
    ).toEqual([
      'statusPage.components[0].checks[0]: unknown check id "shop-crat" — hint: did you mean "shop-cart"?',
      'statusPage.components[1].name: duplicate component name "Checkout", also used by statusPage.components[0]' +
        ' — hint: component names are what customers read: make each one unique',
      'statusPage.components[2].checks[0]: unknown check id "nothing-like-it" — hint: list ids of checks in this ' +
        'config',
      'statusPage.groups[0].components[1]: unknown component "Serch" — hint: did you mean "Search"?',
      'statusPage.groups[1].components[0]: component "Checkout" is already in group "Shop"' +
        ' — hint: a component is listed in one group only',
    ]);
  });

  it('rejects unknown keys, an empty page, a certificate outside us-east-1 and part days', () => {
    const out = problems({
      title: '',
      components: [],
      colour: 'blue',
      domain: { name: 'status.example.com', certificateArn: 'arn:aws:acm:eu-west-1:123456789012:certificate/x' },
      history: '36h',
    });
    expect(out.join('\n')).toMatch(/statusPage\.title/);
    expect(out.join('\n')).toMatch(/statusPage\.components/);
    expect(out.join('\n')).toMatch(/statusPage\.colour/);
    expect(out.join('\n')).toMatch(/statusPage\.domain\.certificateArn.*us-east-1/);
    expect(out.join('\n')).toMatch(/statusPage\.history/);
  });
});
