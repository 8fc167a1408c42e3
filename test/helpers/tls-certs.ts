/**
 * Test certificates made on the fly with node-forge (keys from node:crypto, which is fast):
 * a CA, leaves it signs with a chosen expiry and names, and self-signed ones.
 */
import { generateKeyPairSync } from 'node:crypto';
import forge from 'node-forge';

const DAY = 86_400_000;

export interface Pem {
  cert: string;
  key: string;
}

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

function keyPair(): { privatePem: string; publicPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    privatePem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}

let serial = 1;

function build(subjectCn: string, opts: { days: number; validSinceDays: number; ca: boolean; dnsNames: string[]; ips: string[]; issuer?: Pem; org: string }): Pem {
  const keys = keyPair();
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(keys.publicPem);
  cert.serialNumber = (0x1000 + serial++).toString(16);
  const now = Date.now();
  cert.validity.notBefore = new Date(now - opts.validSinceDays * DAY);
  cert.validity.notAfter = new Date(now + opts.days * DAY);
  const subject = [
    { name: 'commonName', value: subjectCn },
    { name: 'organizationName', value: opts.org },
  ];
  cert.setSubject(subject);
  let signer = forge.pki.privateKeyFromPem(keys.privatePem);
  if (opts.issuer) {
    const issuerCert = forge.pki.certificateFromPem(opts.issuer.cert);
    cert.setIssuer(issuerCert.subject.attributes);
    signer = forge.pki.privateKeyFromPem(opts.issuer.key);
  } else {
    cert.setIssuer(subject);
  }
  const exts: any[] = [{ name: 'basicConstraints', cA: opts.ca, critical: opts.ca }];
  if (opts.ca) exts.push({ name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true });
  else {
    exts.push({ name: 'keyUsage', digitalSignature: true, keyEncipherment: true });
    exts.push({ name: 'extKeyUsage', serverAuth: true });
    const altNames = [...opts.dnsNames.map((value) => ({ type: 2, value })), ...opts.ips.map((ip) => ({ type: 7, ip }))];
    if (altNames.length) exts.push({ name: 'subjectAltName', altNames });
  }
  exts.push({ name: 'subjectKeyIdentifier' });
  cert.setExtensions(exts);
  cert.sign(signer as forge.pki.rsa.PrivateKey, forge.md.sha256.create());
  return { cert: forge.pki.certificateToPem(cert), key: keys.privatePem };
}

/** A CA that can sign leaves. */
export function makeCa(name = 'Watchpost Test CA'): Pem {
  return build(name, { days: 3650, validSinceDays: 1, ca: true, dnsNames: [], ips: [], org: 'Watchpost Tests' });
}

/** A server certificate, signed by `issuer` or self-signed. */
export function makeCert(opts: CertOptions = {}): Pem {
  const dnsNames = opts.dnsNames ?? ['shop.test'];
  return build(opts.cn ?? dnsNames[0] ?? 'localhost', {
    days: opts.days ?? 60,
    validSinceDays: opts.validSinceDays ?? 1,
    ca: false,
    dnsNames,
    ips: opts.ips ?? [],
    issuer: opts.issuer,
    org: 'Shop Test',
  });
}
