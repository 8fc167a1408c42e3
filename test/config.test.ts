/**
 * Config diagnostics, with their exact text: every problem is collected with its path
 * (`checks[3] "shop-cart".assertions[0].target`), a reason and, where useful, a hint.
 * Lists that grow as kinds are added (known kinds) are computed from the registry.
 */
import { describe, expect, it } from 'vitest';
import { formatDiagnostic, type Diagnostic } from '../shared/config/schema';
import { ConfigError, parseConfig, validateConfig } from '../shared/config/validate';
import { registry } from '../shared/probes/registry';

const BASE = { project: 'shop', homeRegion: 'eu-central-1', regions: ['eu-central-1', 'us-east-1'] };
const URL = 'https://shop.example.com/health';

const http = (id: string, more: Record<string, unknown> = {}) => ({ id, kind: 'http', url: URL, ...more });

/** The diagnostics for a config with these checks (and extra top-level fields). */
function diagnose(checks: unknown, extra: Record<string, unknown> = {}): Diagnostic[] {
  const r = validateConfig({ ...BASE, ...extra, checks });
  return r.ok ? [] : r.diagnostics;
}

/** Diagnostics as the CLI prints them, one line each. */
const lines = (d: Diagnostic[]) => d.map(formatDiagnostic);

describe('config: unknown keys', () => {
  it('rejects an unknown check key and suggests the near one', () => {
    expect(diagnose([http('shop-home', { metod: 'POST' })])).toEqual([
      { path: 'checks[0] "shop-home".metod', message: 'unknown key', hint: 'did you mean "method"?' },
    ]);
  });

  it('suggests a key it is a clear prefix of', () => {
    expect(lines(diagnose([http('shop-home', { maxBody: 10 })]))).toEqual([
      'checks[0] "shop-home".maxBody: unknown key — hint: did you mean "maxBodyBytes"?',
    ]);
  });

  it('lists the known keys when nothing is near', () => {
    const [d] = diagnose([http('shop-home', { color: 'blue' })]);
    expect(d!.path).toBe('checks[0] "shop-home".color');
    expect(d!.message).toBe('unknown key');
    expect(d!.hint).toMatch(
      new RegExp(
        /^known keys: id, kind, name, frequency, timeout, .*url, method, headers, query, auth, body, /.source +
          /followRedirects, maxRedirects, tls, maxBodyBytes$/.source,
      ),
    );
  });

  it('rejects unknown keys at the top level and inside nested objects', () => {
    expect(lines(diagnose([http('a', { tls: { insecur: true } })], { region: 'eu-central-1' }))).toEqual([
      'region: unknown key — hint: did you mean "regions"?',
      'checks[0] "a".tls.insecur: unknown key — hint: did you mean "insecure"?',
    ]);
  });
});

