/**
 * The one redaction step. Every resolved secret joins {@link processSecrets}; the sinks (the
 * runner's result, the result and ping stores, log lines, CLI output, the local dashboard,
 * pages and webhook bodies) pass what they emit through {@link redact}, which scrubs each
 * secret in every form a target or a message may show it in (see {@link secretForms}).
 * Callers never need to remember: the sinks do it.
 */

/** Shorter fragments are never scrubbed: they would hit ordinary text everywhere. */
export const MIN_SECRET_LENGTH = 3;
/** What a secret is replaced with. */
export const MASK = '***';

/** Auth schemes whose credential part is a secret of its own (`Bearer abc123` → `abc123`). */
const SCHEME_RE = /^(bearer|basic|token|apikey|api-key|geniekey)\s+(\S.*)$/i;

function jsonEscaped(s: string): string {
  return JSON.stringify(s).slice(1, -1);
}

/** `s` as the WHATWG URL parser writes it into a query, a path and user info. */
function urlSerialized(s: string): string[] {
  const out: string[] = [];
  try {
    const u = new URL('http://h/');
    u.search = s;
    out.push(u.search.slice(1));
    u.search = '';
    u.pathname = `/${s}`;
    out.push(u.pathname.slice(1));
    u.pathname = '/';
    u.username = s;
    out.push(u.username);
  } catch {
    /* not representable in a URL: nothing to add */
  }
  return out;
}

/** `dXNlcjpwYXNz` → `user:pass` when it is base64 of printable text, else undefined. */
function decodeBase64(s: string): string | undefined {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(s)) return undefined;
  const text = Buffer.from(s, 'base64').toString('utf8');
  if (Buffer.from(text, 'utf8').toString('base64').replace(/=+$/, '') !== s.replace(/=+$/, '')) return undefined;
  return /^[\x20-\x7e\u00a0-\uffff]+$/.test(text) ? text : undefined;
}

