/// <reference path="./undici-client.d.ts" />
/**
 * One run of an `http` check: a fresh undici Client per hop (our own connector, so every
 * run measures dns/connect/tls instead of reusing a warm socket), redirects followed by hand,
 * the body streamed with a byte cap, and every misbehaviour returned as a coded outcome.
 * Assertions are not evaluated here: the probe only offers observations.
 */
import * as dns from 'node:dns';
import type { ValidatedHttpCheck } from './index';
import type { LookupFunction } from 'node:net';
import type { SecureContext } from 'node:tls';
// The Client module alone: the runner bundle need not carry fetch, WebSocket and the rest of undici.
import Client from 'undici/lib/dispatcher/client.js';
import { parseJsonPath, readJsonPath } from '../../assertions/json-path';
import type { CheckError } from '../../types';
import type { Observations, ProbeContext, ProbeOutcome } from '../types';
import { trustContext } from '../trust';
import { fail, NetError, now, round } from '../net';
import { openHopConnection, targetOf, type HopState, type Target } from './connector';
import { displayUrl } from './display-url';
import { bytesWithUnit, responseError, timeoutError, type Phase } from './errors';

export const USER_AGENT = 'watchpost/0.1';
export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

const noop = () => {};
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
/** Headers that describe a body: dropped with the body when a redirect turns the request into a GET. */
const BODY_HEADERS = ['content-type', 'content-length', 'content-encoding', 'content-language', 'content-location'];
/** Credentials that must not follow a redirect to another origin (fetch drops Authorization too). */
const CREDENTIAL_HEADERS = ['authorization', 'proxy-authorization', 'cookie'];

type RawHeaders = (Buffer | string)[];

interface HopRequest {
  url: URL;
  /** The URL as shown to people: no user info, no query values. */
  display: string;
  target: Target;
  method: string;
  headers: Record<string, string>;
  body?: string;
}

