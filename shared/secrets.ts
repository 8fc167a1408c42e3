/**
 * Secret references `{ secret: 'name' }`. Locally they are read from `WATCHPOST_SECRET_<NAME>`;
 * in AWS from Secrets Manager (the runner passes its own resolver). Resolved values are only
 * ever held in memory; every resolved value joins the process-wide secret set, which the sinks
 * (results, stores, logs, CLI, dashboard, pages) scrub with `redact` (shared/redact.ts).
 */
import { addSecret } from './redact';
import { isSecretRef } from './types';

export { addSecret, MASK, processSecrets, redact, redactText, secretForms, SecretSet } from './redact';

export type SecretResolver = (name: string) => Promise<string>;

export class SecretError extends Error {
  constructor(
    /** The secret that could not be read (names, comma-separated, when a check's secrets ran out of time together). */
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
  addSecret(v);
  return v;
};

/** A resolver whose every value joins the process-wide secret set (wrap each Secrets Manager resolver in it). */
export function trackSecrets(resolve: SecretResolver): SecretResolver {
  return async (name) => {
    const v = await resolve(name);
    addSecret(v);
    return v;
  };
}

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
    addSecret(v);
    found.add(v);
    return v as unknown as T;
  }
  if (Array.isArray(value))
    return (await Promise.all(value.map((v) => resolveSecrets(v, resolve, found)))) as unknown as T;
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = await resolveSecrets(v, resolve, found);
    return out as T;
  }
  return value;
}