/** The secrets a value stands for before encoding: itself, its credential, user:pass parts. */
function baseForms(value: string): Set<string> {
  const base = new Set<string>([value, value.trim()]);
  const pair = (s: string) => {
    const i = s.indexOf(':');
    if (i <= 0 || i >= s.length - 1) return;
    const user = s.slice(0, i);
    const pass = s.slice(i + 1);
    base.add(pass);
    base.add(Buffer.from(s).toString('base64'));
    base.add(`${encodeURIComponent(user)}:${encodeURIComponent(pass)}`);
  };
  const m = SCHEME_RE.exec(value.trim());
  if (m) {
    const cred = m[2]!.trim();
    base.add(cred);
    if (m[1]!.toLowerCase() === 'basic') {
      const decoded = decodeBase64(cred);
      if (decoded) {
        base.add(decoded);
        pair(decoded);
      }
    }
  }
  for (const b of [...base]) pair(b);
  // A JSON secret (Secrets Manager key/value): each string in it is a secret too.
  if (/^\s*\{/.test(value)) {
    try {
      const doc = JSON.parse(value) as unknown;
      if (doc && typeof doc === 'object') for (const v of Object.values(doc)) if (typeof v === 'string') base.add(v);
    } catch {
      /* not JSON */
    }
  }
  return base;
}

/**
 * Every form of one secret value that is scrubbed, longest first: the value; its credential part
 * after an auth scheme (`Bearer `, `Basic `, `token `, case-insensitive); for `Basic` the base64
 * payload, the decoded `user:pass` and the password; the password of any `user:pass` pair and
 * its base64; and of each of those the URL-encoded (encodeURIComponent, encodeURI, and as the
 * URL parser writes a query, path or user info), form-encoded (`+` for space) and JSON-escaped
 * (once and twice) forms. Forms shorter than {@link MIN_SECRET_LENGTH} characters are left out.
 */
export function secretForms(value: string): string[] {
  const out = new Set<string>();
  for (const b of baseForms(value)) {
    const enc = encodeURIComponent(b);
    const form = new URLSearchParams([['x', b]]).toString().slice(2);
    const forms = [b, enc, encodeURI(b), enc.replace(/%20/g, '+'), form, ...urlSerialized(b)];
    if (/["\\\u0000-\u001f]/.test(b)) forms.push(jsonEscaped(b), jsonEscaped(jsonEscaped(b)));
    for (const f of forms) if (f.length >= MIN_SECRET_LENGTH) out.add(f);
  }
  return [...out].sort((a, b) => b.length - a.length);
}

const formCache = new Map<string, string[]>();
function cachedForms(value: string): string[] {
  let f = formCache.get(value);
  if (!f) {
    // Run-scoped secrets (multistep session tokens) change every run: keep the cache bounded.
    if (formCache.size > 2_000) formCache.clear();
    formCache.set(value, (f = secretForms(value)));
  }
  return f;
}

/** A regex source matching `form` literally, with percent-escapes in either case (`%2f` = `%2F`). */
function pattern(form: string): string {
  return form
    .split(/(%[0-9A-Fa-f]{2})/)
    .map((part, i) => {
      if (i % 2 === 0) return part.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
      const hex = [...part.slice(1)].map((ch) =>
        /[A-Za-z]/.test(ch) ? `[${ch.toUpperCase()}${ch.toLowerCase()}]` : ch,
      );
      return `%${hex.join('')}`;
    })
    .join('');
}

interface Matcher {
  re: RegExp;
  forms: string[];
}

function buildMatcher(values: Iterable<string>): Matcher | undefined {
  const all = new Set<string>();
  for (const v of values) {
    if (typeof v === 'string' && v.length >= MIN_SECRET_LENGTH) for (const f of cachedForms(v)) all.add(f);
  }
  if (!all.size) return undefined;
  const forms = [...all].sort((a, b) => b.length - a.length);
  return { re: new RegExp(forms.map(pattern).join('|'), 'g'), forms };
}

function scrubWith(m: Matcher, s: string): string {
  m.re.lastIndex = 0;
  let out = m.re.test(s) ? s.replace(m.re, MASK) : s;
  // A value clipped for storage ("abc…") may end in the first part of a secret: scrub that too.
  if (out.endsWith('…')) {
    for (const form of m.forms) {
      for (let n = form.length - 1; n >= MIN_SECRET_LENGTH; n--) {
        if (out.endsWith(`${form.slice(0, n)}…`)) {
          out = `${out.slice(0, out.length - n - 1)}${MASK}…`;
          break;
        }
      }
    }
  }
  return out;
}

/** A set of secret values whose matcher is built once per change. */
export class SecretSet {
  private readonly values = new Set<string>();
  private matcher: Matcher | undefined;
  private stale = false;

  /** Adds a secret value (non-strings and values shorter than 3 characters are ignored). */
  add(value: unknown): this {
    if (typeof value === 'string' && value.length >= MIN_SECRET_LENGTH && !this.values.has(value)) {
      this.values.add(value);
      this.stale = true;
    }
    return this;
  }

  get size(): number {
    return this.values.size;
  }

  has(value: string): boolean {
    return this.values.has(value);
  }

  [Symbol.iterator](): IterableIterator<string> {
    return this.values.values();
  }

  /** Scrubs every form of every value in this set from one string. */
  scrub(s: string): string {
    if (this.stale) {
      this.matcher = buildMatcher(this.values);
      this.stale = false;
    }
    return this.matcher ? scrubWith(this.matcher, s) : s;
  }
}

/** Every secret this process has resolved (config secrets, webhook secrets, heartbeat tokens). */
export const processSecrets = new SecretSet();

/** Marks a value as secret for the rest of the process: every sink scrubs it from then on. */
export function addSecret(value: unknown): void {
  processSecrets.add(value);
}

const adHoc = new WeakMap<object, { key: string; set: SecretSet }>();
/** A SecretSet for a caller's own collection (a run's secrets), rebuilt only when it changes. */
function setFor(extra: Iterable<string>): SecretSet {
  if (extra instanceof SecretSet) return extra;
  const values = [...extra];
  const key = values.join('\u0000');
  const hit = adHoc.get(extra as object);
  if (hit && hit.key === key) return hit.set;
  const set = new SecretSet();
  for (const v of values) set.add(v);
  adHoc.set(extra as object, { key, set });
  return set;
}

/** Scrubs one string of the process-wide secrets and `extra`. */
export function redactText(s: string, extra?: Iterable<string>): string {
  let out = processSecrets.scrub(s);
  if (extra) out = setFor(extra).scrub(out);
  return out;
}

function deep(v: unknown, scrub: (s: string) => string, seen: WeakSet<object>): unknown {
  if (typeof v === 'string') return scrub(v);
  if (v === null || typeof v !== 'object') return v;
  if (seen.has(v)) return '[circular]';
  seen.add(v);
  try {
    if (Array.isArray(v)) return v.map((x) => deep(x, scrub, seen));
    if (v instanceof Error) {
      const e = new Error(scrub(v.message));
      e.name = v.name;
      e.stack = v.stack === undefined ? undefined : scrub(v.stack);
      const fields = e as unknown as Record<string, unknown>;
      for (const [k, x] of Object.entries(v)) fields[scrub(k)] = deep(x, scrub, seen);
      return e;
    }
    const proto = Object.getPrototypeOf(v) as unknown;
    // Dates, buffers, class instances: not text a secret could hide in a key of; left as they are.
    if (proto !== Object.prototype && proto !== null) return v;
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[scrub(k)] = deep(x, scrub, seen);
    return out;
  } finally {
    seen.delete(v);
  }
}

/**
 * A deep copy of `value` with every form of every secret (the process-wide ones and `extra`)
 * replaced by `***` in strings, in object keys and values, in arrays and in errors. A string
 * clipped with `…` that ends in the start of a secret has that start scrubbed too. Fragments
 * shorter than 3 characters are never scrubbed (they would hit ordinary text). Returns `value`
 * itself when there is no secret to scrub.
 */
export function redact<T>(value: T, extra?: Iterable<string>): T {
  const own = extra ? setFor(extra) : undefined;
  if (processSecrets.size === 0 && (!own || own.size === 0)) return value;
  const scrub = (s: string) => (own ? own.scrub(processSecrets.scrub(s)) : processSecrets.scrub(s));
  return deep(value, scrub, new WeakSet()) as T;
}

/**
 * A `JSON.stringify` replacer that redacts as it serializes (strings and object keys); for log
 * lines, where the record is built by a library (Powertools) just before printing.
 */
export function redactingReplacer(_key: string, value: unknown): unknown {
  if (processSecrets.size === 0) return value;
  if (typeof value === 'string') return processSecrets.scrub(value);
  const plain = value && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype;
  if (plain) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(value)) out[processSecrets.scrub(k)] = x;
    return out;
  }
  if (value instanceof Error) return redact(value);
  return value;
}
