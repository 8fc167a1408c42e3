/**
 * A small schema language for config validation that collects every problem with its path,
 * reason and hint instead of stopping at the first (Checkly-style diagnostics), and rejects
 * unknown keys (blackbox_exporter's KnownFields). Probe kinds describe their fields with it.
 * Its types are in schema-types.ts, diagnostics and did-you-mean in diagnostics.ts (both
 * re-exported here, so a kind imports from this one module).
 */
import { parseDuration } from '../duration';
import { isSecretRef } from '../types';
import { describe, Issues, joinIndex, joinKey, closest } from './diagnostics';
import {
  INVALID,
  type AnyField,
  type Checked,
  type Field,
  type Infer,
  type Output,
  type Schema,
  type Shape,
} from './schema-types';

export * from './diagnostics';
export * from './schema-types';

function expect(issues: Issues, path: string, expected: string, value: unknown, hint?: string): typeof INVALID {
  issues.add(path, `expected ${expected}, got ${describe(value)}`, hint);
  return INVALID;
}

/** Why a URL with `user:pass@` is rejected (every URL field, multistep's templated URLs too). */
export const URL_CREDENTIALS =
  'must not carry credentials (user:pass@…): they would be shipped in the Lambda asset and shown in alarms';

const UNIT_WORDS: Record<string, string> = {
  ms: 'ms',
  msec: 'ms',
  millisecond: 'ms',
  milliseconds: 'ms',
  s: 's',
  sec: 's',
  secs: 's',
  second: 's',
  seconds: 's',
  m: 'm',
  min: 'm',
  mins: 'm',
  minute: 'm',
  minutes: 'm',
  h: 'h',
  hr: 'h',
  hrs: 'h',
  hour: 'h',
  hours: 'h',
  d: 'd',
  day: 'd',
  days: 'd',
};

/** `"5 minutes"` → `write "5m"`; `"90"` → a reminder that durations carry a unit. */
function durationHint(v: string): string | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(v);
  if (!m) return undefined;
  if (!m[2]) return `write "${m[1]}ms" or "${m[1]}s": durations carry a unit`;
  const unit = UNIT_WORDS[m[2].toLowerCase()];
  return unit ? `write "${m[1]}${unit}"` : undefined;
}

const isField = (f: AnyField): f is Field<unknown> => 'schema' in f && 'optional' in f;

function optional<T, I>(schema: Schema<T, I>, defaultValue?: T): Field<T, I, boolean> {
  return { schema, optional: true, default: defaultValue };
}