describe('config: required fields and types', () => {
  it('a missing url', () => {
    expect(diagnose([{ id: 'shop-home', kind: 'http' }])).toEqual([
      { path: 'checks[0] "shop-home".url', message: 'is required (an absolute http or https URL)' },
    ]);
  });

  it('a missing id: the path has no name yet', () => {
    expect(lines(diagnose([{ kind: 'http', url: URL }]))).toEqual([
      'checks[0].id: is required (an id (lower-case letters, digits and dashes, at most 64))',
    ]);
  });

  it('a number in quotes gets the "without quotes" hint', () => {
    expect(lines(diagnose([http('a', { retries: '2', maxRedirects: '3' })]))).toEqual([
      'checks[0] "a".retries: expected an integer from 0 to 5, got "2" — hint: write 2 without quotes',
      'checks[0] "a".maxRedirects: expected an integer from 0 to 20, got "3" — hint: write 3 without quotes',
    ]);
  });

  it('an assertion target in quotes for a numeric source', () => {
    expect(
      lines(diagnose([http('a', { assertions: [{ source: 'status', comparison: 'equals', target: '200' }] })])),
    ).toEqual([
      'checks[0] "a".assertions[0].target: expected a number for source "status", got "200" — hint: write 200 ' +
        'without quotes',
    ]);
  });

  it('wrong types, each with what was expected and what came', () => {
    expect(
      lines(
        diagnose([
          http('a', { url: 42, followRedirects: 'yes', headers: { 'x-api': 1 }, tags: ['checkout'], enabled: 1 }),
        ]),
      ),
    ).toEqual([
      'checks[0] "a".tags: expected an object whose values are each a string, got an array',
      'checks[0] "a".enabled: expected true or false, got number 1',
      'checks[0] "a".url: expected an absolute http or https URL, got number 42',
      'checks[0] "a".headers["x-api"]: expected a string or a secret reference { secret: "name" }, got number 1',
      'checks[0] "a".followRedirects: expected true or false, got "yes"',
    ]);
  });

  it('a URL without a scheme, a scheme the kind does not speak, a lower-case method', () => {
    expect(
      lines(
        diagnose([
          http('a', { url: 'shop.example.com/health' }),
          http('b', { url: 'ftp://shop.example.com/' }),
          http('c', { method: 'get' }),
        ]),
      ),
    ).toEqual([
      'checks[0] "a".url: expected an absolute http or https URL, got "shop.example.com/health" — hint: include ' +
        'the scheme, e.g. "https://shop.example.com/health"',
      'checks[1] "b".url: expected an absolute http or https URL, got "ftp://shop.example.com/"',
      'checks[2] "c".method: expected one of "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", got ' +
        '"get" — hint: did you mean "GET"?',
    ]);
  });

  it('bad secret references', () => {
    expect(
      lines(
        diagnose([
          http('a', { headers: { authorization: { secret: 'api token!' }, 'x-key': { secret: 'k', env: 'X' } } }),
        ]),
      ),
    ).toEqual([
      'checks[0] "a".headers.authorization.secret: expected a secret name (letters, digits, / _ + = . @ -), got ' +
        '"api token!"',
      'checks[0] "a".headers["x-key"]: a secret reference has exactly one key, "secret" — hint: write { secret: ' +
        '"name" }',
    ]);
  });

  it('an id that is not a slug', () => {
    expect(lines(diagnose([http('Shop Cart')]))).toEqual([
      'checks[0] "Shop Cart".id: expected an id (lower-case letters, digits and dashes, at most 64), got "Shop ' +
        'Cart" — hint: e.g. "shop-cart"',
    ]);
  });

  it('checks that are not objects, and a checks field that is not a list', () => {
    expect(lines(diagnose([42, null]))).toEqual([
      'checks[0]: expected a check object with at least id and kind, got number 42',
      'checks[1]: expected a check object with at least id and kind, got null',
    ]);
    expect(lines(diagnose({ 'shop-home': http('shop-home') }))).toEqual([
      'checks: expected a list of checks, got an object',
    ]);
    expect(lines(validateConfig(BASE).diagnostics)).toEqual(['checks: is required (a list of checks)']);
    expect(lines(validateConfig(42).diagnostics)).toEqual(['(config): expected an object, got number 42']);
  });
});

describe('config: ids, kinds, regions', () => {
  it('duplicate ids, reported where the id comes again', () => {
    expect(diagnose([http('shop-home'), http('shop-cart'), http('shop-home')])).toEqual([
      {
        path: 'checks[2] "shop-home".id',
        message: 'duplicate id "shop-home", also used by checks[0]',
        hint: 'ids must be unique: they name metrics and alarms',
      },
    ]);
  });

  it('an unknown kind with a suggestion, or the list of kinds', () => {
    const kinds = [...registry.keys()].join(', ');
    expect(lines(diagnose([{ id: 'a', kind: 'htp', url: URL }, { id: 'b', kind: 'ftp' }, { id: 'c' }]))).toEqual([
      'checks[0] "a".kind: unknown kind "htp" — hint: did you mean "http"?',
      `checks[1] "b".kind: unknown kind "ftp" — hint: known kinds: ${kinds}`,
      `checks[2] "c".kind: is required — hint: one of: ${kinds}`,
    ]);
  });

  it('a region that is not one of the config regions, and one that is not a region', () => {
    expect(lines(diagnose([http('a', { regions: ['ap-southeast-1', 'eu-central-1', 'mars'] })]))).toEqual([
      'checks[0] "a".regions[2]: expected an AWS region such as "eu-central-1", got "mars"',
      'checks[0] "a".regions[0]: "ap-southeast-1" is not one of the config\'s regions (eu-central-1, us-east-1) ' +
        '— hint: add it to the top-level regions or remove it here',
    ]);
  });

  it('a default region that is not one of the config regions', () => {
    expect(lines(diagnose([], { defaults: { regions: ['sa-east-1'] } }))).toEqual([
      'defaults.regions[0]: "sa-east-1" is not one of the config\'s regions (eu-central-1, us-east-1) — hint: ' +
        'add it to regions or remove it here',
    ]);
  });

  it('a region listed twice', () => {
    expect(
      lines(validateConfig({ ...BASE, regions: ['eu-central-1', 'eu-central-1'], checks: [] }).diagnostics),
    ).toEqual(['regions: lists "eu-central-1" more than once']);
  });
});

