/**
 * Certificates described by days from now and names (the tls/tcp kinds' tests), issued by the
 * one certificate maker in certs.ts.
 */
import { issueCert, type KeyCert } from './certs';

const DAY = 86_400_000;

export type Pem = KeyCert;

export interface CertOptions {
  /** Subject common name. @default the first DNS name */
  cn?: string;
  /** DNS names in subjectAltName. @default ['shop.test'] */
  dnsNames?: string[];
  /** IP addresses in subjectAltName. @default [] */
  ips?: string[];
  /** Days from now until notAfter (negative: already expired). @default 60 */
  days?: number;
  /** Days before now of notBefore. @default 1 */
  validSinceDays?: number;
  /** Signed by this CA; omitted: self-signed. */
  issuer?: Pem;
}

/** A CA that can sign leaves. */
export function makeCa(name = 'Watchpost Test CA'): Pem {
  return issueCert({ cn: name, names: [], isCa: true, notAfter: new Date(Date.now() + 3650 * DAY) });
}

/** A server certificate, signed by `issuer` or self-signed. */
export function makeCert(opts: CertOptions = {}): Pem {
  const dnsNames = opts.dnsNames ?? ['shop.test'];
  const now = Date.now();
  return issueCert({
    cn: opts.cn ?? dnsNames[0] ?? 'localhost',
    names: [...dnsNames, ...(opts.ips ?? [])],
    notBefore: new Date(now - (opts.validSinceDays ?? 1) * DAY),
    notAfter: new Date(now + (opts.days ?? 60) * DAY),
    issuer: opts.issuer,
    org: 'Shop Test',
  });
}