/** Schema builders. */
export const s = {
  string(opts: { minLength?: number; pattern?: RegExp; patternHint?: string; expected?: string } = {}): Schema<string> {
    const expected = opts.expected ?? (opts.minLength ? 'a non-empty string' : 'a string');
    return {
      expected,
      check(v, path, issues) {
        if (typeof v !== 'string') return expect(issues, path, expected, v);
        if (opts.minLength && v.length < opts.minLength) return expect(issues, path, expected, v);
        if (opts.pattern && !opts.pattern.test(v)) return expect(issues, path, expected, v, opts.patternHint);
        return v;
      },
    };
  },

  number(opts: { min?: number; max?: number; integer?: boolean } = {}): Schema<number> {
    const parts = [opts.integer ? 'an integer' : 'a number'];
    if (opts.min !== undefined && opts.max !== undefined) parts.push(`from ${opts.min} to ${opts.max}`);
    else if (opts.min !== undefined) parts.push(`≥ ${opts.min}`);
    else if (opts.max !== undefined) parts.push(`≤ ${opts.max}`);
    const expected = parts.join(' ');
    return {
      expected,
      check(v, path, issues) {
        if (typeof v !== 'number' || !Number.isFinite(v)) {
          const hint =
            typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))
              ? `write ${v} without quotes`
              : undefined;
          return expect(issues, path, expected, v, hint);
        }
        if (
          (opts.integer && !Number.isInteger(v)) ||
          (opts.min !== undefined && v < opts.min) ||
          (opts.max !== undefined && v > opts.max)
        )
          return expect(issues, path, expected, v);
        return v;
      },
    };
  },

  boolean(): Schema<boolean> {
    return {
      expected: 'true or false',
      check: (v, path, issues) => (typeof v === 'boolean' ? v : expect(issues, path, 'true or false', v)),
    };
  },

  literalUnion<T extends string>(values: readonly T[]): Schema<T> {
    const expected = `one of ${values.map((x) => JSON.stringify(x)).join(', ')}`;
    return {
      expected,
      check(v, path, issues) {
        if (typeof v === 'string' && (values as readonly string[]).includes(v)) return v as T;
        const near = typeof v === 'string' ? closest(v, values) : undefined;
        return expect(issues, path, expected, v, near ? `did you mean "${near}"?` : undefined);
      },
    };
  },

  /** A duration string such as `30s`; checked against bounds in ms. */
  duration(opts: { min?: number; max?: number } = {}): Schema<string> {
    const expected = 'a duration such as "500ms", "10s", "1m", "1h" or "1d"';
    return {
      expected,
      check(v, path, issues) {
        if (typeof v !== 'string') {
          const hint = typeof v === 'number' ? `write "${v}ms" or "${v}s": durations carry a unit` : undefined;
          return expect(issues, path, expected, v, hint);
        }
        const msv = parseDuration(v);
        if (msv === undefined) return expect(issues, path, expected, v, durationHint(v));
        if (opts.min !== undefined && msv < opts.min) {
          issues.add(path, `must be at least ${opts.min}ms, got "${v}"`);
          return INVALID;
        }
        if (opts.max !== undefined && msv > opts.max) {
          issues.add(path, `must be at most ${opts.max}ms, got "${v}"`);
          return INVALID;
        }
        return v;
      },
    };
  },

  /**
   * An absolute URL with one of the given protocols and no `user:pass@`: credentials written in
   * a URL would be shipped in the Lambda asset and shown wherever the URL is. `credentialsHint`
   * says where they go instead.
   */
  url(
    protocols: readonly string[] = ['http:', 'https:'],
    credentialsHint = 'give credentials as a secret reference { secret: "name" } instead',
  ): Schema<string> {
    const expected = `an absolute ${protocols.map((p) => p.replace(':', '')).join(' or ')} URL`;
    return {
      expected,
      check(v, path, issues) {
        if (typeof v !== 'string') return expect(issues, path, expected, v);
        let u: URL;
        try {
          u = new URL(v);
        } catch {
          return expect(issues, path, expected, v, 'include the scheme, e.g. "https://shop.example.com/health"');
        }
        if (!protocols.includes(u.protocol)) return expect(issues, path, expected, v);
        if (u.username || u.password) {
          issues.add(path, URL_CREDENTIALS, credentialsHint);
          return INVALID;
        }
        return v;
      },
    };
  },

  /** Only a `{ secret: 'name' }` reference: a value written inline would be shipped in the Lambda bundle. */
  secretOnly(
    what: string,
    hint = 'store it in AWS Secrets Manager (locally: WATCHPOST_SECRET_<NAME>) and write { secret: "name" }',
  ): Schema<{ secret: string }> {
    const inner = s.secretOr();
    return {
      expected: `a secret reference { secret: "name" } for the ${what}`,
      check(v, path, issues) {
        if (typeof v === 'string') {
          issues.add(path, `the ${what} must not be written inline`, hint);
          return INVALID;
        }
        return inner.check(v, path, issues) as { secret: string } | typeof INVALID;
      },
    };
  },

  /** A string or a `{ secret: 'name' }` reference. */
  secretOr(inner: Schema<string> = s.string()): Schema<string | { secret: string }> {
    const expected = `${inner.expected} or a secret reference { secret: "name" }`;
    return {
      expected,
      check(v, path, issues) {
        if (isSecretRef(v)) {
          if (!/^[A-Za-z0-9][A-Za-z0-9/_+=.@-]*$/.test(v.secret)) {
            issues.add(
              joinKey(path, 'secret'),
              `expected a secret name (letters, digits, / _ + = . @ -), got ${describe(v.secret)}`,
            );
            return INVALID;
          }
          return { secret: v.secret };
        }
        if (typeof v === 'object' && v !== null && 'secret' in v) {
          issues.add(path, 'a secret reference has exactly one key, "secret"', 'write { secret: "name" }');
          return INVALID;
        }
        // Say both options when it is neither (not just "expected a string").
        if (typeof v !== 'string') return expect(issues, path, expected, v);
        return inner.check(v, path, issues);
      },
    };
  },

  array<T, I = T>(item: Schema<T, I>, opts: { min?: number; max?: number; expected?: string } = {}): Schema<T[], I[]> {
    const expected = opts.expected ?? `a list of ${item.expected}`;
    return {
      expected,
      check(v, path, issues) {
        if (!Array.isArray(v)) return expect(issues, path, expected, v);
        if (opts.min !== undefined && v.length < opts.min) {
          issues.add(path, `needs at least ${opts.min} item${opts.min === 1 ? '' : 's'}, got ${v.length}`);
          return INVALID;
        }
        if (opts.max !== undefined && v.length > opts.max) {
          issues.add(path, `takes at most ${opts.max} items, got ${v.length}`);
          return INVALID;
        }
        const out: T[] = [];
        let bad = false;
        v.forEach((x, i) => {
          const r = item.check(x, joinIndex(path, i), issues);
          if (r === INVALID) bad = true;
          else out.push(r);
        });
        return bad ? INVALID : out;
      },
    };
  },

  /** A map with free keys (headers, tags). */
  record<T, I = T>(value: Schema<T, I>): Schema<Record<string, T>, Record<string, I>> {
    const expected = `an object whose values are each ${value.expected}`;
    return {
      expected,
      check(v, path, issues) {
        if (typeof v !== 'object' || v === null || Array.isArray(v)) return expect(issues, path, expected, v);
        const out: Record<string, T> = {};
        let bad = false;
        for (const [k, x] of Object.entries(v)) {
          const r = value.check(x, joinKey(path, k), issues);
          if (r === INVALID) bad = true;
          // defineProperty: a key named "__proto__" stays a key (assignment would set the prototype).
          else Object.defineProperty(out, k, { value: r, enumerable: true, writable: true, configurable: true });
        }
        return bad ? INVALID : out;
      },
    };
  },

  /** Any of several schemas; the first that accepts wins (issues of the failed tries are dropped). */
  oneOf<T, I = T>(expected: string, ...options: Schema<T, I>[]): Schema<T, I> {
    return {
      expected,
      check(v, path, issues) {
        for (const o of options) {
          const scratch = new Issues();
          const r = o.check(v, path, scratch);
          if (r !== INVALID && scratch.count === 0) return r;
        }
        return expect(issues, path, expected, v);
      },
    };
  },

  /** A strict object: unknown keys are errors, required keys must be there, defaults fill in. */
  object<S extends Shape>(shape: S, opts: { expected?: string } = {}): Schema<Output<S>, Infer<S>> & { shape: S } {
    const expected = opts.expected ?? 'an object';
    return {
      expected,
      shape,
      check(v, path, issues) {
        if (typeof v !== 'object' || v === null || Array.isArray(v)) return expect(issues, path, expected, v);
        return checkShape(shape, v as Record<string, unknown>, path, issues) as Checked<Output<S>>;
      },
    };
  },

  /** An optional field; with a default, validation fills it in (and the validated type has it). */
  optional: optional as {
    <T, I>(schema: Schema<T, I>): Field<T, I, false>;
    <T, I>(schema: Schema<T, I>, defaultValue: NoInfer<T>): Field<T, I, true>;
  },

  /** Any JSON-ish value, no checks (request bodies); `T` is only what the type says. */
  any<T = unknown>(expected = 'any value'): Schema<T> {
    return { expected, check: (v) => v as T };
  },

  /** Wraps a schema with a further check that may add issues (cross-field rules). */
  refine<T, I = T>(schema: Schema<T, I>, rule: (value: T, path: string, issues: Issues) => void): Schema<T, I> {
    return {
      expected: schema.expected,
      check(v, path, issues) {
        const before = issues.count;
        const r = schema.check(v, path, issues);
        if (r === INVALID) return r;
        rule(r, path, issues);
        return issues.count > before ? INVALID : r;
      },
    };
  },
};

