/**
 * Turns what went wrong during one HTTP hop into a stable code and a sentence for on-call.
 * Messages name the target (host or URL) and never include request header values.
 */
import type { CheckError } from '../../types';

/** Where a hop was when it stopped: decides what a timeout or a closed socket means. */
export type Phase = 'dns' | 'connect' | 'tls' | 'headers' | 'body' | 'done';

/** An Error that already carries its classified {@link CheckError} (thrown across undici's connector callback). */
export class HopError extends Error {
  constructor(readonly check: CheckError) {
    super(check.message);
    this.name = 'HopError';
  }
}

export const fail = (code: CheckError['code'], message: string): CheckError => ({ code, message });

/** Rounds ms to 0.1 ms: enough precision for phase timings, short in JSON. */
export const round = (msv: number): number => Math.round(Math.max(0, msv) * 10) / 10;

/** `1048576` → `1 MiB`, `1536` → `1.5 KiB`, `512` → `512 bytes`. */
export function formatBytes(n: number): string {
  if (n >= 1024 * 1024) return `${+(n / (1024 * 1024)).toFixed(1)} MiB`;
  if (n >= 1024) return `${+(n / 1024).toFixed(1)} KiB`;
  return `${n} byte${n === 1 ? '' : 's'}`;
}

/** `1048576 bytes (1 MiB)`; no parenthesis when it would repeat the number. */
export function bytesWithUnit(n: number): string {
  const human = formatBytes(n);
  return n >= 1024 ? `${n} bytes (${human})` : human;
}

const DNS_REASONS: Record<string, string> = {
  ENOTFOUND: 'the name does not exist',
  ENODATA: 'the name has no address records',
  ESERVFAIL: 'the DNS server failed to answer (SERVFAIL)',
  EREFUSED: 'the DNS server refused the query',
  ETIMEOUT: 'the DNS server did not answer in time',
  EAI_AGAIN: 'temporary failure in name resolution',
  ECONNREFUSED: 'the DNS server refused the connection',
  EBADRESP: 'the DNS server sent a malformed answer',
  ENONAME: 'the name does not exist',
};

export function dnsError(host: string, err: NodeJS.ErrnoException): CheckError {
  const code = err.code ?? '';
  const reason = DNS_REASONS[code] ?? err.message;
  return fail('DNS', `cannot resolve ${host}: ${reason}${code && !reason.includes(code) ? ` (${code})` : ''}`);
}

/** `connection refused by 127.0.0.1:8443`, with the resolved address when the label is a name. */
function where(label: string, address: string | undefined): string {
  return address && !label.startsWith(address) && !label.startsWith(`[${address}]`) ? `${label} (${address})` : label;
}

export function connectError(label: string, address: string | undefined, err: NodeJS.ErrnoException): CheckError {
  const at = where(label, address);
  switch (err.code) {
    case 'ECONNREFUSED':
      return fail('CONNECT_REFUSED', `connection refused by ${at}: nothing is listening on that port`);
    case 'ETIMEDOUT':
      return fail('CONNECT_TIMEOUT', `connecting to ${at} timed out`);
    case 'EHOSTUNREACH':
      return fail('NETWORK', `cannot connect to ${at}: host unreachable (EHOSTUNREACH)`);
    case 'ENETUNREACH':
      return fail('NETWORK', `cannot connect to ${at}: network unreachable (ENETUNREACH)`);
    case 'ECONNRESET':
      return fail('RESET', `connection to ${at} was reset while connecting`);
    default:
      return fail('NETWORK', `cannot connect to ${at}: ${err.message}`);
  }
}

/** The timeout message for the phase the hop was in when the signal fired. */
export function timeoutError(phase: Phase, label: string, url: string, timeoutMs: number, address: string | undefined, bodyBytes: number): CheckError {
  switch (phase) {
    case 'dns':
      return fail('DNS', `name lookup of ${label.replace(/:\d+$/, '')} did not finish within ${timeoutMs}ms`);
    case 'connect':
      return fail('CONNECT_TIMEOUT', `could not connect to ${where(label, address)} within ${timeoutMs}ms`);
    case 'tls':
      return fail('CONNECT_TIMEOUT', `TLS handshake with ${where(label, address)} did not finish within ${timeoutMs}ms`);
    case 'body':
      return fail('TIMEOUT', `body still arriving after ${timeoutMs}ms (${formatBytes(bodyBytes)} so far) from ${url}`);
    default:
      return fail('TIMEOUT', `no response headers within ${timeoutMs}ms from ${url}`);
  }
}

const RESET_CODES = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED', 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH', 'HPE_INVALID_EOF_STATE']);

