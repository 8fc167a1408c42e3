/**
 * Which certificates a probe trusts, the same for every kind: the system's roots, plus a `ca`
 * given inline (`-----BEGIN CERTIFICATE-----…`) or as a path to a PEM file (a private CA adds
 * to the public roots, it does not replace them). One secure context per CA, built once and
 * reused: parsing ~150 roots per connection would land in the `tls` timing.
 */
import { readFileSync } from 'node:fs';
import * as tls from 'node:tls';

let systemRoots: tls.SecureContext | undefined;
const contexts = new Map<string, tls.SecureContext>();

/** The context for `ca` (none: the system roots). Throws an Error people can read when a CA file cannot be read. */
export function trustContext(ca?: string): tls.SecureContext {
  if (!ca) return (systemRoots ??= tls.createSecureContext());
  let ctx = contexts.get(ca);
  if (!ctx) {
    let pem: string;
    if (ca.trimStart().startsWith('-----BEGIN')) pem = ca;
    else {
      try {
        pem = readFileSync(ca, 'utf8');
      } catch (e) {
        // Not cached: a missing file may appear later (a deploy, a mount).
        const err = e as NodeJS.ErrnoException;
        throw new Error(`cannot read CA file "${ca}": ${err.code === 'ENOENT' ? 'no such file' : err.message}`);
      }
    }
    if (contexts.size >= 32) contexts.delete(contexts.keys().next().value!);
    ctx = tls.createSecureContext({ ca: [...tls.rootCertificates, pem] });
    contexts.set(ca, ctx);
  }
  return ctx;
}
