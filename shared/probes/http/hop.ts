/// <reference path="./undici-client.d.ts" />
/**
 * One hop of an `http` run: one request on a fresh undici Client with our own connector (so
 * every hop measures dns/connect/tls instead of reusing a warm socket), the body streamed with
 * a byte cap, the phase timings, and every misbehaviour settled as a coded error. Redirects are
 * followed by the caller (run.ts), one hop each.
 */
import type { LookupFunction } from 'node:net';
import type { SecureContext } from 'node:tls';
// The Client module alone: the runner bundle need not carry fetch, WebSocket and the rest of undici.
import Client from 'undici/lib/dispatcher/client.js';
import type { CheckError } from '../../types';
import { fail, NetError, now, round } from '../net';
import { openHopConnection, type HopState, type Target } from './connector';
import { bytesWithUnit, responseError, timeoutError, type Phase } from './errors';

const noop = () => {};
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

export type RawHeaders = (Buffer | string)[];

export interface HopRequest {
  url: URL;
  /** The URL as shown to people: no user info, no query values. */
  display: string;
  target: Target;
  method: string;
  headers: Record<string, string>;
  body?: string;
}

export interface HopResult {
  st: HopState;
  error?: CheckError;
  status?: number;
  rawHeaders?: RawHeaders;
  chunks: Buffer[];
  bodyBytes: number;
  /** Stopped after the headers because the response is a redirect to follow. */
  redirect?: boolean;
  sent?: number;
  headersAt?: number;
  endAt?: number;
}

export interface HopEnv {
  signal: AbortSignal;
  timeoutMs: number;
  maxBodyBytes: number;
  follow: boolean;
  lookup: LookupFunction;
  insecure: boolean;
  secureContext?: SecureContext;
}

export function headerOf(raw: RawHeaders | undefined, name: string): string | undefined {
  if (!raw) return undefined;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    if (raw[i]!.toString().toLowerCase() === name) return raw[i + 1]!.toString();
  }
  return undefined;
}

/**
 * undici's handler for one request (the callback interface: it reports the moment the request
 * is written, which the newer controller interface does not).
 */
class HopHandler {
  constructor(
    private readonly res: HopResult,
    private readonly env: HopEnv,
    private readonly req: HopRequest,
    private readonly settle: (error?: CheckError) => void,
  ) {}

  onConnect(): void {}

  onRequestSent(): void {
    this.res.sent = now();
  }

  onBodySent(): void {}

  onHeaders(statusCode: number, rawHeaders: RawHeaders): boolean {
    const { res, env } = this;
    if (res.st.closed) return false;
    if (statusCode < 200) return true; // 1xx: informational, the real answer follows
    res.headersAt = now();
    res.status = statusCode;
    res.rawHeaders = rawHeaders;
    if (env.follow && REDIRECT_STATUSES.has(statusCode) && headerOf(rawHeaders, 'location') !== undefined) {
      // The body of a redirect is of no interest; this connection is never reused anyway.
      res.redirect = true;
      this.settle();
      return false;
    }
    res.st.phase = 'body';
    return true;
  }

  onData(chunk: Buffer): boolean {
    const { res, env } = this;
    if (res.st.closed) return false;
    res.bodyBytes += chunk.length;
    if (res.bodyBytes > env.maxBodyBytes) {
      this.settle(
        fail(
          'BODY_TOO_LARGE',
          `body larger than ${bytesWithUnit(env.maxBodyBytes)}, stopped reading from ${this.req.display}`,
        ),
      );
      return false;
    }
    res.chunks.push(chunk);
    return true;
  }

  onComplete(): void {
    if (this.res.st.closed) return;
    this.res.endAt = now();
    this.res.st.phase = 'done';
    this.settle();
  }

  onError(err: Error): void {
    const { res } = this;
    if (res.st.closed) return;
    const { phase } = res.st;
    const error = err instanceof NetError ? err.check : responseError(phase, this.req.display, err, res.bodyBytes);
    this.settle(error);
  }
}

/**
 * The reason every hop's client is destroyed with. One shared instance whose stack is already
 * formatted: node streams read `err.stack` on destroy, and a fresh error per run (undici's
 * ClientDestroyedError) costs more than the rest of a loopback request.
 */
const HOP_DONE = new Error('watchpost: hop finished');
void HOP_DONE.stack;

/**
 * Timeouts are ours (the abort signal, per phase), not undici's. The connection is never
 * reused, so keep-alive hints must not make undici schedule a reset of its own.
 */
const CLIENT_OPTIONS = { headersTimeout: 0, bodyTimeout: 0, keepAliveTimeoutThreshold: 0 } as const;

/** One request on one fresh connection. Resolves (never rejects) when answered, failed or aborted. */
export function runHop(req: HopRequest, env: HopEnv): Promise<HopResult> {
  return new Promise((resolve) => {
    const st: HopState = { phase: 'dns', closed: false, dns: 0, connect: 0, tls: 0, ready: 0 };
    const res: HopResult = { st, chunks: [], bodyBytes: 0 };
    const client = new Client(req.url.origin, {
      ...CLIENT_OPTIONS,
      connect: (_opts, cb) => openHopConnection(req.target, env, st, cb),
    });
    const destroy = () => client.destroy(HOP_DONE, noop);
    const settle = (error?: CheckError) => {
      if (st.closed) return;
      st.closed = true;
      if (error) res.error = error;
      env.signal.removeEventListener('abort', onAbort);
      // Destroy first so a cancelled connect attempt is not reported back into a live client.
      // Also inside onComplete: with the socket already gone undici skips its own reset error.
      destroy();
      st.cancel?.();
      resolve(res);
    };
    const onAbort = () =>
      settle(timeoutError(st.phase, req.target, req.display, env.timeoutMs, st.remoteAddress, res.bodyBytes));
    const handler = new HopHandler(res, env, req, settle);
    env.signal.addEventListener('abort', onAbort, { once: true });
    // A signal that fired before this hop (between hops) will not call a new listener.
    if (env.signal.aborted) return onAbort();
    client.dispatch(
      { path: req.url.pathname + req.url.search, method: req.method as 'GET', headers: req.headers, body: req.body },
      handler as never,
    );
  });
}

const ORDER: Phase[] = ['dns', 'connect', 'tls', 'headers', 'body', 'done'];

/** Timings of the last hop: every phase that completed, and the total since the run began. */
export function timingsOf(hop: HopResult, start: number, end: number): Record<string, number> {
  const st = hop.st;
  const reached = ORDER.indexOf(st.phase);
  const t: Record<string, number> = {};
  if (reached > 0) t.dns = round(st.dns);
  if (reached > 1) t.connect = round(st.connect);
  if (reached > 2) t.tls = round(st.tls);
  if (hop.headersAt !== undefined) {
    const sent = hop.sent !== undefined && hop.sent <= hop.headersAt ? hop.sent : st.ready;
    t.ttfb = round(hop.headersAt - sent);
    if (hop.endAt !== undefined) t.transfer = round(hop.endAt - hop.headersAt);
    else if (st.phase === 'body') t.transfer = round(end - hop.headersAt);
  }
  t.total = round(end - start);
  return t;
}
