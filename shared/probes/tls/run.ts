/**
 * One attempt of a `tls` check. It connects with `rejectUnauthorized: false` on purpose: a bad
 * certificate is what this kind exists to report, so it reads the certificate whatever it is and
 * judges trust (against the system's roots plus `ca`) and the host name itself.
 */
import { checkServerIdentity, type DetailedPeerCertificate, type PeerCertificate } from 'node:tls';
import { formatDuration } from '../../duration';
import { certificateReason, hostPort, now, openConnection, round } from '../net';
import type { Observations, ProbeContext, ProbeOutcome } from '../types';
import { trustContext } from '../trust';
import type { ValidatedTlsCheck } from './index';

const DAY = 86_400_000;

/** `CN=Shop CA, O=Shop` from a certificate name object. */
export function formatName(name: object | undefined): string {
  // node's certificate name objects (subject, issuer) map attribute → value(s).
  const fields = name as Record<string, string | string[]> | undefined;
  if (!fields) return '';
  const order = ['CN', 'OU', 'O', 'L', 'ST', 'C'];
  const keys = [...order.filter((k) => k in fields), ...Object.keys(fields).filter((k) => !order.includes(k))];
  return keys.flatMap((k) => [fields[k]].flat().map((v) => `${k}=${v}`)).join(', ');
}

function chainOf(cert: DetailedPeerCertificate): string[] {
  const out: string[] = [];
  let c: DetailedPeerCertificate | undefined = cert;
  const seen = new Set<string>();
  while (c && Object.keys(c).length && !seen.has(c.fingerprint256)) {
    seen.add(c.fingerprint256);
    out.push(formatName(c.subject));
    c = c.issuerCertificate;
  }
  return out;
}

const altNamesOf = (cert: PeerCertificate): string[] =>
  (cert.subjectaltname ?? '')
    .split(/,\s*/)
    .filter(Boolean)
    .map((s) => s.replace(/^(DNS|IP Address):/, ''));

export async function runTls(check: ValidatedTlsCheck, ctx: ProbeContext): Promise<ProbeOutcome> {
  const t0 = now();
  const port = check.port;
  const where = hostPort(check.host, port);
  const name = check.servername ?? check.host;
  const { warnDays, failDays } = check;
  const details: Record<string, unknown> = { host: check.host, port, servername: name };

  let secureContext: ReturnType<typeof trustContext> | undefined;
  try {
    secureContext = check.ca === undefined ? undefined : trustContext(check.ca);
  } catch (e) {
    return { error: { code: 'TLS', message: (e as Error).message }, timings: {}, details };
  }
  const opened = await openConnection({
    host: check.host,
    port,
    signal: ctx.signal,
    timeoutMs: ctx.timeoutMs,
    lookup: ctx.lookup,
    // Any certificate is accepted: trust, dates and the name are judged below, all at once.
    tls: { servername: name, verify: false, ...(secureContext ? { secureContext } : {}) },
  });
  if (!opened.ok) return { error: opened.error, timings: { ...opened.timings, total: round(now() - t0) }, details };
  const socket = opened.tlsSocket!;
  try {
    const timings = { ...opened.timings, total: round(now() - t0) };
    const cert = socket.getPeerCertificate(true);
    if (!cert || !Object.keys(cert).length)
      return { error: { code: 'TLS', message: `${where} presented no certificate` }, timings, details };

    const notAfter = new Date(cert.valid_to);
    const notBefore = new Date(cert.valid_from);
    const daysToExpiry = Math.floor(((notAfter.getTime() - Date.now()) / DAY) * 100) / 100;
    const protocol = socket.getProtocol() ?? undefined;
    const issuer = formatName(cert.issuer);
    const subject = formatName(cert.subject);
    const authError = socket.authorized
      ? undefined
      : String(
          (socket.authorizationError as unknown as { code?: string })?.code ??
            socket.authorizationError ??
            'CERT_UNTRUSTED',
        );
    const identityError = checkServerIdentity(name, cert);
    Object.assign(details, {
      subject,
      issuer,
      altNames: altNamesOf(cert),
      validFrom: notBefore.toISOString(),
      validTo: notAfter.toISOString(),
      daysToExpiry,
      serialNumber: cert.serialNumber,
      fingerprint256: cert.fingerprint256,
      protocol,
      cipher: socket.getCipher()?.name,
      chain: chainOf(cert),
      trusted: socket.authorized,
      hostnameMatch: !identityError,
    });
    if (authError) details.authorizationError = authError;

    const problems: string[] = [];
    const left = notAfter.getTime() - Date.now();
    if (left <= 0)
      problems.push(`the certificate expired ${formatDuration(-left)} ago (notAfter ${notAfter.toISOString()})`);
    else if (notBefore.getTime() > Date.now())
      problems.push(`the certificate is not valid before ${notBefore.toISOString()}`);
    if (authError && authError !== 'CERT_HAS_EXPIRED' && authError !== 'CERT_NOT_YET_VALID') {
      const why = certificateReason(authError, { issuer: issuer || 'unknown', names: '' }, 'ca');
      problems.push(`the certificate ${why} (${authError})`);
    }
    if (identityError) {
      const covers = altNamesOf(cert);
      const cn = [cert.subject?.CN].flat()[0];
      problems.push(
        `the certificate is for ${covers.length ? covers.join(', ') : cn ? `CN ${cn}` : 'no name'}, not "${name}"`,
      );
    }
    if (!problems.length && daysToExpiry < failDays)
      problems.push(
        `the certificate expires in ${formatDuration(left)} (notAfter ${notAfter.toISOString()}), below ` +
          `failDays ${failDays}`,
      );

    const metrics = { DaysToExpiry: daysToExpiry };
    if (problems.length) {
      details.problems = problems;
      return { error: { code: 'TLS', message: `${where}: ${problems.join('; ')}` }, timings, metrics, details };
    }
    const observations: Observations = {
      read(source) {
        switch (source) {
          case 'daysToExpiry':
            return { value: daysToExpiry };
          case 'issuer':
            return { value: issuer };
          case 'subject':
            return { value: subject };
          case 'protocol':
            return { value: protocol };
          case 'latency':
            return { value: timings.total };
          default:
            return {};
        }
      },
    };
    const outcome: ProbeOutcome = { timings, latencyMs: timings.total, metrics, details, observations };
    if (daysToExpiry < warnDays) {
      outcome.status = 'degraded';
      // Whole days, as warnDays is written: the page reads `expires in 14d (warnDays 21)`.
      const message = `expires in ${Math.floor(daysToExpiry)}d (warnDays ${warnDays})`;
      outcome.degraded = { code: 'CERT_EXPIRING', message };
      details.warning =
        `the certificate expires in ${formatDuration(left)} (notAfter ${notAfter.toISOString()}), ` +
        `below warnDays ${warnDays}`;
    }
    return outcome;
  } finally {
    socket.destroy();
    opened.socket.destroy();
  }
}
