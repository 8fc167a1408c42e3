/**
 * Why a certificate was rejected, in one table for every kind: OpenSSL's verify code
 * (`tlsSocket.authorizationError`) → a phrase with the certificate's own facts (dates, names, issuer).
 */
import type { PeerCertificate, TLSSocket } from 'node:tls';
import type { CheckError } from '../../types';

/** What a rejection message may say about a certificate (never secret). */
export interface CertFacts {
  /** Subject common name. */
  subject?: string;
  /** How the issuer is named in messages, e.g. `CN=Shop CA` or a whole DN. */
  issuer?: string;
  validFrom?: Date;
  validTo?: Date;
  /** Names the certificate covers, e.g. `localhost, 127.0.0.1`. */
  names: string;
}

const DAY = 86_400_000;

/** Names a certificate lists: `localhost, 127.0.0.1` from its subjectAltName, else its CN. */
export function certificateNames(subjectaltname: string | undefined, cn: string | undefined): string {
  const names = (subjectaltname ?? '')
    .split(/,\s*/)
    .filter((e) => e.startsWith('DNS:') || e.startsWith('IP Address:'))
    .map((e) => e.slice(e.indexOf(':') + 1));
  if (names.length) return names.join(', ');
  return cn ? cn : 'no names';
}

const cnOf = (v: unknown): string | undefined =>
  Array.isArray(v) ? v.join(', ') : typeof v === 'string' ? v : undefined;
const dateOf = (s: string | undefined): Date | undefined => {
  const d = s ? new Date(s) : undefined;
  return d && !Number.isNaN(d.getTime()) ? d : undefined;
};

/** The facts of the certificate a TLS socket received (issuer named by its CN). */
export function certFactsOf(sock: TLSSocket): CertFacts {
  const cert: Partial<PeerCertificate> = sock.getPeerCertificate() ?? {};
  const subject = cnOf(cert.subject?.CN);
  const issuerCn = cnOf(cert.issuer?.CN);
  return {
    subject,
    issuer: issuerCn ? `CN=${issuerCn}` : undefined,
    validFrom: dateOf(cert.valid_from),
    validTo: dateOf(cert.valid_to),
    names: certificateNames(cert.subjectaltname, subject),
  };
}

/** `2026-03-01 14:03 UTC`. */
const when = (d: Date | undefined): string =>
  d ? `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC` : 'an unknown date';

function ago(d: Date | undefined): string {
  if (!d) return '';
  const days = Math.floor((Date.now() - d.getTime()) / DAY);
  return days === 0 ? ', less than a day ago' : `, ${days} day${days === 1 ? '' : 's'} ago`;
}

type Phrase = (f: CertFacts, caField: string) => string;
const untrustedIssuer: Phrase = (f, ca) =>
  `is signed by an issuer that is not trusted${f.issuer ? ` (${f.issuer})` : ''} — set ${ca} to trust it, ` +
  'or the server does not send its intermediate certificates';

/** The one table: verify code → what it means, said of "certificate of host …". */
const REASONS: Record<string, Phrase> = {
  CERT_HAS_EXPIRED: (f) => `expired on ${when(f.validTo)}${ago(f.validTo)}`,
  CERT_NOT_YET_VALID: (f) => `is not valid before ${when(f.validFrom)}`,
  DEPTH_ZERO_SELF_SIGNED_CERT: (f, ca) =>
    `is self-signed${f.subject ? ` (CN=${f.subject})` : ''} and not trusted — set ${ca} to its PEM file to trust it`,
  SELF_SIGNED_CERT_IN_CHAIN: (_f, ca) =>
    `chains to an untrusted self-signed root — the issuer is not trusted; set ${ca} to trust it`,
  UNABLE_TO_GET_ISSUER_CERT: untrustedIssuer,
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: untrustedIssuer,
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: untrustedIssuer,
  CERT_SIGNATURE_FAILURE: () => 'has a signature that does not verify',
  CERT_REVOKED: () => 'has been revoked',
  INVALID_CA: () => 'has an issuer in its chain that is not a valid CA',
  CERT_UNTRUSTED: () => 'is not trusted',
  ERR_TLS_CERT_ALTNAME_INVALID: (f) => `is for ${f.names}`,
};

/**
 * What a verify code means, as a phrase following "certificate of host": `expired on …, 3 days ago`.
 * `caField` is the option that adds a CA in the kind at hand (`tls.ca`, `ca`).
 */
export function certificateReason(code: string, facts: CertFacts, caField = 'tls.ca'): string {
  const phrase = REASONS[code];
  return phrase ? phrase(facts, caField) : `was rejected: ${code}`;
}

/**
 * A certificate verification failure as a `TLS` error.
 * @example certificateError('shop.example.com', 'CERT_HAS_EXPIRED', facts)
 * // { code: 'TLS', message: 'certificate of shop.example.com expired on 2026-03-01 14:03 UTC, 3 days ago' }
 */
export function certificateError(host: string, code: string, facts: CertFacts, caField = 'tls.ca'): CheckError {
  // "certificate is for a.test not b.test" reads better without "of b.test" first.
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID')
    return { code: 'TLS', message: `certificate is for ${facts.names} not ${host}` };
  return { code: 'TLS', message: `certificate of ${host} ${certificateReason(code, facts, caField)}` };
}
