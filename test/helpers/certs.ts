/**
 * Certificates for TLS tests, generated at test time with node-forge (RSA keys come from
 * node:crypto, which is much faster than forge's pure-JS keygen):
 * a CA, a leaf it signs for 127.0.0.1/localhost (with the CA written to a PEM file, for
 * `tls.ca`), an expired leaf, a leaf for the wrong host, and a self-signed leaf.
 * @example
 * const certs = makeTestCerts();
 * const server = https.createServer(certs.leaf, handler);
 * check.tls = { ca: certs.caFile };
 * certs.cleanup();
 */
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import forge from 'node-forge';

const DAY = 86_400_000;

/** What `https.createServer` / `tls.createServer` take. */
export interface KeyCert {
  key: string;
  cert: string;
}

export interface IssueOptions {
  /** Subject CN. @default the first name */
  cn?: string;
  /** DNS names and IP addresses for subjectAltName. @default ['localhost', '127.0.0.1'] */
  names?: string[];
  /** notBefore. @default a day ago */
  notBefore?: Date;
  /** notAfter. @default in 90 days */
  notAfter?: Date;
  /** Signing CA; omitted: self-signed. */
  issuer?: KeyCert;
  /** A CA certificate (can sign others). @default false */
  isCa?: boolean;
  /** Subject organization. @default "Watchpost Tests" */
  org?: string;
}

let cachedLeafKey: { privatePem: string; publicPem: string } | undefined;

function newKey(): { privatePem: string; publicPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    privatePem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}

let serial = 0x2000;
const isIp = (n: string) => /^\d+\.\d+\.\d+\.\d+$/.test(n) || n.includes(':');

/** Issues one certificate. Leaves share one key (tests do not need distinct keys, and it saves time). */
export function issueCert(opts: IssueOptions = {}): KeyCert {
  const names = opts.names ?? ['localhost', '127.0.0.1'];
  const keys = opts.isCa || !opts.issuer ? newKey() : (cachedLeafKey ??= newKey());
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(keys.publicPem);
  cert.serialNumber = (serial++).toString(16);
  cert.validity.notBefore = opts.notBefore ?? new Date(Date.now() - DAY);
  cert.validity.notAfter = opts.notAfter ?? new Date(Date.now() + 90 * DAY);
  const subject = [
    { name: 'commonName', value: opts.cn ?? names[0] ?? 'watchpost test' },
    { name: 'organizationName', value: opts.org ?? 'Watchpost Tests' },
  ];
  cert.setSubject(subject);
  let signer = forge.pki.privateKeyFromPem(keys.privatePem);
  if (opts.issuer) {
    cert.setIssuer(forge.pki.certificateFromPem(opts.issuer.cert).subject.attributes);
    signer = forge.pki.privateKeyFromPem(opts.issuer.key);
  } else cert.setIssuer(subject);
  const extensions: object[] = [
    { name: 'basicConstraints', cA: !!opts.isCa, critical: !!opts.isCa },
    { name: 'subjectKeyIdentifier' },
  ];
  if (opts.isCa)
    extensions.push({ name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true });
  else {
    extensions.push(
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
      { name: 'extKeyUsage', serverAuth: true },
    );
    if (names.length)
      extensions.push({
        name: 'subjectAltName',
        altNames: names.map((n) => (isIp(n) ? { type: 7, ip: n } : { type: 2, value: n })),
      });
  }
  cert.setExtensions(extensions);
  cert.sign(signer as forge.pki.rsa.PrivateKey, forge.md.sha256.create());
  return { cert: forge.pki.certificateToPem(cert), key: keys.privatePem };
}

export interface TestCerts {
  ca: KeyCert;
  /** The CA certificate as a PEM file (for `tls.ca`). */
  caFile: string;
  /** For localhost and 127.0.0.1, signed by the CA, valid. */
  leaf: KeyCert;
  /** Signed by the CA, expired on {@link expiredOn}. */
  expired: KeyCert;
  expiredOn: Date;
  /** Signed by the CA, for `wrong.example.test` only. */
  wrongHost: KeyCert;
  /** Self-signed, for localhost and 127.0.0.1. */
  selfSigned: KeyCert;
  /** Removes the temp directory. */
  cleanup(): void;
}

/** The usual set for https tests. */
export function makeTestCerts(): TestCerts {
  const ca = issueCert({ cn: 'Watchpost Test CA', names: [], isCa: true, notAfter: new Date(Date.now() + 3650 * DAY) });
  const dir = mkdtempSync(join(tmpdir(), 'watchpost-certs-'));
  const caFile = join(dir, 'ca.pem');
  writeFileSync(caFile, ca.cert);
  // Whole seconds: certificates store no milliseconds.
  const expiredOn = new Date(Math.floor((Date.now() - 10 * DAY) / 1000) * 1000);
  return {
    ca,
    caFile,
    leaf: issueCert({ issuer: ca }),
    expired: issueCert({ issuer: ca, notBefore: new Date(Date.now() - 100 * DAY), notAfter: expiredOn }),
    expiredOn,
    wrongHost: issueCert({ issuer: ca, names: ['wrong.example.test'] }),
    selfSigned: issueCert({ cn: 'localhost' }),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
