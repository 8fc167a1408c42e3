/**
 * Secret references `{ secret: 'name' }`. Locally they are read from `WATCHPOST_SECRET_<NAME>`;
 * in AWS from Secrets Manager (the runner passes its own resolver). Resolved values are only
 * ever held in memory; {@link redact} scrubs them from anything that leaves a probe.
 */
import { isSecretRef } from './types';

export type SecretResolver = (name: string) => Promise<string>;

export class SecretError extends Error {
  constructor(
    readonly secretName: string,
    message: string,
  ) {
    super(message);
    this.name = 'SecretError';
  }
}

/** `shop/api-token` → `WATCHPOST_SECRET_SHOP_API_TOKEN`. */
export function secretEnvName(name: string): string {
  return `WATCHPOST_SECRET_${name.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;
}

/** Resolves from the environment (local mode). */
export const envSecrets: SecretResolver = async (name) => {
  const key = secretEnvName(name);
  const v = process.env[key];
  if (v === undefined || v === '') throw new SecretError(name, `secret "${name}" is not set — hint: export ${key}=…`);
  return v;
};

/** Every secret name a value (a check, a config) references. */
export function secretNames(value: unknown, out = new Set<string>()): Set<string> {
  if (isSecretRef(value)) out.add(value.secret);
  else if (Array.isArray(value)) for (const v of value) secretNames(v, out);
  else if (value && typeof value === 'object') for (const v of Object.values(value)) secretNames(v, out);
  return out;
}

/** A deep copy of `value` with every secret reference replaced by its value. Collects the values for redaction. */
export async function resolveSecrets<T>(value: T, resolve: SecretResolver, found: Set<string> = new Set()): Promise<T> {
  if (isSecretRef(value)) {
    const v = await resolve(value.secret);
    found.add(v);
    return v as unknown as T;
  }
  if (Array.isArray(value)) return (await Promise.all(value.map((v) => resolveSecrets(v, resolve, found)))) as unknown as T;
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = await resolveSecrets(v, resolve, found);
    return out as T;
  }
  return value;
}

/** Replaces every occurrence of a secret value in strings inside `value` (deep) with `***`. */
export function redact<T>(value: T, secrets: ReadonlySet<string>): T {
  const list = [...secrets].filter((s) => s.length >= 3).sort((a, b) => b.length - a.length);
  if (!list.length) return value;
  const scrub = (v: unknown): unknown => {
    if (typeof v === 'string') {
      let s = v;
      for (const secret of list) if (s.includes(secret)) s = s.split(secret).join('***');
      // A value clipped for storage ("abc…") may end in the first part of a secret: scrub that too.
      if (s.endsWith('…')) {
        for (const secret of list) {
          for (let n = secret.length - 1; n >= 3; n--) {
            if (s.endsWith(`${secret.slice(0, n)}…`)) {
              s = `${s.slice(0, s.length - n - 1)}***…`;
              break;
            }
          }
        }
      }
      return s;
    }
    if (Array.isArray(v)) return v.map(scrub);
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, scrub(x)]));
    return v;
  };
  return scrub(value) as T;
}
