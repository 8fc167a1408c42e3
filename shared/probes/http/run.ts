/**
 * One run of an `http` check: the request built from the check (query, headers, auth, body),
 * hops run one by one (hop.ts) with redirects followed by hand under fetch's rules, and every
 * misbehaviour returned as a coded outcome. Assertions are not evaluated here: the probe only
 * offers observations (observations.ts).
 */
import * as dns from 'node:dns';
import type { ValidatedHttpCheck } from './index';
import type { LookupFunction } from 'node:net';
import type { CheckError } from '../../types';
import type { ProbeContext, ProbeOutcome } from '../types';
import { trustContext } from '../trust';
import { fail, now, round } from '../net';
import { targetOf } from './connector';
import { displayUrl } from './display-url';
import { headerOf, runHop, timingsOf, type HopEnv, type HopResult } from './hop';
import { HttpObservations } from './observations';

export const USER_AGENT = 'watchpost/0.1';
export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;
/** Headers that describe a body: dropped with the body when a redirect turns the request into a GET. */
const BODY_HEADERS = ['content-type', 'content-length', 'content-encoding', 'content-language', 'content-location'];
/** Credentials that must not follow a redirect to another origin (fetch drops Authorization too). */
const CREDENTIAL_HEADERS = ['authorization', 'proxy-authorization', 'cookie'];

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