/** An error undici reported after the connection was handed over: reset, protocol, or anything else. */
export function responseError(phase: Phase, url: string, err: NodeJS.ErrnoException, bodyBytes: number): CheckError {
  const code = err.code ?? '';
  const reset = code === 'ECONNRESET' || code === 'EPIPE' || code === 'ECONNABORTED';
  if (RESET_CODES.has(code) || /other side closed|socket hang up/i.test(err.message)) {
    const how = reset ? 'the connection was reset by the server' : 'the server closed the connection';
    if (phase === 'body') return fail('RESET', `${how} while the body of ${url} was arriving (${formatBytes(bodyBytes)} so far)`);
    return fail('RESET', `${how} before sending response headers for ${url}`);
  }
  if (code.startsWith('HPE_') || err.name === 'HTTPParserError')
    return fail('PROTOCOL', `invalid HTTP response from ${url}: ${err.message}`);
  if (code === 'UND_ERR_INVALID_ARG' || err.name === 'InvalidArgumentError')
    return fail('NETWORK', `cannot send the request to ${url}: ${err.message}`);
  return fail('NETWORK', `request to ${url} failed: ${err.message}${code && !err.message.includes(code) ? ` (${code})` : ''}`);
}

/** Names a certificate lists: `localhost, 127.0.0.1` from its subjectAltName, else its CN. */
export function certificateNames(subjectaltname: string | undefined, cn: string | undefined): string {
  const names = (subjectaltname ?? '')
    .split(/,\s*/)
    .filter((e) => e.startsWith('DNS:') || e.startsWith('IP Address:'))
    .map((e) => e.slice(e.indexOf(':') + 1));
  if (names.length) return names.join(', ');
  return cn ? cn : 'no names';
}

export interface CertFacts {
  subject?: string;
  issuer?: string;
  validFrom?: Date;
  validTo?: Date;
  names: string;
}

const when = (d: Date | undefined): string => (d && !Number.isNaN(d.getTime()) ? `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC` : 'an unknown date');

/** A certificate verification failure (`tlsSocket.authorizationError`) as a sentence. */
export function certificateError(host: string, reason: string, cert: CertFacts): CheckError {
  const subject = cert.subject ? ` (CN=${cert.subject})` : '';
  const issuer = cert.issuer ? ` (CN=${cert.issuer})` : '';
  switch (reason) {
    case 'CERT_HAS_EXPIRED': {
      const days = cert.validTo ? Math.floor((Date.now() - cert.validTo.getTime()) / 86_400_000) : undefined;
      const ago = days === undefined ? '' : days === 0 ? ', less than a day ago' : `, ${days} day${days === 1 ? '' : 's'} ago`;
      return fail('TLS', `certificate of ${host} expired on ${when(cert.validTo)}${ago}`);
    }
    case 'CERT_NOT_YET_VALID':
      return fail('TLS', `certificate of ${host} is not valid before ${when(cert.validFrom)}`);
    case 'DEPTH_ZERO_SELF_SIGNED_CERT':
      return fail('TLS', `certificate of ${host} is self-signed${subject} and not trusted — set tls.ca to its PEM file to trust it`);
    case 'SELF_SIGNED_CERT_IN_CHAIN':
      return fail('TLS', `certificate of ${host} chains to an untrusted self-signed root — the issuer is not trusted; set tls.ca to trust it`);
    case 'UNABLE_TO_GET_ISSUER_CERT':
    case 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY':
    case 'UNABLE_TO_VERIFY_LEAF_SIGNATURE':
      return fail('TLS', `certificate of ${host} is signed by an untrusted issuer${issuer} — set tls.ca to trust it, or the server does not send its intermediate certificates`);
    case 'ERR_TLS_CERT_ALTNAME_INVALID':
      return fail('TLS', `certificate is for ${cert.names} not ${host}`);
    case 'CERT_REVOKED':
      return fail('TLS', `certificate of ${host} has been revoked`);
    default:
      return fail('TLS', `certificate of ${host} was rejected: ${reason}`);
  }
}

/** A handshake that failed before any certificate could be judged (wrong protocol, alert, closed). */
export function handshakeError(label: string, address: string | undefined, err: NodeJS.ErrnoException): CheckError {
  const at = where(label, address);
  if (err.code === 'ECONNRESET' || /socket disconnected/i.test(err.message))
    return fail('TLS', `TLS handshake with ${at} failed: the server closed the connection`);
  return fail('TLS', `TLS handshake with ${at} failed: ${err.message.replace(/^error:[0-9A-F]+:[^:]*:[^:]*:/i, '')}`);
}
