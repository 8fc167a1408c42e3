/**
 * Assertion semantics, as tables: every comparison against strings, numbers, numeric strings,
 * arrays, objects, booleans, null and missing values; then JSON paths (parse and read), and
 * what evaluateAssertions reports. These pin the rules of shared/assertions/evaluate.ts, the
 * one place assertions are evaluated.
 */
import { describe, expect, it } from 'vitest';
import { compare, describeAssertion, evaluateAssertions } from '../shared/assertions/evaluate';
import { parseJsonPath, readJsonPath } from '../shared/assertions/json-path';
import type { Observations } from '../shared/probes/types';
import type { Assertion, Comparison } from '../shared/types';

const MISSING = Symbol('missing');
type Actual = unknown | typeof MISSING;

/** Observations with one value (or none) at any source/property. */
function obs(actual: Actual): Observations {
  return { read: () => (actual === MISSING ? {} : { value: actual }) };
}

function passes(actual: Actual, comparison: Comparison, target?: Assertion['target']): boolean {
  const a: Assertion = { source: 'json', property: '$.x', comparison };
  if (target !== undefined) a.target = target;
  return evaluateAssertions([a], obs(actual)).results[0]!.pass;
}

type Row = [
  label: string,
  actual: Actual,
  comparison: Comparison,
  target: Assertion['target'] | undefined,
  pass: boolean,
];

const strings: Row[] = [
  ['equal strings', 'hello world', 'equals', 'hello world', true],
  ['equals is case-sensitive', 'hello', 'equals', 'Hello', false],
  ['notEquals on different strings', 'hello', 'notEquals', 'bye', true],
  ['notEquals on the same string', 'hello', 'notEquals', 'hello', false],
  ['contains a substring', 'hello world', 'contains', 'lo w', true],
  ['contains a missing substring', 'hello', 'contains', 'xyz', false],
  ['notContains a missing substring', 'hello', 'notContains', 'xyz', true],
  ['notContains a present substring', 'hello', 'notContains', 'ell', false],
  ['matches a regular expression', 'hello', 'matches', '^h.*o$', true],
  ['matches is case-sensitive', 'hello', 'matches', '^H', false],
  ['matches with an inline class', 'order-1234', 'matches', '^order-\\d{4}$', true],
  ['lessThan on a word (not a number)', 'abc', 'lessThan', 5, false],
  ['greaterThan on a word (not a number)', 'abc', 'greaterThan', 5, false],
  ['a string "true" equals the boolean true', 'true', 'equals', true, true],
  ['a string "yes" does not equal true', 'yes', 'equals', true, false],
  ['exists on a string', 'hello', 'exists', undefined, true],
  ['exists on an empty string (present, empty)', '', 'exists', undefined, true],
  ['notExists on a present string', 'hello', 'notExists', undefined, false],
  ['an empty string is not the number 0', '', 'equals', 0, false],
];

const numbers: Row[] = [
  ['equal numbers', 200, 'equals', 200, true],
  ['different numbers', 200, 'equals', 201, false],
  ['a number equals its text', 200, 'equals', '200', true],
  ['notEquals on different numbers', 200, 'notEquals', 404, true],
  ['notEquals on the same number', 200, 'notEquals', 200, false],
  ['lessThan: smaller', 150, 'lessThan', 200, true],
  ['lessThan: equal is not less', 200, 'lessThan', 200, false],
  ['greaterThan: larger', 250, 'greaterThan', 200, true],
  ['greaterThan: equal is not greater', 200, 'greaterThan', 200, false],
  ['decimals', 9.5, 'equals', 9.5, true],
  ['negative numbers compare numerically', -3, 'lessThan', -2, true],
  ['zero exists', 0, 'exists', undefined, true],
  ['zero equals 0', 0, 'equals', 0, true],
  ['contains looks at the digits', 12345, 'contains', 234, true],
  ['notContains looks at the digits', 12345, 'notContains', 9, true],
  ['matches looks at the digits', 204, 'matches', '^2\\d\\d$', true],
  ['a number does not equal true', 1, 'equals', true, false],
];