describe('config: durations and their rules', () => {
  it('bad durations, with a hint where the intent is clear', () => {
    expect(
      lines(
        diagnose([
          http('a', { frequency: '5 minutes', timeout: 30, degradedAfter: '2x' }),
          http('b', { timeout: '1 s' }),
        ]),
      ),
    ).toEqual([
      'checks[0] "a".frequency: expected a duration such as "500ms", "10s", "1m", "1h" or "1d", got "5 minutes" ' +
        '— hint: write "5m"',
      'checks[0] "a".timeout: expected a duration such as "500ms", "10s", "1m", "1h" or "1d", got number 30 — ' +
        'hint: write "30ms" or "30s": durations carry a unit',
      'checks[0] "a".degradedAfter: expected a duration such as "500ms", "10s", "1m", "1h" or "1d", got "2x"',
      'checks[1] "b".timeout: expected a duration such as "500ms", "10s", "1m", "1h" or "1d", got "1 s" — hint: ' +
        'write "1s"',
    ]);
  });

  it('a duration out of bounds', () => {
    expect(lines(diagnose([http('a', { frequency: '500ms' }), http('b', { frequency: '2d' })]))).toEqual([
      'checks[0] "a".frequency: must be at least 1000ms, got "500ms"',
      'checks[1] "b".frequency: must be at most 86400000ms, got "2d"',
    ]);
  });

  it('a frequency that does not fit the minute', () => {
    const hint = 'use a divisor of 1m (10s, 15s, 20s, 30s) or whole minutes (1m, 5m, 1h)';
    expect(
      diagnose([
        http('a', { frequency: '7s' }),
        http('b', { frequency: '90s' }),
        http('c', { frequency: '20s', timeout: '5s' }),
        http('d', { frequency: '5m' }),
      ]),
    ).toEqual([
      { path: 'checks[0] "a".frequency', message: '"7s" does not fit the one-minute schedule', hint },
      { path: 'checks[1] "b".frequency', message: '"90s" does not fit the one-minute schedule', hint },
    ]);
  });

  it('a timeout longer than the frequency', () => {
    expect(
      lines(
        diagnose([
          http('a', { frequency: '1m', timeout: '2m' }),
          http('b', { frequency: '5m', timeout: '10m' }),
          http('c', { frequency: '10s', timeout: '30s' }),
        ]),
      ),
    ).toEqual([
      'checks[0] "a".timeout: "2m" is longer than the check\'s frequency "1m" — hint: a run must end before the ' +
        'next one is due',
      'checks[1] "b".timeout: "10m" is longer than the check\'s frequency "5m" — hint: a run must end before the ' +
        'next one is due',
    ]);
  });

  it('degradedAfter not below the timeout (equal or longer)', () => {
    expect(
      lines(
        diagnose([
          http('a', { timeout: '5s', degradedAfter: '5s' }),
          http('b', { timeout: '5s', degradedAfter: '6s' }),
          http('c', { timeout: '5s', degradedAfter: '4s' }),
        ]),
      ),
    ).toEqual([
      'checks[0] "a".degradedAfter: "5s" is not below the timeout "5s" — hint: a result can only be degraded ' +
        'before it times out',
      'checks[1] "b".degradedAfter: "6s" is not below the timeout "5s" — hint: a result can only be degraded ' +
        'before it times out',
    ]);
  });

  it('degradedAfter from defaults is checked against each check timeout', () => {
    expect(lines(diagnose([http('a', { timeout: '2s' })], { defaults: { degradedAfter: '3s' } }))).toEqual([
      'checks[0] "a".degradedAfter: "3s" is not below the timeout "2s" — hint: a result can only be degraded ' +
        'before it times out',
    ]);
  });
});

