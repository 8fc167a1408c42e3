/**
 * CA files a config names (`tls: { ca: './certs/internal-ca.pem' }`) are read when the config
 * is loaded — relative to the config file's folder, not the working directory — and replaced by
 * their PEM text. So `watchpost run` works from any directory, and the config the CDK app ships
 * to Lambda carries the certificate itself (the path would not exist there). A file that cannot
 * be read is a config problem naming the check and the path, like any other.
 *
 * A `ca` option is `ca` at the top of a check (the tls kind) or inside any `tls` object (http,
 * tcp, email sides, multistep requests); never inside headers, bodies or assertions.
 */
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { createSecureContext } from 'node:tls';
import { joinIndex, joinKey, type Issues } from './schema';

/** Where a check's user data lives: a `tls`/`ca` key there is the user's, not an option. */
const NOT_OPTIONS = new Set(['headers', 'body', 'form', 'json', 'assertions', 'extract', 'tags', 'query']);

/** Whether a `ca` value is PEM text already (anything else is a file path). */
export const isPemText = (ca: string): boolean => ca.trimStart().startsWith('-----BEGIN');

export interface CaFileOption {
  /** Where, e.g. `checks[2] "intranet".tls.ca`. */
  path: string;
  keys: Array<string | number>;
  file: string;
}

/** Every `ca` option of a check that names a file: its path in the config and its value. */
export function caFileOptions(check: object, path = ''): CaFileOption[] {
  const out: CaFileOption[] = [];
  const visit = (v: unknown, p: string, keys: Array<string | number>, caHere: boolean) => {
    if (Array.isArray(v))
      v.forEach((x, i) => {
        visit(x, joinIndex(p, i), [...keys, i], false);
      });
    else if (v && typeof v === 'object')
      for (const [k, x] of Object.entries(v)) {
        if (k === 'ca' && caHere && typeof x === 'string' && !isPemText(x)) {
          out.push({ path: joinKey(p, k), keys: [...keys, k], file: x });
        } else if (!NOT_OPTIONS.has(k)) visit(x, joinKey(p, k), [...keys, k], k === 'tls');
      }
  };
  visit(check, path, [], true);
  return out;
}

function describeReadError(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  if (err.code === 'ENOENT') return 'no such file';
  if (err.code === 'EACCES' || err.code === 'EPERM') return 'permission denied';
  if (err.code === 'EISDIR') return 'it is a directory';
  return err.code ?? err.message;
}

/**
 * A copy of `check` with every CA file replaced by its PEM text, read relative to the folder of
 * `configFile` (none: the working directory). Problems go to `issues` at `checkPath`; the check
 * is returned unchanged at those places.
 */
export function inlineCaFiles<T extends object>(
  check: T,
  checkPath: string,
  configFile: string | undefined,
  issues: Issues,
): T {
  const found = caFileOptions(check, checkPath);
  if (!found.length) return check;
  const base = configFile ? dirname(resolve(configFile)) : process.cwd();
  const relativeTo = configFile
    ? ` (relative to ${resolve(configFile)})`
    : ` (relative to the working directory ${base})`;
  const copy = structuredClone(check);
  for (const { path, keys, file } of found) {
    const full = resolve(base, file);
    const shown = isAbsolute(file) ? file : `${file}${relativeTo}`;
    let pem: string;
    try {
      pem = readFileSync(full, 'utf8');
    } catch (e) {
      issues.add(
        path,
        `cannot read ${shown}: ${describeReadError(e)}`,
        `put the CA certificate (PEM) at ${full}, give its path relative to ${base}, or paste the PEM text itself`,
      );
      continue;
    }
    try {
      if (!/-----BEGIN CERTIFICATE-----/.test(pem)) throw new Error('no certificate');
      createSecureContext({ ca: pem });
    } catch {
      issues.add(
        path,
        `${shown} holds no PEM certificate ("-----BEGIN CERTIFICATE-----")`,
        'convert a DER file with: openssl x509 -inform der -in ca.der -out ca.pem',
      );
      continue;
    }
    // `keys` leads through objects and arrays caFileOptions found in this very check.
    let at = copy as Record<string | number, unknown>;
    for (const k of keys.slice(0, -1)) at = at[k] as Record<string | number, unknown>;
    at[keys[keys.length - 1]!] = pem;
  }
  return copy;
}