const numericStrings: Row[] = [
  ['a numeric string equals the number', '200', 'equals', 200, true],
  ['a numeric string notEquals another number', '200', 'notEquals', 404, true],
  ['a decimal string lessThan', '1.5', 'lessThan', 2, true],
  ['a header-like length greaterThan', '1024', 'greaterThan', 1000, true],
  ['a numeric string compared as a number, not as text', '10', 'greaterThan', 9, true],
  ['a numeric string equals its own text', '200', 'equals', '200', true],
  ['digits followed by text are not a number', '12abc', 'greaterThan', 1, false],
  ['a numeric string does not equal a different number', '200', 'equals', 201, false],
];

const arrays: Row[] = [
  ['contains an element', ['a', 'b'], 'contains', 'b', true],
  ['contains: no such element', ['a', 'b'], 'contains', 'c', false],
  ['contains compares whole elements, not substrings', ['ab'], 'contains', 'a', false],
  ['notContains: no such element', ['a', 'b'], 'notContains', 'c', true],
  ['notContains: the element is there', ['a', 'b'], 'notContains', 'a', false],
  ['contains a number', [1, 2, 3], 'contains', 2, true],
  ['contains a number given as text', [1, 2, 3], 'contains', '2', true],
  ['contains a number in a list of numeric strings', ['1', '2'], 'contains', 2, true],
  ['contains null', ['a', null], 'contains', null, true],
  ['an array equals nothing scalar', [1], 'equals', 1, false],
  ['an array is not a number', [1, 2], 'greaterThan', 1, false],
  ['an empty array exists', [], 'exists', undefined, true],
  ['an empty array contains nothing', [], 'contains', 'a', false],
  ['matches looks at the JSON text', ['x', 'y'], 'matches', '^\\["x",', true],
];

const objects: Row[] = [
  ['an object equals nothing scalar', { a: 1 }, 'equals', 'x', false],
  ['an object notEquals a scalar', { a: 1 }, 'notEquals', 'x', true],
  ['contains looks at the JSON text (values)', { name: 'shop' }, 'contains', 'shop', true],
  ['contains looks at the JSON text (keys)', { name: 'shop' }, 'contains', 'name', true],
  ['notContains on the JSON text', { name: 'shop' }, 'notContains', 'cart', true],
  ['an object exists', { a: 1 }, 'exists', undefined, true],
  ['matches on the JSON text', { a: 1 }, 'matches', '"a":1', true],
  ['an object is not a number', { a: 1 }, 'lessThan', 5, false],
];

const booleans: Row[] = [
  ['true equals true', true, 'equals', true, true],
  ['false equals false', false, 'equals', false, true],
  ['true does not equal false', true, 'equals', false, false],
  ['false exists (present, falsy)', false, 'exists', undefined, true],
  ['false notEquals true', false, 'notEquals', true, true],
];

const nulls: Row[] = [
  ['null equals null', null, 'equals', null, true],
  ['null notEquals null', null, 'notEquals', null, false],
  ['null does not equal the text "null"', null, 'equals', 'null', false],
  ['null does not equal 0', null, 'equals', 0, false],
  ['a value does not equal null', 'x', 'equals', null, false],
  ['null exists (the key is there)', null, 'exists', undefined, true],
  ['null fails notExists (the key is there)', null, 'notExists', undefined, false],
  ['null contains nothing', null, 'contains', 'nul', false],
  ['null notContains anything', null, 'notContains', 'nul', true],
  ['null is not a number', null, 'lessThan', 1, false],
  ['null is not greater than -1', null, 'greaterThan', -1, false],
];

const missing: Row[] = (
  [
    ['equals', 'x'],
    ['equals', null],
    ['notEquals', 'x'],
    ['lessThan', 1],
    ['greaterThan', 1],
    ['contains', 'x'],
    ['notContains', 'x'],
    ['matches', '.*'],
    ['exists', undefined],
  ] as const
).map(([c, t]): Row => [`missing fails ${c}`, MISSING, c, t, false]);
missing.push(['missing passes notExists', MISSING, 'notExists', undefined, true]);