describe('config: assertions', () => {
  const at = (assertions: unknown[]) => lines(diagnose([http('shop-cart', { assertions })]));

  it('a source the kind does not offer, with a hint for what was meant', () => {
    expect(
      at([
        { source: 'body', comparison: 'contains', target: 'ok' },
        { source: 'staus', comparison: 'equals', target: 200 },
        { source: 'rcode', comparison: 'exists' },
      ]),
    ).toEqual([
      'checks[0] "shop-cart".assertions[0].source: "body" is not a source http checks offer (status, latency, ' +
        'header, text, json) — hint: did you mean "text"?',
      'checks[0] "shop-cart".assertions[1].source: "staus" is not a source http checks offer (status, latency, ' +
        'header, text, json) — hint: did you mean "status"?',
      'checks[0] "shop-cart".assertions[2].source: "rcode" is not a source http checks offer (status, latency, ' +
        'header, text, json)',
    ]);
  });

  it('a missing target, a target that is not used, a json assertion without property', () => {
    expect(
      at([
        { source: 'status', comparison: 'equals' },
        { source: 'header', property: 'etag', comparison: 'exists', target: 'x' },
        { source: 'json', comparison: 'exists' },
        { source: 'header', comparison: 'exists' },
      ]),
    ).toEqual([
      'checks[0] "shop-cart".assertions[0].target: is required for comparison "equals"',
      'checks[0] "shop-cart".assertions[1].target: is not used by "exists" — hint: remove it',
      'checks[0] "shop-cart".assertions[2].property: is required for source "json" (a JSON path such as ' +
        '"$.items[0].price")',
      'checks[0] "shop-cart".assertions[3].property: is required for source "header" (a header name)',
    ]);
  });

  it('an invalid regular expression and a JSON path it cannot read', () => {
    expect(
      at([
        { source: 'text', comparison: 'matches', target: '([a-z' },
        { source: 'json', property: '$..price', comparison: 'exists' },
      ]),
    ).toEqual([
      'checks[0] "shop-cart".assertions[0].target: "([a-z" is not a valid regular expression: unterminated ' +
        'character class',
      'checks[0] "shop-cart".assertions[1].property: cannot read "$..price" at "..price" — write paths like ' +
        '$.items[0].price',
    ]);
  });

  it('numbers where numbers are compared', () => {
    expect(
      at([
        { source: 'latency', comparison: 'lessThan', target: '800ms' },
        { source: 'text', comparison: 'greaterThan', target: 'a' },
        { source: 'json', property: '$.n', comparison: 'lessThan', target: '5' },
      ]),
    ).toEqual([
      'checks[0] "shop-cart".assertions[0].target: expected a number for source "latency", got "800ms" — hint: ' +
        'latency is compared in milliseconds: write 800',
      'checks[0] "shop-cart".assertions[1].target: expected a number for "greaterThan", got "a"',
      'checks[0] "shop-cart".assertions[2].target: expected a number for "lessThan", got "5"',
    ]);
  });

  it('a comparison typo, an assertion that is not an object, assertions that are not a list', () => {
    expect(at([{ source: 'status', comparison: 'equal', target: 200 }, 'status == 200'])).toEqual([
      'checks[0] "shop-cart".assertions[0].comparison: expected one of "equals", "notEquals", "lessThan", ' +
        '"greaterThan", "contains", "notContains", "matches", "exists", "notExists", got "equal" — hint: did you ' +
        'mean "equals"?',
      'checks[0] "shop-cart".assertions[1]: expected an assertion such as { source: "status", comparison: ' +
        '"equals", target: 200 }, got "status == 200"',
    ]);
    expect(lines(diagnose([http('shop-cart', { assertions: { source: 'status' } })]))).toEqual([
      'checks[0] "shop-cart".assertions: expected a list of assertions, got an object',
    ]);
  });

  it('names the check in the path: checks[3] "shop-cart".assertions[0].target', () => {
    const d = diagnose([
      http('shop-home'),
      http('shop-search'),
      http('shop-login'),
      http('shop-cart', { assertions: [{ source: 'status', comparison: 'lessThan', target: 'fast' }] }),
    ]);
    expect(d).toEqual([
      {
        path: 'checks[3] "shop-cart".assertions[0].target',
        message: 'expected a number for source "status", got "fast"',
      },
    ]);
  });
});

