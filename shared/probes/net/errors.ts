/**
 * One classification of network failures for every kind: an OS or OpenSSL error code → a stable
 * {@link CheckError} code and a sentence naming the target. The same failure gets the same code
 * whichever kind (http, tcp, tls, dns, email, queue) met it.
 */
import { isIPv6 } from 'node:net';
import type { CheckError, ErrorCode } from '../../types';

/** Where a connection was when it failed or ran out of time. */
export type ConnectPhase = 'dns' | 'connect' | 'tls';

export const fail = (code: ErrorCode, message: string): CheckError => ({ code, message });

/** An Error that already carries its classified {@link CheckError} (e.g. across undici's connector callback). */
export class NetError extends Error {
  constructor(readonly check: CheckError) {
    super(check.message);
    this.name = 'NetError';
  }
}

/** `host:port`, with brackets around an IPv6 address. */
export const hostPort = (host: string, port: number): string =>
  isIPv6(host) ? `[${host}]:${port}` : `${host}:${port}`;

/** `shop.test:443 (10.0.0.7)`: the label, with the address when the label is a name. */
export function where(label: string, address: string | undefined): string {
  return address && !label.startsWith(address) && !label.startsWith(`[${address}]`) ? `${label} (${address})` : label;
}

/** Name-resolution codes (getaddrinfo and c-ares) and what they mean. */
const DNS_REASONS: Record<string, string> = {
  ENOTFOUND: 'the name does not exist',
  ENONAME: 'the name does not exist',
  EAI_NONAME: 'the name does not exist',
  ENODATA: 'the name has no address records',
  EAI_NODATA: 'the name has no address records',
  ESERVFAIL: 'the DNS server failed to answer (SERVFAIL)',
  EAI_FAIL: 'the DNS server failed to answer',
  EREFUSED: 'the DNS server refused the query',
  ETIMEOUT: 'the DNS server did not answer in time',
  EAI_AGAIN: 'temporary failure in name resolution',
  EBADRESP: 'the DNS server sent a malformed answer',
};

/** Socket codes → the stable code and what happened, said of "cannot connect to X: …". */
const SOCKET: Record<string, { code: ErrorCode; says: string }> = {
  ECONNREFUSED: { code: 'CONNECT_REFUSED', says: 'nothing is listening on that port' },
  ETIMEDOUT: { code: 'CONNECT_TIMEOUT', says: 'the connection attempt timed out' },
  EHOSTUNREACH: { code: 'NETWORK', says: 'host unreachable (EHOSTUNREACH)' },
  ENETUNREACH: { code: 'NETWORK', says: 'network unreachable (ENETUNREACH)' },
  ECONNRESET: { code: 'RESET', says: 'the connection was reset' },
  EPIPE: { code: 'RESET', says: 'the connection was reset' },
  ECONNABORTED: { code: 'RESET', says: 'the connection was aborted' },
};

/** Node and OpenSSL codes of a failed handshake or certificate check. */
const TLS_CODE = new RegExp(
  '^(ERR_TLS_|ERR_SSL_|CERT_|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_|' +
    'HOSTNAME_MISMATCH|INVALID_CA|INVALID_PURPOSE|EPROTO$)',
);

/**
 * The stable code for an OS/OpenSSL error code, or undefined when it is none of ours.
 * @example errnoCode('ECONNREFUSED') // 'CONNECT_REFUSED'
 */
export function errnoCode(errno: string | undefined): ErrorCode | undefined {
  if (!errno) return undefined;
  // c-ares' "no answer in time" is also what mail and HTTP libraries call their own timeouts.
  if (errno === 'ETIMEOUT') return 'TIMEOUT';
  if (errno in DNS_REASONS) return 'DNS';
  if (errno in SOCKET) return SOCKET[errno]!.code;
  if (TLS_CODE.test(errno)) return 'TLS';
  return undefined;
}

/** The errno-style code of an error; for happy-eyeballs AggregateErrors the first inner one. */
export function errCode(e: unknown): string | undefined {
  const err = e as { code?: unknown; errors?: unknown[] };
  if (typeof err?.code === 'string') return err.code;
  if (Array.isArray(err?.errors) && err.errors.length) return errCode(err.errors[0]);
  return undefined;
}

