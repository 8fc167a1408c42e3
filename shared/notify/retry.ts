/**
 * Webhook pages are delivered or loudly given up. A page whose webhook failed its quick tries
 * (shared/notify/webhooks.ts) is queued and tried again with a growing delay (15 s, 30 s, 1 m …
 * at most 15 m between tries) until half an hour has passed since the first failure; then it is
 * given up: put on the dead-letter queue (an alarm on it pages) and logged as one line that
 * names the webhook and the incident.
 *
 * The queued message holds the webhook's name, the incident and the page's delivery id, never
 * a secret: each try re-reads the secrets and rebuilds the request from the config. In AWS the
 * queue is SQS (retry-sqs.ts), locally a timer in the process (local-webhooks.ts); both run the
 * code below. A delivery ledger makes a retry of a page that was already delivered a no-op.
 */
import type { NotifyWebhook, ValidatedConfig } from '../config/types';
import type { Log } from '../log';
import type { SecretResolver } from '../secrets';
import type { Incident } from './message';
import {
  deliverWebhook,
  deliveryId,
  webhookRequests,
  type DeliverOptions,
  type WebhookAction,
  type WebhookOutcome,
  type WebhookRequest,
  webhookAction,
} from './webhooks';

/** A page waiting for another try. No secret: the request is rebuilt from the config. */
export interface RetryMessage {
  v: 1;
  /** The webhook's name in `notify.webhooks`. */
  webhook: string;
  action: WebhookAction;
  /** The page's delivery id (the same on every try). */
  id: string;
  incident: Incident;
  /** ISO time of the first failed delivery. */
  firstFailedAt: string;
  /** Tries so far, the first delivery included. */
  tries: number;
  /** Why the last try failed (secrets redacted). */
  lastError?: string;
}

/** A given-up page as it lands on the dead-letter queue. */
export interface GivenUpMessage extends RetryMessage {
  gaveUpAt: string;
  reason: string;
}

export interface RetryPolicy {
  /** Delay before retry `n` (0 = the first retry), in seconds. */
  delaySeconds(n: number): number;
  /** A failed try this long after the first failure gives the page up. */
  giveUpAfterMs: number;
}

/** 15 s, doubling, at most 15 minutes (SQS's DelaySeconds limit); given up after 30 minutes. */
export const RETRY_POLICY: RetryPolicy = {
  delaySeconds: (n) => Math.min(900, 15 * 2 ** Math.max(0, n)),
  giveUpAfterMs: 30 * 60_000,
};

export interface RetryQueue {
  /** Queues the message to be tried again after `delaySeconds`. Throws when it cannot. */
  retry(message: RetryMessage, delaySeconds: number): Promise<void>;
  /** Puts a given-up page on the dead-letter queue. Throws when it cannot. */
  giveUp(message: GivenUpMessage): Promise<void>;
}

/** Which pages reached which webhook (so a retry never sends one twice). */
export interface DeliveryLedger {
  delivered(webhook: string, id: string): Promise<boolean>;
  markDelivered(webhook: string, id: string): Promise<void>;
}

export class MemoryDeliveryLedger implements DeliveryLedger {
  private readonly done = new Set<string>();
  async delivered(webhook: string, id: string): Promise<boolean> {
    return this.done.has(`${webhook}\n${id}`);
  }
  async markDelivered(webhook: string, id: string): Promise<void> {
    this.done.add(`${webhook}\n${id}`);
  }
}

export interface RetryDeps {
  config: Pick<ValidatedConfig, 'notify'>;
  secrets: SecretResolver;
  queue: RetryQueue;
  ledger?: DeliveryLedger;
  deliver?: Omit<DeliverOptions, 'log' | 'secrets'>;
  policy?: RetryPolicy;
  /** @default Date.now */
  now?: () => number;
  log: Log;
}

/** The fields that name a page in a log line (no secrets: the incident carries none). */
export function pageFields(m: Pick<RetryMessage, 'webhook' | 'action' | 'id' | 'incident'>): Record<string, unknown> {
  const i = m.incident;
  return {
    webhook: m.webhook,
    action: m.action,
    deliveryId: m.id,
    incident: i.dedupKey,
    status: i.word,
    check: i.check?.id ?? i.subject,
    alarm: i.alarm?.name,
    since: i.since,
  };
}

const errorText = (e: unknown) => `${(e as Error).name}: ${(e as Error).message}`;

async function seen(ledger: DeliveryLedger | undefined, webhook: string, id: string, log: Log): Promise<boolean> {
  if (!ledger) return false;
  try {
    return await ledger.delivered(webhook, id);
  } catch (e) {
    // Twice beats never.
    log.warn('delivery ledger not read: sending', { webhook, deliveryId: id, error: errorText(e) });
    return false;
  }
}

async function record(ledger: DeliveryLedger | undefined, webhook: string, id: string, log: Log): Promise<void> {
  await ledger
    ?.markDelivered(webhook, id)
    .catch((e: Error) => log.warn('delivery not recorded', { webhook, deliveryId: id, error: errorText(e) }));
}

/** Gives the page up: dead-letter queue and one error line. Throws when the DLQ cannot be written. */
async function giveUp(m: RetryMessage, reason: string, deps: RetryDeps): Promise<void> {
  const now = (deps.now ?? Date.now)();
  const minutes = Math.round((now - Date.parse(m.firstFailedAt)) / 60_000);
  const fields = { tries: m.tries, firstFailedAt: m.firstFailedAt, minutes, reason, lastError: m.lastError };
  deps.log.error('webhook page given up', { ...pageFields(m), ...fields });
  await deps.queue.giveUp({ ...m, gaveUpAt: new Date(now).toISOString(), reason });
}