describe('config: several problems at once', () => {
  it('collects every problem in one pass, in order', () => {
    const r = validateConfig({
      project: 'Shop!',
      homeRegion: 'eu-central-1',
      regions: ['eu-central-1'],
      retention: '1h',
      checks: [
        http('shop-home', { timeout: '30', assertions: [{ source: 'status', comparison: 'equals', target: '200' }] }),
        { id: 'shop-cart', kind: 'htp', url: URL },
        http('shop-api', { metod: 'POST', frequency: '45s' }),
        http('shop-home', { regions: ['us-west-2'] }),
        http('shop-ok'),
      ],
    });
    expect(r.ok).toBe(false);
    expect(lines(r.diagnostics)).toEqual(
      [
        'project: expected a project name (lower-case letters, digits, dashes; at most 31), got "Shop!" — hint: ' +
          'e.g. "shop"',
        'retention: must be at least 86400000ms, got "1h"',
        'checks[0] "shop-home".timeout: expected a duration such as "500ms", "10s", "1m", "1h" or "1d", got "30" ' +
          '— hint: write "30ms" or "30s": durations carry a unit',
        'checks[0] "shop-home".assertions[0].target: expected a number for source "status", got "200" — hint: ' +
          'write 200 without quotes',
        'checks[1] "shop-cart".kind: unknown kind "htp" — hint: did you mean "http"?',
        'checks[2] "shop-api".metod: unknown key — hint: did you mean "method"?',
        'checks[2] "shop-api".frequency: "45s" does not fit the one-minute schedule — hint: use a divisor of 1m ' +
          '(10s, 15s, 20s, 30s) or whole minutes (1m, 5m, 1h)',
        'checks[3] "shop-home".id: duplicate id "shop-home", also used by checks[0]',
        'checks[3] "shop-home".regions[0]: "us-west-2" is not one of the config\'s regions (eu-central-1) — ' +
          'hint: add it to the top-level regions or remove it here',
      ].map((l) => (l.includes('duplicate id') ? `${l} — hint: ids must be unique: they name metrics and alarms` : l)),
    );
  });

  it('parseConfig throws a ConfigError listing all of them', () => {
    let err: unknown;
    try {
      parseConfig({ ...BASE, checks: [http('a', { retries: 9 }), { id: 'b', kind: 'http' }] }, 'watchpost.config.ts');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).diagnostics).toHaveLength(2);
    expect((err as Error).message).toBe(
      [
        'watchpost.config.ts: invalid config, 2 problems:',
        '  checks[0] "a".retries: expected an integer from 0 to 5, got number 9',
        '  checks[1] "b".url: is required (an absolute http or https URL)',
      ].join('\n'),
    );
  });
});

describe('config: defaults', () => {
  it('fills in every default for a minimal http check', () => {
    const config = parseConfig({ ...BASE, checks: [http('shop-home')] });
    expect(config.retention).toBe('30d');
    expect(config.notify).toEqual({ critical: { sms: [], email: [] }, warning: { sms: [], email: [] } });
    const [check] = config.checks;
    expect(check).toMatchObject({
      id: 'shop-home',
      kind: 'http',
      name: 'shop-home',
      url: URL,
      frequency: '1m',
      timeout: '10s',
      retries: 0,
      regions: ['eu-central-1', 'us-east-1'],
      severity: 'critical',
      tags: {},
      enabled: true,
      assertions: [],
      method: 'GET',
      headers: {},
      followRedirects: true,
      maxRedirects: 5,
      maxBodyBytes: 1048576,
    });
    expect(check).not.toHaveProperty('degradedAfter');
    expect(check).not.toHaveProperty('body');
  });

  it('takes config defaults before the built-in ones, and the check before both', () => {
    const config = parseConfig({
      ...BASE,
      defaults: {
        frequency: '5m',
        timeout: '20s',
        retries: 2,
        severity: 'warning',
        regions: ['us-east-1'],
        tags: { team: 'shop' },
        degradedAfter: '2s',
      },
      checks: [
        http('a'),
        http('b', {
          frequency: '1m',
          retries: 0,
          severity: 'critical',
          regions: ['eu-central-1'],
          tags: { tier: '1' },
          degradedAfter: '500ms',
        }),
      ],
    });
    expect(config.checks[0]).toMatchObject({
      frequency: '5m',
      timeout: '20s',
      retries: 2,
      severity: 'warning',
      regions: ['us-east-1'],
      tags: { team: 'shop' },
      degradedAfter: '2s',
    });
    expect(config.checks[1]).toMatchObject({
      frequency: '1m',
      timeout: '20s',
      retries: 0,
      severity: 'critical',
      regions: ['eu-central-1'],
      tags: { team: 'shop', tier: '1' },
      degradedAfter: '500ms',
    });
  });

  it('keeps what the check sets for http fields', () => {
    const [check] = parseConfig({
      ...BASE,
      checks: [
        http('a', {
          method: 'POST',
          body: { a: 1 },
          followRedirects: false,
          maxRedirects: 0,
          maxBodyBytes: 1000,
          tls: { insecure: true },
        }),
      ],
    }).checks;
    expect(check).toMatchObject({
      method: 'POST',
      body: { a: 1 },
      followRedirects: false,
      maxRedirects: 0,
      maxBodyBytes: 1000,
      tls: { insecure: true },
    });
  });
});

