/**
 * Pages for incident systems over HTTPS: watchpost's own JSON (`generic`), PagerDuty Events API
 * v2 and the Opsgenie Alert API. The notifier posts them itself (an SNS HTTPS subscription
 * would deliver SNS's envelope, which neither PagerDuty nor Opsgenie reads).
 *
 * One incident per alarm: every message of an alarm carries the same dedup key
 * (`watchpost/<project>/<alarm key>`), so the incident opens once on the first page and
 * resolves on recovery. Flapping keeps it open.
 *
 * Delivery never throws: each webhook gets a timeout and retries (network errors, 429, 5xx)
 * and comes back as an outcome that the caller logs. Secrets (routing keys, API keys, secret
 * headers or URLs) are resolved only to build the request and never logged. A response body is
 * read to at most {@link ERROR_BODY_LIMIT} bytes, then the connection is dropped: a receiver
 * answering 400 MB cannot grow the notifier's memory. A page still undelivered after these
 * quick tries is retried for half an hour (shared/notify/retry.ts).
 */
import { createHash } from 'node:crypto';
import { request, type Dispatcher } from 'undici';
import type { NotifyWebhook } from '../config/types';
import { silentLog, type Log } from '../log';
import { retry } from '../retry';
import { addSecret, redact, SecretError, type SecretResolver } from '../secrets';
import { isSecretRef, type MaybeSecret } from '../types';
import { DEFAULT_WEBHOOK_URL, type WebhookFormat } from './config';
import { emailText } from './format-email';
import { summaryParts, fitParts } from './format-sms';
import { truncateWords } from './gsm';
import type { Incident } from './message';

export type WebhookAction = 'trigger' | 'resolve';

export interface WebhookRequest {
  /** The webhook's name from the config. */
  name: string;
  format: WebhookFormat;
  action: WebhookAction;
  url: string;
  headers: Record<string, string>;
  body: unknown;
}

export interface WebhookOutcome {
  name: string;
  action: WebhookAction;
  ok: boolean;
  /** HTTP status of the last attempt. */
  status?: number;
  attempts: number;
  /** Why it failed (secrets redacted). */
  error?: string;
  /** Not delivered now: queued to be tried again in this many seconds. */
  retryInSeconds?: number;
  /** Not delivered and not queued either (the retry queue failed): the page is lost, loudly. */
  lost?: boolean;
  /** Delivered before (a retried event or message): not sent again. */
  duplicate?: boolean;
}

/** How much of a response body is read (error bodies are logged, redacted, from it). */
export const ERROR_BODY_LIMIT = 4096;

/**
 * The id of one page (an incident's trigger or resolve at one time) that is the same on every
 * retry: generic receivers dedupe on it (`id` in the payload, `idempotency-key` header); the
 * notifier's delivery ledger records it.
 */
export function deliveryId(i: Pick<Incident, 'dedupKey' | 'at'>, action: WebhookAction): string {
  return createHash('sha256').update(`${i.dedupKey}\n${action}\n${i.at}`).digest('hex').slice(0, 32);
}

/** A recovery resolves the incident; everything else (a problem, flapping, a test) triggers it. */
export const webhookAction = (i: Incident): WebhookAction => (i.kind === 'recovery' ? 'resolve' : 'trigger');

/** The one-line summary without a length limit (ITSM titles have their own limits). */
export function summaryLine(i: Incident, max = 1024): string {
  return fitParts(summaryParts(i), max, (s) => s.length);
}

/** watchpost's own payload (format `generic`). */
export function genericPayload(i: Incident, action: WebhookAction = webhookAction(i)) {
  return {
    version: 1,
    source: 'watchpost',
    id: deliveryId(i, action),
    event: action,
    kind: i.kind,
    dedupKey: i.dedupKey,
    project: i.project,
    severity: i.severity,
    status: i.word,
    problem: i.problem,
    summary: summaryLine(i),
    check: i.check ?? null,
    alarm: i.alarm ?? null,
    runnerRegion: i.runnerRegion ?? null,
    affectedRegions: i.affected,
    totalRegions: i.total,
    headline: i.headline ?? null,
    detail: i.detail ?? null,
    reason: i.reason ?? null,
    since: i.since,
    at: i.at,
    lastedMs: i.lastedMs ?? null,
    flapping: i.flapping ?? null,
    regions: i.regions,
    links: i.links,
  };
}

function pagerDutyEvent(i: Incident, routingKey: string, action: WebhookAction) {
  if (action === 'resolve') return { routing_key: routingKey, event_action: 'resolve', dedup_key: i.dedupKey };
  const links = [
    ['Runbook', i.links.runbook],
    ['Dashboard', i.links.dashboard],
    ['CloudWatch alarm', i.links.alarm],
  ].flatMap(([text, href]) => (href ? [{ href, text }] : []));
  return {
    routing_key: routingKey,
    event_action: 'trigger',
    dedup_key: i.dedupKey,
    payload: {
      summary: summaryLine(i, 1024),
      source: i.check?.target ?? (i.runnerRegion ? `watchpost runner ${i.runnerRegion}` : `watchpost ${i.project}`),
      severity: i.kind === 'test' ? 'info' : i.severity,
      timestamp: i.since,
      component: i.subject,
      group: i.project,
      class: i.alarmType,
      custom_details: {
        status: i.word,
        ...(i.headline ? { headline: i.headline } : {}),
        ...(i.detail ? { detail: i.detail } : {}),
        ...(i.reason ? { reason: `${i.reason.code}: ${i.reason.message}` } : {}),
        affected_regions: i.affected.join(', '),
        since: i.since,
        ...(i.flapping ? { flapping: `${i.flapping.changes} changes, now ${i.flapping.state}` } : {}),
        ...Object.fromEntries(
          i.regions.map((r) => [
            `region ${r.region}`,
            `${r.status}${r.error ? ` ${r.error.code}: ${r.error.message}` : ''}` +
              `${r.degraded ? ` ${r.degraded.code}: ${r.degraded.message}` : ''} (${r.durationMs} ms)`,
          ]),
        ),
        ...(i.alarm ? { alarm: i.alarm.name } : {}),
      },
    },
    client: `watchpost ${i.project}`,
    ...(i.links.dashboard ? { client_url: i.links.dashboard } : {}),
    links,
  };
}

