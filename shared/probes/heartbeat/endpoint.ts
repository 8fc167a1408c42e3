/**
 * The ping endpoint as a pure function: request in, response out. The Lambda function URL
 * handler (`functions/heartbeat`) and the local server (`local-server.ts`) are thin adapters.
 *
 * Routes (GET, HEAD or POST; the job sends `Authorization: Bearer <token>`):
 *   /ping/<id>        the job finished well
 *   /ping/<id>/start  the job started
 *   /ping/<id>/fail   the job failed
 *   /ping/<id>/<code> the job exited with this code: 0 finished well, 1–255 failed
 * `?rid=<uuid>` on a start and its end pairs them, so overlapping runs are timed right.
 *
 * Unknown ids, disabled checks, a missing or wrong token all get the same 404 (so the endpoint
 * does not reveal which ids exist), and tokens are compared in constant time. Bodies are capped
 * (413). Rate limits (`limits.ts`) run first, per source address and per check, before any
 * token is read or compared: a throttled request (429) costs a map lookup. A check whose token
 * is shorter than {@link MIN_TOKEN_LENGTH} accepts no pings.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { ValidatedConfig } from '../../config/types';
import { silentLog, type Log } from '../../log';
import type { SecretResolver } from '../../secrets';
import { isThrottle, sourceKey, type PingLimits, type Throttle } from './limits';
import type { PingSignal, PingStore } from './ping-store';

/** Shortest token the endpoint accepts (and the runner: the check fails with `TOKEN_TOO_SHORT`). */
export const MIN_TOKEN_LENGTH = 16;

/** Largest body accepted (the job may POST its output; the first 10 KiB of it is kept). */
export const MAX_PING_BODY_BYTES = 16 * 1024;

export interface PingRequest {
  method: string;
  /** Path, with or without a query string: `/ping/nightly-export/start`. */
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body?: string | Uint8Array;
  /** The caller's address (socket peer; in Lambda `requestContext.http.sourceIp`), for the rate limits. */
  source?: string;
}

export interface PingResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

export interface PingDeps {
  /** Enabled heartbeat checks: id → secret name of its token. See {@link heartbeatTokens}. */
  checks: ReadonlyMap<string, string>;
  /**
   * Reads a token by secret name. In AWS the bootstrap's Secrets Manager provider, which caches
   * with a maximum age (Secrets Manager costs per call); locally the environment, read each time.
   */
  secrets: SecretResolver;
  store: Pick<PingStore, 'record'> & Partial<Pick<PingStore, 'markShortToken'>>;
  /** Rate limits per source and per check, checked before authentication. @default none */
  limits?: PingLimits;
  log?: Log;
  /** @default Date.now */
  now?: () => number;
}

/** The heartbeat checks of a config that accept pings: enabled ones, id → token secret name. */
export function heartbeatTokens(config: Pick<ValidatedConfig, 'checks'>): Map<string, string> {
  const out = new Map<string, string>();
  for (const c of config.checks) {
    if (c.kind !== 'heartbeat' || c.enabled === false) continue;
    const token = (c as { token?: unknown }).token;
    if (token && typeof token === 'object' && typeof (token as { secret?: unknown }).secret === 'string')
      out.set(c.id, (token as { secret: string }).secret);
  }
  return out;
}

