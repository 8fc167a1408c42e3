/** The `multistep` probe kind: ordered HTTP steps that pass values along (log in, add to cart, read the cart). */
import { assertionSchema } from '../../assertions/schema';
import { parseJsonPath } from '../../assertions/json-path';
import {
  closest,
  INVALID,
  URL_CREDENTIALS,
  joinIndex,
  joinKey,
  s,
  type Issues,
  type Schema,
} from '../../config/schema';
import { AUTH_HINT, httpKind } from '../http';
import { displayUrl } from '../http/display-url';
import { defineKind, type KindCheck } from '../types';
import { runMultistep } from './run';
import { refsIn, TEMPLATE_RE } from './template';
import type { MultistepCheck, MultistepExtract } from './types';

export type { MultistepCheck, MultistepExtract, MultistepRequest, MultistepStep } from './types';

const STEP_NAME_RE = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
const VAR_NAME_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;
export const MAX_STEPS = 20;

/** An absolute http(s) URL that may contain `{{…}}`; checked with the templates stood in for. */
const templatedUrl: Schema<string> = {
  expected: 'an absolute http or https URL (it may contain {{…}} templates)',
  check(v, path, issues) {
    if (typeof v !== 'string') {
      issues.add(
        path,
        `expected an absolute http or https URL, got ${v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v}`,
      );
      return INVALID;
    }
    // A URL that starts with a template (a base URL from an earlier step) is checked at run time.
    if (/^\{\{/.test(v)) return v;
    let u: URL;
    try {
      u = new URL(v.replace(TEMPLATE_RE, 'x'));
    } catch {
      issues.add(
        path,
        `expected an absolute http or https URL, got ${JSON.stringify(v)}`,
        'include the scheme, e.g. "https://shop.example.com/api/cart"',
      );
      return INVALID;
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:') {
      issues.add(path, `expected an absolute http or https URL, got ${JSON.stringify(v)}`);
      return INVALID;
    }
    if (u.username || u.password) {
      issues.add(path, URL_CREDENTIALS, AUTH_HINT);
      return INVALID;
    }
    return v;
  },
};

const jsonPath = s.refine(s.string({ minLength: 1, expected: 'a JSON path such as "$.token"' }), (p, path, issues) => {
  const parsed = parseJsonPath(p);
  if ('error' in parsed) issues.add(path, parsed.error);
});

const extractObject = s.object(
  { path: jsonPath, secret: s.optional(s.boolean(), false) },
  { expected: 'an extract { path, secret? }' },
);
/** `'$.token'` or `{ path: '$.token', secret: true }`. */
const extractEntry: Schema<string | MultistepExtract> = {
  expected: 'a JSON path such as "$.token", or { path: "$.token", secret: true }',
  check: (v, path, issues) =>
    typeof v === 'string' ? jsonPath.check(v, path, issues) : extractObject.check(v, path, issues),
};

const stepSchema = s.object(
  {
    name: s.string({
      pattern: STEP_NAME_RE,
      expected: 'a step name (letters, digits, "-", "_"; at most 64)',
      patternHint: 'e.g. "add-to-cart"',
    }),
    // The request is an http check's fields: one request machinery, one set of options.
    request: s.object(
      { ...httpKind.fields, url: templatedUrl },
      { expected: 'a request { url, method?, headers?, body? }' },
    ),
    assertions: s.optional(s.array(assertionSchema(httpKind.assertionSources, httpKind.numericSources)), []),
    extract: s.optional(s.record(extractEntry), {}),
  },
  { expected: 'a step { name, request, assertions?, extract? }' },
);

/** Every string in a JSON value with its path (templates may sit anywhere in a body). */
function stringsIn(value: unknown, path: string, out: Array<[string, string]>): Array<[string, string]> {
  if (typeof value === 'string') out.push([path, value]);
  else if (Array.isArray(value))
    value.forEach((v, i) => {
      stringsIn(v, joinIndex(path, i), out);
    });
  else if (value && typeof value === 'object')
    for (const [k, v] of Object.entries(value)) stringsIn(v, joinKey(path, k), out);
  return out;
}

/** Step names unique; extract names valid; every `{{…}}` parses and refers only to earlier steps and variables. */
function validateSteps(check: ValidatedMultistepCheck, path: string, issues: Issues): void {
  const stepsPath = joinKey(path, 'steps');
  const names = check.steps.map((st) => st.name);
  const extractedBy = new Map<string, number>();
  check.steps.forEach((st, i) => {
    for (const v of Object.keys(st.extract ?? {})) if (!extractedBy.has(v)) extractedBy.set(v, i);
  });
  const earlierSteps = new Set<string>();
  const earlierVars = new Set<string>();

  check.steps.forEach((step, i) => {
    const sp = joinIndex(stepsPath, i);
    const first = names.indexOf(step.name);
    if (first < i)
      issues.add(
        joinKey(sp, 'name'),
        `duplicate step name "${step.name}", also used by steps[${first}]`,
        'step names must be unique: templates, timings and errors name steps by them',
      );

    const reqPath = joinKey(sp, 'request');
    const texts: Array<[string, string]> = [[joinKey(reqPath, 'url'), step.request.url]];
    for (const [k, v] of Object.entries(step.request.headers))
      if (typeof v === 'string') texts.push([joinKey(joinKey(reqPath, 'headers'), k), v]);
    for (const [k, v] of Object.entries(step.request.query))
      if (typeof v === 'string') texts.push([joinKey(joinKey(reqPath, 'query'), k), v]);
    if (step.request.body !== undefined) stringsIn(step.request.body, joinKey(reqPath, 'body'), texts);

    for (const [p, text] of texts) {
      for (const ref of refsIn(text)) {
        if ('error' in ref) {
          issues.add(p, ref.error, ref.hint);
        } else if (ref.kind === 'step') {
          if (earlierSteps.has(ref.step)) continue;
          const at = names.indexOf(ref.step);
          if (ref.step === step.name)
            issues.add(p, `${ref.text} refers to its own step`, 'a step can only use the responses of steps before it');
          else if (at > i)
            issues.add(
              p,
              `${ref.text} refers to step "${ref.step}", which runs later (steps[${at}])`,
              'a step can only use the responses of steps before it: reorder the steps',
            );
          else {
            const near = closest(ref.step, [...earlierSteps]);
            issues.add(
              p,
              `${ref.text} refers to no earlier step: there is no step "${ref.step}" before this one`,
              near ? `did you mean "${near}"?` : `earlier steps: ${[...earlierSteps].join(', ') || 'none'}`,
            );
          }
        } else {
          if (earlierVars.has(ref.name)) continue;
          const at = extractedBy.get(ref.name);
          if (at !== undefined)
            issues.add(
              p,
              `${ref.text} is extracted by steps[${at}] "${names[at]}", which does not run before this step`,
              'a step can only use values extracted by steps before it',
            );
          else {
            const near = closest(ref.name, [...earlierVars]);
            issues.add(
              p,
              `${ref.text}: no earlier step extracts "${ref.name}"`,
              near ? `did you mean "${near}"?` : `add extract: { ${ref.name}: '$.path' } to an earlier step`,
            );
          }
        }
      }
    }

    for (const v of Object.keys(step.extract)) {
      if (!VAR_NAME_RE.test(v))
        issues.add(
          joinKey(joinKey(sp, 'extract'), v),
          `"${v}" is not a variable name (letters, digits, "_"; not starting with a digit)`,
          'e.g. cartId or cart_id',
        );
      earlierVars.add(v);
    }
    earlierSteps.add(step.name);
  });
}

/** The fields of {@link MultistepCheck}, with the defaults validation applies. */
const fields = {
  steps: s.array(stepSchema, { min: 1, max: MAX_STEPS }),
  cookies: s.optional(s.boolean(), true),
};

/** A validated multistep check: the fields with a default are set. */
export type ValidatedMultistepCheck = KindCheck<MultistepCheck, typeof fields>;

/**
 * Ordered HTTP steps that pass values along (log in, add to cart, read the cart), with per-step assertions and
 * timings.
 */
export const multistepKind = defineKind<MultistepCheck>()({
  kind: 'multistep',
  fields,
  // Per-step assertions carry the http sources; the check's own assertions look at the whole flow.
  assertionSources: ['latency'],
  numericSources: ['latency'],
  metrics: [],
  defaultTimeout: '30s',
  validate: validateSteps,
  target: (check) => {
    const first = check.steps[0]?.request.url ?? '';
    let origin = displayUrl(first);
    try {
      origin = new URL(first).origin;
    } catch {
      /* a templated base URL */
    }
    return `${check.steps.length} step${check.steps.length === 1 ? '' : 's'} from ${origin}`;
  },
  run: runMultistep,
});