/** The message of an error; for AggregateErrors the first inner one. */
export function errMessage(e: unknown): string {
  const err = e as { message?: string; errors?: unknown[] };
  if (err?.message) return err.message;
  if (Array.isArray(err?.errors) && err.errors.length) return errMessage(err.errors[0]);
  return String(e);
}

/** `the message (CODE)`, the code only when the message does not say it already. */
function detail(e: unknown): string {
  const code = errCode(e);
  const msg = errMessage(e);
  return `${msg}${code && !msg.includes(code) ? ` (${code})` : ''}`;
}

/** A failed name lookup: `cannot resolve shop.test: the name does not exist (ENOTFOUND)`. */
export function dnsError(host: string, e: unknown): CheckError {
  const code = errCode(e) ?? '';
  const reason = DNS_REASONS[code] ?? errMessage(e);
  return fail('DNS', `cannot resolve ${host}: ${reason}${code && !reason.includes(code) ? ` (${code})` : ''}`);
}

/** A failed TCP connect to `at` (label and address, see {@link where}). */
export function connectError(at: string, e: unknown): CheckError {
  const code = errCode(e) ?? '';
  if (code in DNS_REASONS) return fail('DNS', `cannot resolve ${at}: ${DNS_REASONS[code]} (${code})`);
  switch (code) {
    case 'ECONNREFUSED':
      return fail('CONNECT_REFUSED', `connection refused by ${at}: nothing is listening on that port`);
    case 'ETIMEDOUT':
      return fail('CONNECT_TIMEOUT', `connecting to ${at} timed out`);
    case 'ECONNRESET':
    case 'EPIPE':
    case 'ECONNABORTED':
      return fail('RESET', `connection to ${at} was reset while connecting`);
  }
  const known = SOCKET[code];
  return fail(known?.code ?? 'NETWORK', `cannot connect to ${at}: ${known?.says ?? errMessage(e)}`);
}

/** A handshake that failed before any certificate could be judged (wrong protocol, alert, reset, closed). */
export function handshakeError(at: string, e: unknown): CheckError {
  const code = errCode(e);
  const msg = errMessage(e);
  if (code === 'ECONNRESET' || code === 'EPIPE')
    return fail('TLS', `TLS handshake with ${at} failed: the server reset the connection`);
  if (/socket disconnected|closed/i.test(msg))
    return fail('TLS', `TLS handshake with ${at} failed: the server closed the connection`);
  return fail('TLS', `TLS handshake with ${at} failed: ${msg.replace(/^error:[0-9A-F]+:[^:]*:[^:]*:/i, '')}`);
}

/**
 * An error on an established connection (while a kind waits for its reply): `RESET` for a reset,
 * `TLS` for a TLS alert, else `NETWORK`.
 */
export function socketError(at: string, e: unknown): CheckError {
  const code = errnoCode(errCode(e));
  if (code === 'RESET') return fail('RESET', `${at} reset the connection while we waited for its reply`);
  if (code === 'TLS') return fail('TLS', `TLS error with ${at}: ${detail(e)}`);
  return fail('NETWORK', `connection to ${at} failed: ${detail(e)}`);
}

/**
 * The error for a connection stopped by the timeout in a phase. A stalled name lookup is `DNS`,
 * a stalled TCP handshake `CONNECT_TIMEOUT`, a stalled TLS handshake `TIMEOUT` (the port answered).
 */
export function connectTimeoutError(phase: ConnectPhase, host: string, at: string, timeoutMs: number): CheckError {
  switch (phase) {
    case 'dns':
      return fail('DNS', `name lookup of ${host} did not finish within ${timeoutMs}ms`);
    case 'connect':
      return fail('CONNECT_TIMEOUT', `could not connect to ${at} within ${timeoutMs}ms`);
    case 'tls':
      return fail('TIMEOUT', `TLS handshake with ${at} did not finish within ${timeoutMs}ms`);
  }
}