/**
 * After a failed try: queue the next one, or give up once the policy's time is over. Returns
 * the delay queued (undefined: given up). Throws when neither queue can be written.
 */
async function next(m: RetryMessage, deps: RetryDeps): Promise<number | undefined> {
  const policy = deps.policy ?? RETRY_POLICY;
  const now = (deps.now ?? Date.now)();
  if (now - Date.parse(m.firstFailedAt) >= policy.giveUpAfterMs) {
    const minutes = Math.round(policy.giveUpAfterMs / 60_000);
    await giveUp(m, `not delivered in ${m.tries} tries over ${minutes} minutes`, deps);
    return undefined;
  }
  const delay = policy.delaySeconds(m.tries - 1);
  await deps.queue.retry(m, delay);
  const fields = { tries: m.tries, retryInSeconds: delay, lastError: m.lastError };
  deps.log.info('webhook page queued for retry', { ...pageFields(m), ...fields });
  return delay;
}

/**
 * Posts an incident to its webhooks. A webhook already sent this page is skipped; one that
 * fails is queued for retry (`retryInSeconds`), or, if even the queue fails, marked `lost`
 * after trying the dead-letter queue. Never throws.
 */
export async function sendWebhooks(
  incident: Incident,
  hooks: readonly NotifyWebhook[],
  deps: Omit<RetryDeps, 'queue'> & { queue?: RetryQueue },
  action?: WebhookAction,
): Promise<WebhookOutcome[]> {
  const { log } = deps;
  const values = new Set<string>();
  const { requests, failures } = await webhookRequests(incident, hooks, deps.secrets, values, action);
  const id = deliveryId(incident, action ?? webhookAction(incident));
  const send = async (req: WebhookRequest): Promise<WebhookOutcome> => {
    if (await seen(deps.ledger, req.name, id, log)) {
      return { name: req.name, action: req.action, ok: true, attempts: 0, duplicate: true };
    }
    const out = await deliverWebhook(req, { ...deps.deliver, secrets: values, log });
    if (out.ok) await record(deps.ledger, req.name, id, log);
    return out;
  };
  for (const f of failures) log.warn('webhook not delivered', { webhook: f.name, error: f.error });
  const outcomes = [...failures, ...(await Promise.all(requests.map(send)))];
  if (!deps.queue) return outcomes;
  const queue = deps.queue;
  const firstFailedAt = new Date((deps.now ?? Date.now)()).toISOString();
  return Promise.all(
    outcomes.map(async (o) => {
      if (o.ok) return o;
      const m: RetryMessage = {
        v: 1,
        webhook: o.name,
        action: o.action,
        id,
        incident,
        firstFailedAt,
        tries: 1,
        ...(o.error ? { lastError: o.error } : {}),
      };
      try {
        return { ...o, retryInSeconds: await next(m, { ...deps, queue }) };
      } catch (e) {
        const error = errorText(e);
        try {
          await giveUp(m, `the retry queue cannot be written (${error})`, { ...deps, queue });
        } catch (e2) {
          log.error('webhook page lost: neither the retry queue nor the dead-letter queue can be written', {
            ...pageFields(m),
            error,
            deadLetterError: errorText(e2),
          });
          return { ...o, lost: true };
        }
        return o;
      }
    }),
  );
}

export type RetryOutcome = 'delivered' | 'duplicate' | 'queued' | 'given-up';

/**
 * One queued page's next try: rebuild the request from the config (secrets re-read), post it,
 * then record it, queue the next try or give up. Throws only when the queues cannot be written
 * (the queue's own redelivery then tries again).
 */
export async function handleRetry(m: RetryMessage, deps: RetryDeps): Promise<RetryOutcome> {
  const { log } = deps;
  const hook = (deps.config.notify.webhooks ?? []).find((w) => w.name === m.webhook);
  if (!hook) {
    await giveUp(m, `webhook "${m.webhook}" is no longer in notify.webhooks`, deps);
    return 'given-up';
  }
  if (await seen(deps.ledger, m.webhook, m.id, log)) {
    log.info('webhook page already delivered: not sent again', pageFields(m));
    return 'duplicate';
  }
  const values = new Set<string>();
  const { requests, failures } = await webhookRequests(m.incident, [hook], deps.secrets, values, m.action);
  let out = failures[0];
  if (requests[0]) out = await deliverWebhook(requests[0], { ...deps.deliver, secrets: values, log });
  const tries = m.tries + 1;
  if (out?.ok) {
    await record(deps.ledger, m.webhook, m.id, log);
    log.info('webhook page delivered on retry', { ...pageFields(m), tries, firstFailedAt: m.firstFailedAt });
    return 'delivered';
  }
  const failed: RetryMessage = { ...m, tries, ...(out?.error ? { lastError: out.error } : {}) };
  return (await next(failed, deps)) === undefined ? 'given-up' : 'queued';
}

/** Parses a queued message; undefined when it is not one (a poison message). */
export function parseRetryMessage(text: string): RetryMessage | undefined {
  try {
    const m = JSON.parse(text) as RetryMessage;
    const ok =
      m?.v === 1 &&
      typeof m.webhook === 'string' &&
      typeof m.id === 'string' &&
      (m.action === 'trigger' || m.action === 'resolve') &&
      typeof m.incident?.dedupKey === 'string' &&
      typeof m.tries === 'number' &&
      !Number.isNaN(Date.parse(m.firstFailedAt));
    return ok ? m : undefined;
  } catch {
    return undefined;
  }
}