const ROUTE = /^\/ping\/([a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?)(?:\/(start|fail|\d{1,9}))?\/?$/;
/** A run id: a UUID as `uuidgen` writes it, or any id of letters, digits, `-`, `_`, `.` (up to 64). */
const RID = /^[A-Za-z0-9._-]{1,64}$/;
const digest = (v: string) => createHash('sha256').update(v, 'utf8').digest();
/** Compared against when the id is unknown, so both paths do the same work. */
const DUMMY = digest(randomBytes(32).toString('hex'));

const json = (statusCode: number, body: Record<string, unknown>, extra: Record<string, string> = {}): PingResponse => ({
  statusCode,
  headers: { 'content-type': 'application/json', 'cache-control': 'no-store', ...extra },
  body: `${JSON.stringify(body)}\n`,
});
/** The one answer for unknown route, unknown id, disabled check and wrong/missing token. */
const notFound = () => json(404, { error: 'not found' });

function header(headers: PingRequest['headers'], name: string): string | undefined {
  for (const [k, v] of Object.entries(headers)) {
    if (k.toLowerCase() === name) return Array.isArray(v) ? v[0] : v;
  }
  return undefined;
}

function bearer(headers: PingRequest['headers']): string | undefined {
  const h = header(headers, 'authorization');
  const m = h ? /^Bearer\s+(\S+)\s*$/i.exec(h) : null;
  return m ? m[1] : undefined;
}

/** Handles one request. Never throws: store trouble is a 503, anything else a 500. HEAD gets no body. */
export async function handlePing(req: PingRequest, deps: PingDeps): Promise<PingResponse> {
  let res: PingResponse;
  try {
    res = await handle(req, deps);
  } catch (e) {
    (deps.log ?? silentLog).error('ping endpoint failed', { error: (e as Error)?.message ?? String(e) });
    res = json(500, { error: 'internal error' });
  }
  return req.method.toUpperCase() === 'HEAD' ? { ...res, body: '' } : res;
}

/** The 429, and at most one log line a minute about all of them (`fields`: the latest one). */
function throttled(t: Throttle, deps: PingDeps, fields: Record<string, unknown>): PingResponse {
  const n = deps.limits!.report();
  if (n !== undefined) {
    (deps.log ?? silentLog).warn('pings throttled', { ...fields, by: t.by, throttledSinceLastReport: n });
  }
  const why = t.by === 'pings' ? 'too many pings for this check' : 'too many requests';
  return json(429, { error: `${why}, retry after ${t.retryAfter}s` }, { 'retry-after': String(t.retryAfter) });
}

async function handle(req: PingRequest, deps: PingDeps): Promise<PingResponse> {
  const log = deps.log ?? silentLog;
  const path = req.path.split('?')[0]!;
  const m = ROUTE.exec(path);
  const id = m?.[1];
  const secretName = id === undefined ? undefined : deps.checks.get(id);
  const source = sourceKey(req.source);

  // First, before any work: a throttled request reads no secret, no store, compares nothing.
  const ticket = deps.limits?.admit(source, secretName === undefined ? undefined : id);
  if (ticket && isThrottle(ticket)) return throttled(ticket, deps, { source, ...(secretName ? { checkId: id } : {}) });

  const method = req.method.toUpperCase();
  if (method !== 'GET' && method !== 'POST' && method !== 'HEAD')
    return json(405, { error: 'method not allowed' }, { allow: 'GET, HEAD, POST' });

  const size =
    req.body === undefined ? 0 : typeof req.body === 'string' ? Buffer.byteLength(req.body) : req.body.byteLength;
  if (size > MAX_PING_BODY_BYTES) return json(413, { error: `body larger than ${MAX_PING_BODY_BYTES} bytes` });

  if (!m || id === undefined) return notFound();
  const word = m[2];
  const exitCode = word !== undefined && /^\d+$/.test(word) ? Number(word) : undefined;
  if (exitCode !== undefined && exitCode > 255)
    return json(400, { error: `exit code ${word} out of range: send 0 (success) to 255` });
  const signal: PingSignal =
    exitCode !== undefined ? (exitCode === 0 ? 'success' : 'fail') : ((word as PingSignal | undefined) ?? 'success');
  const rid = new URLSearchParams(req.path.split('?')[1] ?? '').get('rid') ?? undefined;
  if (rid !== undefined && !RID.test(rid))
    return json(400, { error: 'rid must be a UUID (or up to 64 letters, digits, "-", "_", ".")' });

  const given = bearer(req.headers);
  let expected = DUMMY;
  if (secretName !== undefined) {
    let token: string;
    try {
      token = await deps.secrets(secretName);
    } catch (e) {
      // Same answer as a wrong token (the id must not leak); the operator finds it in the log.
      log.error('heartbeat token cannot be read', { checkId: id, secret: secretName, error: (e as Error).message });
      return notFound();
    }
    if (token.length < MIN_TOKEN_LENGTH) {
      // A short token can be guessed: refuse every ping until a longer one is stored (the check fails too).
      log.error('heartbeat token too short: pings refused', {
        checkId: id,
        secret: secretName,
        length: token.length,
        minimum: MIN_TOKEN_LENGTH,
        hint: 'store a token of 16+ characters, e.g. openssl rand -hex 16',
      });
      // The runner never reads tokens (least privilege): the check learns of it from the ping state.
      await deps.store.markShortToken?.(id, token.length).catch(() => {});
      return notFound();
    }
    expected = digest(token);
  }
  // Always compare (same work whether or not the id exists); digests have equal length. The one
  // difference left is a token read on a cache miss for a known id: ids are not secrets, tokens are.
  const match = timingSafeEqual(digest(given ?? ''), expected);
  if (!match || secretName === undefined || given === undefined) {
    // Bad tokens for a real check are few (the per-check limit) and worth a line; unknown ids are noise.
    if (secretName === undefined) log.debug('ping rejected', { path: path.slice(0, 80), source, reason: 'unknown id' });
    else log.info('ping rejected', { checkId: id, source, reason: given === undefined ? 'no token' : 'bad token' });
    return notFound();
  }

  const over = ticket ? deps.limits!.authenticated(ticket, id) : undefined;
  if (over) return throttled(over, deps, { source, checkId: id, signal });
  const at = (deps.now ?? Date.now)();
  try {
    const body = size > 0 ? req.body : undefined;
    const extra = { ...(exitCode !== undefined ? { exitCode } : {}), ...(rid !== undefined ? { rid } : {}) };
    const { durationMs } = await deps.store.record(id, signal, { at, body, ...extra });
    const timed = durationMs !== undefined ? { durationMs } : {};
    log.info('ping', { checkId: id, signal, ...extra, ...timed });
    return json(200, { ok: true, check: id, signal, ...extra, at: new Date(at).toISOString(), ...timed });
  } catch (e) {
    log.error('ping not stored', { checkId: id, signal, error: (e as Error).message });
    return json(503, { error: 'the ping could not be stored, try again' }, { 'retry-after': '5' });
  }
}