interface HopResult {
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

interface HopEnv {
  signal: AbortSignal;
  timeoutMs: number;
  maxBodyBytes: number;
  follow: boolean;
  lookup: LookupFunction;
  insecure: boolean;
  secureContext?: SecureContext;
}

function headerOf(raw: RawHeaders | undefined, name: string): string | undefined {
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
function runHop(req: HopRequest, env: HopEnv): Promise<HopResult> {
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

function hasHeader(headers: Record<string, string>, name: string): string | undefined {
  for (const k of Object.keys(headers)) if (k.toLowerCase() === name) return k;
  return undefined;
}

function dropHeaders(headers: Record<string, string>, names: readonly string[]): void {
  for (const k of Object.keys(headers)) if (names.includes(k.toLowerCase())) delete headers[k];
}

/** Headers for a hop: the check's, plus Basic auth from URL user info (never shown in messages). */
function hopHeaders(base: Record<string, string>, u: URL): Record<string, string> {
  if (!u.username || hasHeader(base, 'authorization')) return base;
  const cred = `${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}`;
  return { ...base, authorization: `Basic ${Buffer.from(cred).toString('base64')}` };
}

const ORDER: Phase[] = ['dns', 'connect', 'tls', 'headers', 'body', 'done'];

/** Timings of the last hop: every phase that completed, and the total since the run began. */
function timingsOf(hop: HopResult, start: number, end: number): Record<string, number> {
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

/**
 * Why JSON.parse failed, without V8's quote of the body: the body may echo a secret, and the
 * runner can only redact whole secret values, not the first ten characters of one.
 */
function jsonReason(text: string, e: Error): string {
  if (text.trim() === '') return 'the body is empty';
  return e.message
    .replace(/, (\.\.\.)?".*"(\.\.\.)? is not valid JSON$/s, '')
    .replace(/ in JSON at position/, ' at position');
}

/** Assertion sources of a response: status, latency, header, text, json. */
class HttpObservations implements Observations {
  private headerMap?: Map<string, string>;
  private textValue?: string;
  private jsonValue?: { value?: unknown; error?: CheckError };

  constructor(
    private readonly status: number,
    private readonly latency: number,
    private readonly rawHeaders: RawHeaders,
    private readonly chunks: Buffer[],
    private readonly url: string,
  ) {}

  private headers(): Map<string, string> {
    if (!this.headerMap) {
      const m = new Map<string, string>();
      const raw = this.rawHeaders;
      for (let i = 0; i + 1 < raw.length; i += 2) {
        const k = raw[i]!.toString('latin1').toLowerCase();
        const v = raw[i + 1]!.toString('latin1');
        const prev = m.get(k);
        m.set(k, prev === undefined ? v : `${prev}, ${v}`);
      }
      this.headerMap = m;
    }
    return this.headerMap;
  }

  private text(): string {
    if (this.textValue === undefined) {
      const c = this.chunks;
      this.textValue =
        c.length === 0 ? '' : c.length === 1 ? c[0]!.toString('utf8') : Buffer.concat(c).toString('utf8');
    }
    return this.textValue;
  }

  private json(): { value?: unknown; error?: CheckError } {
    if (!this.jsonValue) {
      const text = this.text();
      try {
        this.jsonValue = { value: JSON.parse(text) };
      } catch (e) {
        this.jsonValue = {
          error: fail(
            'INVALID_JSON',
            `response body is not valid JSON: ${jsonReason(text, e as Error)} ` +
              `(${this.describeBody()} from ${this.url})`,
          ),
        };
      }
    }
    return this.jsonValue;
  }

  /** `24 bytes, text/html`: what came instead of JSON, without quoting it. */
  private describeBody(): string {
    const type = this.headers().get('content-type');
    let n = 0;
    for (const c of this.chunks) n += c.length;
    return `${n} byte${n === 1 ? '' : 's'}${type ? `, ${type}` : ''}`;
  }

  read(source: string, property: string | undefined): { value?: unknown; error?: CheckError } {
    switch (source) {
      case 'status':
        return { value: this.status };
      case 'latency':
        return { value: this.latency };
      case 'header':
        return property === undefined ? {} : { value: this.headers().get(property.toLowerCase()) };
      case 'text':
        return { value: this.text() };
      case 'json': {
        const doc = this.json();
        if (doc.error) return doc;
        const path = parseJsonPath(property ?? '$');
        if ('error' in path) return { error: fail('ASSERTION', path.error) };
        const r = readJsonPath(doc.value, path.segments);
        return r.found ? { value: r.value } : {};
      }
      default:
        return {};
    }
  }
}

/** Runs one attempt of an http check. Never throws for anything the target does. */
export async function runHttp(check: ValidatedHttpCheck, ctx: ProbeContext): Promise<ProbeOutcome> {
  const start = now();
  let url: URL;
  try {
    url = new URL(check.url);
  } catch {
    return { error: fail('NETWORK', `not a valid URL: ${check.url}`), timings: { total: 0 } };
  }

  const unresolved = (what: string): ProbeOutcome => ({
    error: fail('SECRET', `${what} of ${displayUrl(url)} was not resolved to a value`),
    timings: { total: 0 },
  });
  // Query values given apart (secret references): appended as is, the URL's own query untouched.
  for (const [k, v] of Object.entries(check.query)) {
    if (typeof v !== 'string') return unresolved(`query parameter "${k}"`);
    const pair = `${encodeURIComponent(k)}=${encodeURIComponent(v)}`;
    url.search = url.search ? `${url.search}&${pair}` : `?${pair}`;
  }
  let method: string = check.method;
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(check.headers)) {
    if (typeof v !== 'string') return unresolved(`header "${k}"`);
    headers[k] = v;
  }
  if (check.auth && !hasHeader(headers, 'authorization')) {
    const { username, password } = check.auth;
    if (typeof username !== 'string' || typeof password !== 'string') return unresolved('auth');
    // The pair is a secret of its own: its base64 (the header) and URL forms are scrubbed too.
    ctx.secret?.(`${username}:${password}`);
    headers.authorization = `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
  }
  if (!hasHeader(headers, 'user-agent')) headers['user-agent'] = USER_AGENT;
  let body: string | undefined;
  if (typeof check.body === 'string') body = check.body;
  else if (check.body !== undefined && check.body !== null) {
    body = JSON.stringify(check.body);
    if (!hasHeader(headers, 'content-type')) headers['content-type'] = 'application/json';
  }

  const env: HopEnv = {
    signal: ctx.signal,
    timeoutMs: ctx.timeoutMs,
    maxBodyBytes: check.maxBodyBytes,
    follow: check.followRedirects,
    lookup: ctx.lookup ?? (dns.lookup as unknown as LookupFunction),
    insecure: check.tls?.insecure === true,
  };
  const maxRedirects = check.maxRedirects;
  const redirects: string[] = [];
  const chain: string[] = [displayUrl(url)];
  const seen = new Set<string>([url.href.replace(/#.*$/, '')]);

  const failed = (error: CheckError, hop?: HopResult, display = displayUrl(url)): ProbeOutcome => {
    const end = now();
    const details: Record<string, unknown> = { finalUrl: display, redirects };
    if (hop) {
      if (hop.status !== undefined) details.statusCode = hop.status;
      if (hop.bodyBytes) details.bodyBytes = hop.bodyBytes;
      if (hop.st.remoteAddress) details.remoteAddress = hop.st.remoteAddress;
      if (hop.st.tlsDetails) details.tls = hop.st.tlsDetails;
    }
    return { error, timings: hop ? timingsOf(hop, start, end) : { total: round(end - start) }, details };
  };

  for (;;) {
    const display = displayUrl(url);
    if (ctx.signal.aborted) return failed(fail('TIMEOUT', `no response within ${ctx.timeoutMs}ms from ${display}`));
    const target = targetOf(url);
    if (target.https) {
      try {
        env.secureContext = trustContext(check.tls?.ca);
      } catch (e) {
        return failed(fail('TLS', (e as Error).message));
      }
    }
    const hop = await runHop({ url, display, target, method, headers: hopHeaders(headers, url), body }, env);
    if (hop.error) return failed(hop.error, hop, display);

    if (hop.redirect) {
      const location = headerOf(hop.rawHeaders, 'location')!;
      let next: URL;
      try {
        next = new URL(location, url);
      } catch {
        return failed(
          fail('PROTOCOL', `${display} redirects to an invalid Location "${location.slice(0, 200)}"`),
          hop,
          display,
        );
      }
      if (next.protocol !== 'http:' && next.protocol !== 'https:')
        return failed(
          fail('PROTOCOL', `${display} redirects to an unsupported URL scheme "${next.protocol}"`),
          hop,
          display,
        );
      const nextDisplay = displayUrl(next);
      const key = next.href.replace(/#.*$/, '');
      if (seen.has(key))
        return failed(fail('REDIRECT_LOOP', `redirect loop: ${[...chain, nextDisplay].join(' → ')}`), hop, display);
      if (redirects.length >= maxRedirects)
        return failed(
          fail(
            'TOO_MANY_REDIRECTS',
            `more than ${maxRedirects} redirect${maxRedirects === 1 ? '' : 's'} starting at ${chain[0]} ` +
              `(next: ${nextDisplay})`,
          ),
          hop,
          display,
        );
      seen.add(key);
      chain.push(nextDisplay);
      redirects.push(nextDisplay);
      // fetch semantics: 303 turns anything but HEAD into GET; 301/302 turn POST into GET.
      const status = hop.status!;
      if (
        (status === 303 && method !== 'GET' && method !== 'HEAD') ||
        ((status === 301 || status === 302) && method === 'POST')
      ) {
        method = 'GET';
        body = undefined;
        dropHeaders(headers, BODY_HEADERS);
      }
      if (next.origin !== url.origin) dropHeaders(headers, CREDENTIAL_HEADERS);
      url = next;
      continue;
    }

    const end = now();
    const timings = timingsOf(hop, start, end);
    const total = timings.total!;
    const details: Record<string, unknown> = {
      statusCode: hop.status,
      httpVersion: hop.st.httpVersion ?? '1.1',
      finalUrl: display,
      redirects,
      bodyBytes: hop.bodyBytes,
    };
    if (hop.st.remoteAddress) details.remoteAddress = hop.st.remoteAddress;
    if (hop.st.tlsDetails) details.tls = hop.st.tlsDetails;
    return {
      timings,
      latencyMs: total,
      details,
      observations: new HttpObservations(hop.status!, total, hop.rawHeaders ?? [], hop.chunks, display),
    };
  }
}
