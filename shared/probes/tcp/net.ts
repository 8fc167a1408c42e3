/**
 * Opening a TCP (and optionally TLS) connection as a probe needs it: phase timings
 * (`dns`, `connect`, `tls`), the abort signal honoured in every phase, and every failure
 * turned into a stable error code. Shared by the `tcp` and `tls` kinds.
 */
import dns from 'node:dns';
import net, { type LookupFunction } from 'node:net';
import tls from 'node:tls';
import type { CheckError } from '../../types';

export type Phase = 'dns' | 'connect' | 'tls' | 'response';

export interface OpenOptions {
  host: string;
  port: number;
  signal: AbortSignal;
  /** ms the attempt may take (for messages only; the signal does the stopping). */
  timeoutMs: number;
  lookup?: LookupFunction;
  /** When set, a TLS handshake follows the TCP connect with these options. */
  tls?: tls.ConnectionOptions;
}

export type OpenResult =
  | { ok: true; socket: net.Socket; tlsSocket?: tls.TLSSocket; timings: Record<string, number> }
  | { ok: false; error: CheckError; timings: Record<string, number> };

const now = () => performance.now();
export const round = (msv: number): number => Math.round(msv * 10) / 10;

/** `host:port`, with brackets around an IPv6 address. */
export const hostPort = (host: string, port: number): string => (net.isIPv6(host) ? `[${host}]:${port}` : `${host}:${port}`);

/** The errno-style code of an error; for happy-eyeballs AggregateErrors the first inner one. */
export function errCode(e: unknown): string | undefined {
  const err = e as { code?: unknown; errors?: unknown[] };
  if (typeof err?.code === 'string') return err.code;
  if (Array.isArray(err?.errors) && err.errors.length) return errCode(err.errors[0]);
  return undefined;
}

function errMessage(e: unknown): string {
  const err = e as { message?: string; errors?: unknown[] };
  if (err?.message) return err.message;
  if (Array.isArray(err?.errors) && err.errors.length) return errMessage(err.errors[0]);
  return String(e);
}

/** Turns a socket error in a phase into a stable error code and a sentence. */
export function classifySocketError(e: unknown, phase: Phase, where: string): CheckError {
  const code = errCode(e);
  const detail = `${errMessage(e)}${code && !errMessage(e).includes(code) ? ` (${code})` : ''}`;
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EAI_FAIL' || code === 'EAI_NODATA' || code === 'EAI_NONAME' || phase === 'dns')
    return { code: 'DNS', message: `cannot resolve ${where}: ${detail}` };
  if (phase === 'tls') return { code: 'TLS', message: `TLS handshake with ${where} failed: ${detail}` };
  if (code === 'ECONNREFUSED') return { code: 'CONNECT_REFUSED', message: `${where} refused the connection` };
  if (code === 'ETIMEDOUT' && phase === 'connect') return { code: 'CONNECT_TIMEOUT', message: `no TCP connection to ${where}: ${detail}` };
  if (code === 'ECONNRESET' || code === 'EPIPE' || code === 'ECONNABORTED')
    return { code: 'RESET', message: `${where} reset the connection${phase === 'response' ? ' while we waited for its reply' : ''}` };
  if (code?.startsWith('ERR_SSL_') || code?.startsWith('ERR_TLS_')) return { code: 'TLS', message: `TLS error with ${where}: ${detail}` };
  return { code: 'NETWORK', message: `${phase === 'connect' ? 'cannot connect to' : 'connection to'} ${where} failed: ${detail}` };
}

/** The error for an attempt stopped by its timeout in a phase. */
export function timeoutError(phase: Phase, where: string, timeoutMs: number): CheckError {
  switch (phase) {
    case 'dns':
      return { code: 'DNS', message: `name lookup for ${where} did not finish within ${timeoutMs}ms` };
    case 'connect':
      return { code: 'CONNECT_TIMEOUT', message: `no TCP connection to ${where} within ${timeoutMs}ms` };
    case 'tls':
      return { code: 'TIMEOUT', message: `TLS handshake with ${where} did not finish within ${timeoutMs}ms` };
    default:
      return { code: 'TIMEOUT', message: `no complete reply from ${where} within ${timeoutMs}ms` };
  }
}

/**
 * Connects (and shakes hands) within the signal. Never rejects: a failure is `{ ok: false }`
 * with the phase it happened in. The caller owns the returned socket (and must destroy it).
 */
export function openConnection(o: OpenOptions): Promise<OpenResult> {
  const where = hostPort(o.host, o.port);
  return new Promise<OpenResult>((resolve) => {
    const timings: Record<string, number> = {};
    const t0 = now();
    let mark = t0;
    let phase: Phase = net.isIP(o.host) ? 'connect' : 'dns';
    let settled = false;
    let raw: net.Socket | undefined;
    let secure: tls.TLSSocket | undefined;

    const done = (r: OpenResult) => {
      if (settled) return;
      settled = true;
      o.signal.removeEventListener('abort', onAbort);
      resolve(r);
    };
    const fail = (error: CheckError) => {
      if (settled) return;
      secure?.destroy();
      raw?.destroy();
      if (phase === 'dns' && timings.dns === undefined) timings.dns = round(now() - t0);
      else if (phase === 'connect' && timings.connect === undefined) timings.connect = round(now() - mark);
      else if (phase === 'tls' && timings.tls === undefined) timings.tls = round(now() - mark);
      done({ ok: false, error, timings });
    };
    function onAbort() {
      fail(timeoutError(phase, where, o.timeoutMs));
    }
    if (o.signal.aborted) return fail(timeoutError(phase, where, o.timeoutMs));
    o.signal.addEventListener('abort', onAbort, { once: true });

    // Wrap the lookup to time it: net emits no 'lookup' event on every path (happy eyeballs).
    const lookup = ((hostname: string, options: unknown, callback: (...args: unknown[]) => void) => {
      (o.lookup ?? dns.lookup)(hostname, options as dns.LookupAllOptions, ((err: unknown, ...rest: unknown[]) => {
        if (!err && phase === 'dns') {
          timings.dns = round(now() - t0);
          mark = now();
          phase = 'connect';
        }
        callback(err, ...rest);
      }) as never);
    }) as LookupFunction;
    try {
      raw = net.connect({ host: o.host, port: o.port, lookup });
    } catch (e) {
      return fail(classifySocketError(e, phase, where));
    }
    // Errors after we handed the socket over are the caller's business; never let one crash the process.
    raw.on('error', (e) => fail(classifySocketError(e, phase, where)));
    raw.once('close', () => fail({ code: 'RESET', message: `${where} closed the connection before it was established` }));
    raw.once('connect', () => {
      if (phase === 'dns') phase = 'connect'; // connected without going through our lookup
      timings.connect = round(now() - mark);
      if (!o.tls) return done({ ok: true, socket: raw!, timings });
      phase = 'tls';
      mark = now();
      secure = tls.connect({ ...o.tls, socket: raw! });
      secure.on('error', (e) => fail(classifySocketError(e, 'tls', where)));
      secure.once('close', () => fail({ code: 'TLS', message: `TLS handshake with ${where} failed: the server closed the connection` }));
      secure.once('secureConnect', () => {
        timings.tls = round(now() - mark);
        done({ ok: true, socket: raw!, tlsSocket: secure, timings });
      });
    });
  });
}