const invalidRegex: Row[] = [
  ['an invalid regular expression fails instead of throwing', 'abc', 'matches', '(', false],
  ['an unterminated class fails instead of throwing', '[abc', 'matches', '[a-', false],
];

describe.each([
  ['strings', strings],
  ['numbers', numbers],
  ['numeric strings', numericStrings],
  ['arrays', arrays],
  ['objects', objects],
  ['booleans', booleans],
  ['null', nulls],
  ['missing values', missing],
  ['invalid regex', invalidRegex],
])('comparisons on %s', (_name, rows) => {
  it.each(rows)('%s', (_label, actual, comparison, target, pass) => {
    expect(passes(actual, comparison, target)).toBe(pass);
  });
});

describe('every comparison is covered', () => {
  it('each comparison appears in the tables with a pass and a fail', () => {
    const all = [
      ...strings,
      ...numbers,
      ...numericStrings,
      ...arrays,
      ...objects,
      ...booleans,
      ...nulls,
      ...missing,
      ...invalidRegex,
    ];
    for (const c of [
      'equals',
      'notEquals',
      'lessThan',
      'greaterThan',
      'contains',
      'notContains',
      'matches',
      'exists',
      'notExists',
    ] as Comparison[]) {
      const rows = all.filter((r) => r[2] === c);
      expect(
        rows.some((r) => r[4]),
        `${c} passes somewhere`,
      ).toBe(true);
      expect(
        rows.some((r) => !r[4]),
        `${c} fails somewhere`,
      ).toBe(true);
    }
  });

  it('compare() agrees with evaluateAssertions for found and missing values', () => {
    expect(compare({ comparison: 'equals', target: 1 }, true, '1')).toBe(true);
    expect(compare({ comparison: 'notExists' }, false, undefined)).toBe(true);
    expect(compare({ comparison: 'notEquals', target: 1 }, false, undefined)).toBe(false);
  });
});

describe('JSON paths: parsing', () => {
  it.each<[string, Array<string | number>]>([
    ['$.items[0].price', ['items', 0, 'price']],
    ['$.items.length', ['items', 'length']],
    ["$['odd key']", ['odd key']],
    ['$["double quoted"]', ['double quoted']],
    ["$['a.b'].c", ['a.b', 'c']],
    ['$[-1]', [-1]],
    ['$.items[-1].id', ['items', -1, 'id']],
    ['$[0][1]', [0, 1]],
    ['$.x-request-id', ['x-request-id']],
    ['$._private.$ref', ['_private', '$ref']],
    ['$', []],
    ['', []],
    ['items[0]', ['items', 0]],
    ['.items', ['items']],
    ['  $.a  ', ['a']],
  ])('%j → %j', (path, segments) => {
    expect(parseJsonPath(path)).toEqual({ segments });
  });

  it.each<[string, string]>([
    ['$.', '"."'],
    ['$..items', '"..items"'],
    ['$.items[', '"["'],
    ['$.items[*]', '"[*]"'],
    ['$.items[0.5]', '"[0.5]"'],
    ["$['unterminated]", `"['unterminated]"`],
    ['$.a b', '" b"'],
    ['$.9lives', '".9lives"'],
    ['$items', '"items"'],
  ])('%j is rejected, pointing at %s', (path, at) => {
    const r = parseJsonPath(path);
    expect(r).toEqual({ error: `cannot read ${JSON.stringify(path)} at ${at} — write paths like $.items[0].price` });
  });
});

