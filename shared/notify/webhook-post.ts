/**
 * Posting a webhook request: a timeout per attempt, retries on network errors, 429 and 5xx
 * (a Retry-After up to 5 s wins), a response body read to at most {@link ERROR_BODY_LIMIT}
 * bytes and then dropped, errors redacted. Never throws: every failure is an outcome.
 */
import { request, type Dispatcher } from 'undici';
import { silentLog, type Log } from '../log';
import { retry } from '../retry';
import { redact } from '../secrets';
import type { WebhookOutcome, WebhookRequest } from './webhooks';

/** How much of a response body is read (error bodies are logged, redacted, from it). */
export const ERROR_BODY_LIMIT = 4096;

export interface DeliverOptions {
  /** An undici dispatcher (tests: one that trusts a test CA). @default undici's global one */
  dispatcher?: Dispatcher;
  /** Per attempt. @default 5000 */
  timeoutMs?: number;
  /** Retries after a network error, 429 or 5xx. @default 2 */
  retries?: number;
  /** First retry delay, ×4 per retry (a Retry-After up to 5 s wins). @default 250 */
  backoffMs?: number;
  /** Secret values to scrub from errors. */
  secrets?: ReadonlySet<string>;
  log?: Log;
}

function origin(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return '(invalid URL)';
  }
}

/**
 * Reads a body to at most `limit` bytes, then destroys it (the rest is never downloaded).
 * Never throws: a body that breaks off gives what came.
 */
export async function readCapped(
  body: AsyncIterable<Uint8Array | string> & { destroy(error?: Error): unknown },
  limit = ERROR_BODY_LIMIT,
): Promise<{ text: string; bytes: number; cut: boolean }> {
  const chunks: Buffer[] = [];
  let bytes = 0;
  let cut = false;
  try {
    for await (const chunk of body) {
      const buf = typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk);
      const room = limit - bytes;
      chunks.push(buf.length > room ? buf.subarray(0, room) : buf);
      bytes += Math.min(room, buf.length);
      if (buf.length >= room) {
        cut = true;
        break;
      }
    }
  } catch {
    /* a body that breaks off: keep what came */
  } finally {
    body.destroy();
  }
  return { text: Buffer.concat(chunks).toString('utf8'), bytes, cut };
}

/** Redacted first, then shortened (a secret cut in half would survive redaction). */
function excerpt(text: string, secrets: ReadonlySet<string>, max = 300): string {
  const flat = redact(text, secrets).replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max)}…` : flat;
}

/** Statuses worth another try: the receiver is busy or broken, not refusing this page. */
const retryableStatus = (status: number) => status === 429 || status === 408 || status >= 500;

/** One POST; never throws. `retryAfterMs` when the receiver asked for a wait (at most 5 s). */
async function postOnce(
  req: WebhookRequest,
  body: string,
  attempt: number,
  opts: DeliverOptions & { timeoutMs: number; secrets: ReadonlySet<string> },
): Promise<WebhookOutcome & { again?: boolean; retryAfterMs?: number }> {
  const base = { name: req.name, action: req.action, attempts: attempt };
  try {
    const res = await request(req.url, {
      method: 'POST',
      headers: req.headers,
      body,
      dispatcher: opts.dispatcher,
      headersTimeout: opts.timeoutMs,
      bodyTimeout: opts.timeoutMs,
      signal: AbortSignal.timeout(opts.timeoutMs),
    });
    const { text } = await readCapped(res.body);
    if (res.statusCode >= 200 && res.statusCode < 300) return { ...base, ok: true, status: res.statusCode };
    const error = `HTTP ${res.statusCode}: ${excerpt(text, opts.secrets)}`;
    const after = Number(res.headers['retry-after']);
    const retryAfterMs = Number.isFinite(after) && after >= 0 ? Math.min(5_000, after * 1000) : undefined;
    return { ...base, ok: false, status: res.statusCode, error, again: retryableStatus(res.statusCode), retryAfterMs };
  } catch (e) {
    const err = e as Error & { code?: string; cause?: { code?: string; message?: string } };
    const why =
      err.name === 'TimeoutError' || err.name === 'AbortError'
        ? `no answer within ${opts.timeoutMs} ms`
        : `${err.code ?? err.cause?.code ?? err.name}: ${err.cause?.message ?? err.message}`;
    return { ...base, ok: false, error: redact(why, opts.secrets), again: true };
  }
}

/** Posts one request with timeout and retries (shared/retry.ts: ×4 backoff, no jitter); never throws. */
export async function deliverWebhook(req: WebhookRequest, opts: DeliverOptions = {}): Promise<WebhookOutcome> {
  const timeoutMs = opts.timeoutMs ?? 5_000;
  const secrets = opts.secrets ?? new Set<string>();
  const log = opts.log ?? silentLog;
  let last: WebhookOutcome = { name: req.name, action: req.action, ok: false, attempts: 0 };
  let parsed: URL | undefined;
  try {
    parsed = new URL(req.url);
  } catch {
    /* reported below */
  }
  if (parsed?.protocol !== 'https:') {
    last = { ...last, error: 'the webhook URL is not an https:// URL' };
  } else {
    const body = JSON.stringify(req.body);
    let tried: WebhookOutcome | undefined;
    const each = { ...opts, timeoutMs, secrets };
    const post = async (attempt: number) => (tried = await postOnce(req, body, attempt, each));
    const out = await retry(({ attempt }) => post(attempt), {
      attempts: Math.max(0, opts.retries ?? 2) + 1,
      baseMs: opts.backoffMs ?? 250,
      factor: 4,
      capMs: Number.POSITIVE_INFINITY,
      jitter: 'none',
      again: (o) => !o.ok && o.again === true,
      delayFor: ({ value }) => value?.retryAfterMs,
      onRetry: ({ attempt }) =>
        log.debug('webhook retry', { webhook: req.name, origin: origin(req.url), attempt, error: tried?.error }),
    });
    const { again: _again, retryAfterMs: _after, ...outcome } = out.value!;
    if (outcome.ok) return outcome;
    last = outcome;
  }
  log.warn('webhook not delivered', {
    webhook: req.name,
    format: req.format,
    action: req.action,
    origin: parsed ? parsed.origin : '(invalid URL)',
    status: last.status,
    attempts: last.attempts,
    error: last.error,
  });
  return last;
}

/** Posts every request in parallel; never throws. */
export function deliverWebhooks(
  requests: readonly WebhookRequest[],
  opts: DeliverOptions = {},
): Promise<WebhookOutcome[]> {
  return Promise.all(requests.map((r) => deliverWebhook(r, opts)));
}
