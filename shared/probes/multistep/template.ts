/**
 * `{{…}}` templates in step requests: parsing (for config diagnostics) and filling (at run time)
 * from earlier steps' observations and extracted variables.
 */
import type { CheckError } from '../../types';
import type { Observations } from '../types';

export const TEMPLATE_RE = /\{\{([^{}]*)\}\}/g;
const STEP_NAME = '[A-Za-z0-9][A-Za-z0-9_-]*';
const SOURCES = ['status', 'header', 'text', 'json'] as const;
type Source = (typeof SOURCES)[number];

export type TemplateRef =
  | { kind: 'var'; name: string; text: string }
  | { kind: 'step'; step: string; source: Source; property?: string; text: string };

/** Parses the expression inside `{{ }}`; returns an error sentence and hint instead of throwing. */
export function parseRef(inner: string): TemplateRef | { error: string; hint?: string } {
  const expr = inner.trim();
  const text = `{{${inner}}}`;
  let m = /^vars\.([A-Za-z_][A-Za-z0-9_]*)$/.exec(expr);
  if (m) return { kind: 'var', name: m[1]!, text };
  m = new RegExp(`^steps\\.(${STEP_NAME})\\.([A-Za-z]+)(.*)$`).exec(expr);
  if (m) {
    const [, step, rawSource, rest] = m as unknown as [string, string, string, string];
    const source = rawSource === 'headers' ? 'header' : rawSource;
    if (!(SOURCES as readonly string[]).includes(source))
      return {
        error: `${text}: unknown source "${rawSource}"`,
        hint: `write {{steps.${step}.<source>…}} with one of ${SOURCES.join(', ')}`,
      };
    const ref = { kind: 'step' as const, step, source: source as Source, text };
    if (source === 'status' || source === 'text') {
      if (rest) return { error: `${text}: ${source} takes no property`, hint: `write {{steps.${step}.${source}}}` };
      return ref;
    }
    if (source === 'header') {
      const h = /^\.([A-Za-z0-9!#$%&'*+.^_`|~-]+)$/.exec(rest);
      if (!h) return { error: `${text}: needs a header name`, hint: `e.g. {{steps.${step}.header.x-csrf-token}}` };
      return { ...ref, property: h[1]!.toLowerCase() };
    }
    // json: the whole document, `.a.b[0]` or `[0].a`
    if (!rest) return { ...ref, property: '$' };
    if (!rest.startsWith('.') && !rest.startsWith('['))
      return { error: `${text}: cannot read the JSON path "${rest}"`, hint: `e.g. {{steps.${step}.json.items[0].id}}` };
    return { ...ref, property: `$${rest}` };
  }
  if (/^steps\.[^.]*$/.test(expr) || /^steps\./.test(expr))
    return {
      error: `${text}: cannot read a step reference`,
      hint: 'write {{steps.<step name>.json.<path>}} (or .status, .text, .header.<name>)',
    };
  return { error: `${text}: unknown template`, hint: 'write {{steps.<step name>.json.<path>}} or {{vars.<name>}}' };
}

/** Every template in a string, parsed. */
export function refsIn(text: string): Array<TemplateRef | { error: string; hint?: string }> {
  return [...text.matchAll(TEMPLATE_RE)].map((m) => parseRef(m[1]!));
}

/** What a filled template reads from. */
export interface TemplateScope {
  steps: ReadonlyMap<string, Observations>;
  vars: Readonly<Record<string, unknown>>;
}

export class TemplateError extends Error {
  constructor(readonly check: CheckError) {
    super(check.message);
  }
}

function refValue(ref: TemplateRef, scope: TemplateScope): unknown {
  if (ref.kind === 'var') {
    if (!(ref.name in scope.vars))
      throw new TemplateError({
        code: 'ASSERTION',
        message: `${ref.text} has no value: no earlier step extracted "${ref.name}"`,
      });
    return scope.vars[ref.name];
  }
  const obs = scope.steps.get(ref.step);
  if (!obs)
    throw new TemplateError({ code: 'ASSERTION', message: `${ref.text} has no value: step "${ref.step}" has not run` });
  const r = obs.read(ref.source, ref.property);
  if (r.error) throw new TemplateError({ code: r.error.code, message: `${ref.text}: ${r.error.message}` });
  if (r.value === undefined)
    throw new TemplateError({
      code: 'ASSERTION',
      message:
        `${ref.text} has no value: the response of "${ref.step}" has nothing ` +
        `at ${ref.source}${ref.property ? ` ${ref.property}` : ''}`,
    });
  return r.value;
}

const asText = (v: unknown): string =>
  typeof v === 'string' ? v : typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v);

/** Fills every `{{…}}` in a string. Throws {@link TemplateError} when a value is missing. */
export function fillString(text: string, scope: TemplateScope): string {
  return text.replace(TEMPLATE_RE, (_all, inner: string) => {
    const ref = parseRef(inner);
    if ('error' in ref) throw new TemplateError({ code: 'ASSERTION', message: ref.error });
    return asText(refValue(ref, scope));
  });
}

/** Fills templates in a JSON value; a string that is exactly one template keeps the value's type. */
export function fillJson(value: unknown, scope: TemplateScope): unknown {
  if (typeof value === 'string') {
    const whole = /^\{\{([^{}]*)\}\}$/.exec(value);
    if (whole) {
      const ref = parseRef(whole[1]!);
      if ('error' in ref) throw new TemplateError({ code: 'ASSERTION', message: ref.error });
      return refValue(ref, scope);
    }
    return fillString(value, scope);
  }
  if (Array.isArray(value)) return value.map((v) => fillJson(v, scope));
  if (value && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fillJson(v, scope)]));
  return value;
}
