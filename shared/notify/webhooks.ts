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
import type { NotifyWebhook } from '../config/types';
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
    dependents: i.dependents ?? [],
    channelProblems: i.channelProblems ?? [],
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
        ...(i.dependents?.length ? { dependent_checks_down: i.dependents.join(', ') } : {}),
        ...(i.channelProblems?.length ? { delivery_problems: i.channelProblems.join('; ') } : {}),
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

export { deliverWebhook, deliverWebhooks, ERROR_BODY_LIMIT, readCapped, type DeliverOptions } from './webhook-post';