const OPSGENIE_PRIORITY = { critical: 'P1', warning: 'P3' } as const;

function opsgenieAlert(i: Incident) {
  const details: Record<string, string> = { status: i.word, project: i.project, since: i.since };
  if (i.check) details.check = i.check.id;
  if (i.affected.length) details.affectedRegions = i.affected.join(', ');
  if (i.headline) details.headline = i.headline;
  if (i.reason) details.reason = `${i.reason.code}: ${i.reason.message}`;
  if (i.links.runbook) details.runbook = i.links.runbook;
  if (i.links.dashboard) details.dashboard = i.links.dashboard;
  if (i.links.alarm) details.alarm = i.links.alarm;
  return {
    message: truncateWords(summaryLine(i), 130, (s) => s.length) || i.word,
    alias: i.dedupKey,
    description: emailText(i).slice(0, 15_000),
    priority: i.kind === 'test' ? 'P5' : OPSGENIE_PRIORITY[i.severity],
    source: 'watchpost',
    entity: i.subject,
    tags: ['watchpost', i.project, i.alarmType, i.severity],
    details,
  };
}

/**
 * The request one webhook gets for an incident. `secret(name)` gives a secret's value; the
 * preview passes a placeholder, so nothing secret is ever printed.
 */
export function buildWebhookRequest(
  i: Incident,
  hook: NotifyWebhook,
  secret: (name: string) => string,
  action: WebhookAction = webhookAction(i),
): WebhookRequest {
  const value = (v: MaybeSecret) => (isSecretRef(v) ? secret(v.secret) : v);
  // The body is built from the incident: scrub it first (the URL and headers must keep their secrets).
  i = redact(i);
  const format = hook.format;
  let url = hook.url !== undefined ? value(hook.url) : format === 'generic' ? '' : DEFAULT_WEBHOOK_URL[format];
  const headers: Record<string, string> = {
    'user-agent': 'watchpost-notifier',
    ...Object.fromEntries(Object.entries(hook.headers ?? {}).map(([k, v]) => [k.toLowerCase(), value(v)])),
  };
  headers['content-type'] = 'application/json';
  let body: unknown;
  if (format === 'pagerduty') body = pagerDutyEvent(i, hook.routingKey ? secret(hook.routingKey.secret) : '', action);
  else if (format === 'opsgenie') {
    headers.authorization = `GenieKey ${hook.apiKey ? secret(hook.apiKey.secret) : ''}`;
    if (action === 'resolve') {
      url = `${url.replace(/\/+$/, '')}/${encodeURIComponent(i.dedupKey)}/close?identifierType=alias`;
      body = { source: 'watchpost', note: summaryLine(i, 1000) };
    } else body = opsgenieAlert(i);
  } else {
    body = genericPayload(i, action);
    headers['idempotency-key'] ??= deliveryId(i, action);
  }
  return { name: hook.name, format, action, url, headers, body };
}

/** The secret names a webhook references. */
function secretsOf(hook: NotifyWebhook): string[] {
  return [hook.url, hook.routingKey, hook.apiKey, ...Object.values(hook.headers ?? {})].flatMap((v) =>
    isSecretRef(v) ? [v.secret] : [],
  );
}

/**
 * Resolves each webhook's secrets and builds its request. A webhook whose secret cannot be read
 * comes back as a failed outcome (the others still go out). `values` collects the secret values
 * (for redaction).
 */
export async function webhookRequests(
  i: Incident,
  hooks: readonly NotifyWebhook[],
  resolve: SecretResolver,
  values: Set<string> = new Set(),
  action: WebhookAction = webhookAction(i),
): Promise<{ requests: WebhookRequest[]; failures: WebhookOutcome[] }> {
  const requests: WebhookRequest[] = [];
  const failures: WebhookOutcome[] = [];
  await Promise.all(
    hooks.map(async (hook) => {
      const resolved = new Map<string, string>();
      try {
        for (const name of new Set(secretsOf(hook))) {
          const v = await resolve(name);
          resolved.set(name, v);
          addSecret(v);
          values.add(v);
        }
      } catch (e) {
        const name = e instanceof SecretError ? e.secretName : '?';
        failures.push({
          name: hook.name,
          action,
          ok: false,
          attempts: 0,
          error: `secret "${name}" cannot be read: ${e instanceof SecretError ? e.message : (e as Error).name}`,
        });
        return;
      }
      requests.push(buildWebhookRequest(i, hook, (n) => resolved.get(n) ?? '', action));
    }),
  );
  return { requests, failures };
}

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