describe('JSON paths: reading', () => {
  const doc = {
    items: [
      { id: 'a', price: 9.5 },
      { id: 'b', price: 3 },
    ],
    name: 'shop',
    'odd key': { nested: null },
    length: 'a key called length',
    empty: [],
    falsy: 0,
  };
  it.each<[string, { found: boolean; value?: unknown }]>([
    ['$.items[0].price', { found: true, value: 9.5 }],
    ['$.items.length', { found: true, value: 2 }],
    ['$.name.length', { found: true, value: 4 }],
    ['$.length', { found: true, value: 'a key called length' }],
    ['$.items[-1].id', { found: true, value: 'b' }],
    ["$['odd key'].nested", { found: true, value: null }],
    ['$.empty.length', { found: true, value: 0 }],
    ['$.falsy', { found: true, value: 0 }],
    ['$', { found: true, value: doc }],
    ['$.items[2]', { found: false }],
    ['$.items[-3]', { found: false }],
    ['$.missing', { found: false }],
    ['$.missing.deeper', { found: false }],
    ["$['odd key'].nested.deeper", { found: false }],
    ['$.name[0]', { found: false }],
    ['$.items.id', { found: false }],
    ['$.toString', { found: false }],
    ['$.items[0].constructor', { found: false }],
  ])('%s → %j', (path, expected) => {
    const p = parseJsonPath(path);
    if ('error' in p) throw new Error(p.error);
    expect(readJsonPath(doc, p.segments)).toEqual(expected);
  });
});

describe('evaluateAssertions reports', () => {
  const a = (x: Partial<Assertion> & Pick<Assertion, 'comparison'>): Assertion => ({
    source: 'json',
    property: '$.x',
    ...x,
  });

  it('results with actual values, and no error when everything passes', () => {
    const r = evaluateAssertions([a({ comparison: 'equals', target: 3 }), a({ comparison: 'exists' })], obs(3));
    expect(r).toEqual({
      results: [
        { source: 'json', property: '$.x', comparison: 'equals', target: 3, actual: 3, pass: true },
        { source: 'json', property: '$.x', comparison: 'exists', actual: 3, pass: true },
      ],
    });
  });

  it('ASSERTION naming the first failure and counting the rest', () => {
    const r = evaluateAssertions(
      [
        a({ comparison: 'greaterThan', target: 0 }),
        a({ comparison: 'equals', target: 'x' }),
        a({ comparison: 'exists' }),
      ],
      obs(0),
    );
    expect(r.error).toEqual({
      code: 'ASSERTION',
      message: 'assertion failed: json $.x greaterThan 0, got 0 (and 1 more)',
    });
  });

  it('"got nothing" for a missing value, which is left out of the result', () => {
    const r = evaluateAssertions(
      [{ source: 'header', property: 'x-version', comparison: 'equals', target: '2' }],
      obs(MISSING),
    );
    expect(r.error?.message).toBe('assertion failed: header x-version equals "2", got nothing');
    expect(r.results[0]).toEqual({
      source: 'header',
      property: 'x-version',
      comparison: 'equals',
      target: '2',
      pass: false,
    });
    expect('actual' in r.results[0]!).toBe(false);
  });

  it("the source's own error (e.g. INVALID_JSON) instead of ASSERTION", () => {
    const bad: Observations = {
      read: () => ({ error: { code: 'INVALID_JSON', message: 'response body is not valid JSON: Unexpected token' } }),
    };
    const r = evaluateAssertions([a({ comparison: 'exists' })], bad);
    expect(r.error).toEqual({ code: 'INVALID_JSON', message: 'response body is not valid JSON: Unexpected token' });
    expect(r.results[0]!.pass).toBe(false);
  });

  it('long actual values clipped to 256 characters', () => {
    const r = evaluateAssertions([{ source: 'text', comparison: 'contains', target: 'needle' }], obs('x'.repeat(1000)));
    expect(r.results[0]!.actual).toBe(`${'x'.repeat(256)}…`);
    expect(r.error?.message).toBe(`assertion failed: text contains "needle", got "${'x'.repeat(79)}…`);
  });

  it('readable descriptions of assertions', () => {
    expect(describeAssertion({ source: 'status', comparison: 'equals', target: 200 })).toBe('status equals 200');
    expect(
      describeAssertion({ source: 'json', property: '$.items.length', comparison: 'greaterThan', target: 0 }),
    ).toBe('json $.items.length greaterThan 0');
    expect(describeAssertion({ source: 'header', property: 'etag', comparison: 'notExists' })).toBe(
      'header etag notExists',
    );
    expect(describeAssertion({ source: 'text', comparison: 'contains', target: 'ok' })).toBe('text contains "ok"');
  });
});
