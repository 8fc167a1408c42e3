/** The `browser` probe kind: a real Chromium walks a customer's journey. See docs/kinds/browser.md. */
import { existsSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { closest, INVALID, joinKey, s, type Schema } from '../../config/schema';
import { displayUrl } from '../http/display-url';
import { defineKind, type KindCheck } from '../types';
import { runBrowser } from './run';
import type { BrowserCheck, BrowserStep } from './types';

export type { BrowserCheck, BrowserScript, BrowserScriptContext, BrowserStep } from './types';

export const MAX_BROWSER_STEPS = 50;
const selector = s.string({ minLength: 1, expected: 'a Playwright selector such as "#add" or "text=Add to cart"' });
const stepTimeout = s.optional(s.duration({ min: 100, max: 120_000 }));

/** One schema per action: a step is exactly one of them (plus `timeout`). */
const ACTIONS: Record<string, Schema<unknown>> = {
  goto: s.url(['http:', 'https:']),
  click: selector,
  fill: s.object({ selector, value: s.secretOr(s.string()) }, { expected: 'a fill { selector, value }' }),
  press: s.string({ minLength: 1, expected: 'a key such as "Enter" or "Control+A"' }),
  waitFor: selector,
  expectText: s.string({ minLength: 1, expected: 'the text the page must show' }),
  expectUrl: s.refine(s.string({ minLength: 1, expected: 'a URL substring or a /regex/' }), (v, path, issues) => {
    const re = /^\/(.+)\/([a-z]*)$/.exec(v);
    if (!re) return;
    try {
      new RegExp(re[1]!, re[2]);
    } catch (e) {
      issues.add(path, `not a valid regular expression: ${(e as Error).message}`);
    }
  }),
  screenshot: s.string({
    pattern: /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/,
    expected: 'a screenshot name (letters, digits, "-", "_")',
    patternHint: 'e.g. "cart"',
  }),
};
const ACTION_NAMES = Object.keys(ACTIONS);
const STEP_EXPECTED = `a step with one action: ${ACTION_NAMES.join(', ')}`;

const stepSchema: Schema<BrowserStep> = {
  expected: STEP_EXPECTED,
  check(v, path, issues) {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) {
      issues.add(path, `expected ${STEP_EXPECTED}, got ${JSON.stringify(v)}`, 'e.g. { click: "#add" }');
      return INVALID;
    }
    const keys = Object.keys(v).filter((k) => k !== 'timeout');
    const actions = keys.filter((k) => Object.hasOwn(ACTIONS, k));
    if (actions.length !== 1) {
      const unknown = keys.find((k) => !Object.hasOwn(ACTIONS, k));
      const near = unknown === undefined ? undefined : closest(unknown, ACTION_NAMES);
      issues.add(
        unknown !== undefined && actions.length === 0 ? joinKey(path, unknown) : path,
        actions.length > 1 ? `a step has one action, got ${actions.join(' and ')}` : `expected ${STEP_EXPECTED}`,
        near ? `did you mean "${near}"?` : 'split it into one step per action',
      );
      return INVALID;
    }
    const shape = s.object({ [actions[0]!]: ACTIONS[actions[0]!]!, timeout: stepTimeout });
    return shape.check(v, path, issues) as BrowserStep | typeof INVALID;
  },
};

/** The fields of {@link BrowserCheck}, with the defaults validation applies. */
const fields = {
  steps: s.optional(s.array(stepSchema, { min: 1, max: MAX_BROWSER_STEPS })),
  script: s.optional(s.string({ minLength: 1, expected: 'a path to a journey script, e.g. "./checks/cart.ts"' })),
  secrets: s.optional(s.record(s.secretOr()), {}),
  vars: s.optional(s.record(s.string()), {}),
  viewport: s.optional(
    s.object({
      width: s.number({ integer: true, min: 200, max: 4000 }),
      height: s.number({ integer: true, min: 200, max: 4000 }),
    }),
    { width: 1280, height: 800 },
  ),
  lcpAfter: s.optional(s.duration({ min: 100, max: 60_000 }), '2.5s'),
  artifacts: s.optional(s.boolean(), true),
};

/** A validated browser check: the fields with a default are set. */
export type ValidatedBrowserCheck = KindCheck<BrowserCheck, typeof fields>;

/** Where the journey starts, for tables and alarm descriptions. */
function firstUrl(check: ValidatedBrowserCheck): string {
  const go = check.steps?.find((st): st is BrowserStep & { goto: string } => 'goto' in st);
  return go ? displayUrl(go.goto) : (check.script ?? 'browser');
}

/** A real Chromium walks a journey: steps or a script; web vitals, failing step, screenshot and trace. */
export const browserKind = defineKind<BrowserCheck>()({
  kind: 'browser',
  fields,
  assertionSources: ['lcp', 'fcp', 'cls', 'tbt', 'ttfb', 'consoleErrors', 'failedRequests', 'title', 'url', 'latency'],
  numericSources: ['lcp', 'fcp', 'cls', 'tbt', 'ttfb', 'consoleErrors', 'failedRequests', 'latency'],
  defaultTimeout: '30s',
  metrics: [{ name: 'LargestContentfulPaint', unit: 'Milliseconds' }],
  validate(check, path, issues) {
    if ((check.steps === undefined) === (check.script === undefined))
      issues.add(
        path,
        check.steps ? 'give steps or script, not both' : 'a browser check needs steps or a script',
        'e.g. steps: [{ goto: "https://shop.example.com/" }, { expectText: "Welcome" }]',
      );
    if (check.steps && !('goto' in check.steps[0]!))
      issues.add(joinKey(path, 'steps[0]'), 'the first step must open a page', 'start with { goto: "https://…" }');
  },
  resolveFiles(check, baseDir, path, issues) {
    if (check.script === undefined || isAbsolute(check.script)) return check;
    const full = resolve(baseDir, check.script);
    if (!existsSync(full))
      issues.add(
        joinKey(path, 'script'),
        `no such file: ${check.script} (relative to ${baseDir})`,
        'the path is relative to the config file, e.g. "./checks/cart.ts"',
      );
    return { ...check, script: full };
  },
  target: firstUrl,
  run: runBrowser,
});