describe('config: every problem in one pass (issue 9)', () => {
  it('reports keys named like Object.prototype members, and __proto__ from JSON, as unknown keys', () => {
    const raw = JSON.parse(
      `{"project":"shop","homeRegion":"eu-central-1","regions":["eu-central-1"],"constructor":1,
        "checks":[{"id":"a","kind":"http","url":"${URL}","toString":"x","__proto__":{"retries":9}}]}`,
    );
    expect(lines(validateConfig(raw).diagnostics)).toEqual([
      // Other issues add top-level keys (statusPage, …): the list starts and ends the same.
      expect.stringMatching(/^constructor: unknown key — hint: known keys: project, homeRegion, regions, .*, checks$/),
      expect.stringMatching(/^checks\[0\] "a"\.toString: unknown key/),
      expect.stringMatching(/^checks\[0\] "a"\["__proto__"\]: unknown key|^checks\[0\] "a"\.__proto__: unknown key/),
    ]);
  });

  it('reports a prototype set with __proto__ in a .ts/.js config object', () => {
    const check = { __proto__: { retries: 9 }, id: 'a', kind: 'http', url: URL };
    expect(lines(diagnose([check]))).toEqual([
      expect.stringMatching(/^checks\[0\] "a"(\.__proto__|\["__proto__"\]): unknown key/),
    ]);
  });

  it('shows cross-field problems beside field problems: heartbeat regions, timeout > frequency', () => {
    const d = lines(
      validateConfig({
        ...BASE,
        regions: ['eu-central-1', 'us-east-1', 'eu-west-1'],
        checks: [
          { id: 'job', kind: 'heartbeat', period: '1h', grace: '5m', token: { secret: 'job-token' }, colour: 'red' },
          http('slow', { timeout: '2m', frequency: '1m', retries: 'two' }),
        ],
      }).diagnostics,
    );
    expect(d).toContainEqual(expect.stringMatching(/^checks\[0\] "job"\.colour: unknown key/));
    expect(d).toContainEqual(
      expect.stringMatching(/^checks\[0\] "job"\.regions: a heartbeat check runs in exactly one region .* got 3/),
    );
    expect(d).toContainEqual(expect.stringMatching(/^checks\[1\] "slow"\.retries: expected an integer/));
    expect(d).toContainEqual(
      'checks[1] "slow".timeout: "2m" is longer than the check\'s frequency "1m" — hint: a run must end before ' +
        'the next one is due',
    );
  });

  it('reports a bad defaults.frequency once, at its own path, not against the checks', () => {
    const d = lines(diagnose([http('a'), http('b')], { defaults: { frequency: '45s', timeout: 'soon' } }));
    expect(d.filter((l) => l.startsWith('checks'))).toEqual([]);
    expect(d).toEqual([
      expect.stringMatching(/^defaults\.timeout: expected a duration/),
      'defaults.frequency: "45s" does not fit the one-minute schedule — hint: use a divisor of 1m (10s, 15s, ' +
        '20s, 30s) or whole minutes (1m, 5m, 1h)',
    ]);
  });

  it('suggests "tcp" for the kind "tpc" (a swap of two letters is one edit)', () => {
    expect(lines(diagnose([{ id: 'a', kind: 'tpc', host: '127.0.0.1', port: 1 }]))).toEqual([
      'checks[0] "a".kind: unknown kind "tpc" — hint: did you mean "tcp"?',
    ]);
  });
});