/** Checks `value` against `shape`; used by object schemas and by check validation (base + kind fields). */
export function checkShape(
  shape: Shape,
  value: Record<string, unknown>,
  path: string,
  issues: Issues,
  /** Filled with every field that is valid on its own, even when others are not (for cross-field rules). */
  partial?: Record<string, unknown>,
): Checked<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  let bad = false;
  const known = Object.keys(shape);
  // `{ __proto__: {...} }` in a .ts config sets the prototype instead of a key: say so too.
  const proto = Object.getPrototypeOf(value);
  const keys =
    proto !== Object.prototype && proto !== null && !Object.hasOwn(value, '__proto__')
      ? ['__proto__', ...Object.keys(value)]
      : Object.keys(value);
  for (const key of keys) {
    // Own keys only: "constructor", "toString" or "__proto__" are no field, whatever Object.prototype has.
    if (!Object.hasOwn(shape, key)) {
      const near = closest(key, known);
      issues.add(
        joinKey(path, key),
        'unknown key',
        near ? `did you mean "${near}"?` : `known keys: ${known.join(', ')}`,
      );
      bad = true;
    }
  }
  for (const [key, f] of Object.entries(shape)) {
    const field: Field<unknown> = isField(f) ? f : { schema: f as Schema<unknown>, optional: false };
    const v = Object.hasOwn(value, key) ? value[key] : undefined;
    if (v === undefined) {
      if (!field.optional) {
        issues.add(joinKey(path, key), `is required (${field.schema.expected})`);
        bad = true;
      } else if (field.default !== undefined) out[key] = structuredClone(field.default);
      continue;
    }
    const r = field.schema.check(v, joinKey(path, key), issues);
    if (r === INVALID) bad = true;
    else out[key] = r;
  }
  if (partial) Object.assign(partial, out);
  return bad ? INVALID : out;
}
