/**
 * Sending one page in AWS: SNS to the topic of each level it goes to (level 0 is the severity's
 * own topic, 1… its escalation topics), the webhooks for problems and recoveries, and one trail
 * entry per channel (sent or failed). Channels that keep failing are named on the page first.
 */
import type { NotifyWebhook, Severity, ValidatedConfig } from '../config/types';
import type { Log } from '../log';
import type { SecretResolver } from '../secrets';
import { webhooksFor } from './config';
import { formatSms } from './format-sms';
import type { Incident } from './message';
import type { Delivery } from './oncall';
import { sendWebhooks, type DeliveryLedger, type RetryPolicy, type RetryQueue } from './retry';
import { channelProblem, type DeliveryTrail, type TrailEntry } from './trail';
import type { DeliverOptions, WebhookOutcome } from './webhooks';

export interface SendDeps {
  config: ValidatedConfig;
  /** Publishes to the topic of `level` (0: the severity's own); returns the message id. */
  publish(severity: Severity, incident: Incident, level?: number): Promise<string | undefined>;
  secrets: SecretResolver;
  retries?: RetryQueue;
  ledger?: DeliveryLedger;
  retryPolicy?: RetryPolicy;
  deliver?: Omit<DeliverOptions, 'log' | 'secrets'>;
  trail?: DeliveryTrail;
  now?: () => number;
  log: Log;
}

export interface SendResult {
  messageIds: Array<string | undefined>;
  webhooks: WebhookOutcome[];
  /** The SNS error of the first level, if its publish failed (the caller decides: release and throw). */
  publishError?: unknown;
}

export const topicChannel = (severity: Severity, level: number) =>
  level === 0 ? `topic ${severity}` : `escalation ${severity} ${level}`;
const errorText = (e: unknown) => `${(e as Error).name}: ${(e as Error).message}`;

/** Names channels that keep failing on the page (a failed trail read only costs that note). */
export async function withChannelProblems(
  incident: Incident,
  deps: Pick<SendDeps, 'trail' | 'log'>,
): Promise<Incident> {
  if (!deps.trail) return incident;
  try {
    const failing = await deps.trail.failing();
    if (!failing.length) return incident;
    return { ...incident, channelProblems: failing.map((h) => channelProblem(h, incident.at)) };
  } catch (e) {
    deps.log.warn('delivery trail not read: page without channel health', { error: errorText(e) });
    return incident;
  }
}

async function trailRecord(deps: SendDeps, entry: TrailEntry): Promise<void> {
  await deps.trail
    ?.record(entry)
    .catch((e: Error) =>
      deps.log.warn('delivery not written to the trail', { channel: entry.channel, error: e.message }),
    );
}

/** Sends the delivery on every channel it goes to; never throws (see `publishError`). */
export async function sendPage(d: Delivery, deps: SendDeps, hooks?: NotifyWebhook[]): Promise<SendResult> {
  const incident = await withChannelProblems(d.incident, deps);
  const now = () => new Date((deps.now ?? Date.now)()).toISOString();
  const summary = formatSms(incident);
  const entry = {
    kind: incident.escalation ? 'escalation' : incident.kind,
    subject: incident.subject,
    word: incident.word,
    summary,
  };
  const list = d.webhooks ? (hooks ?? webhooksFor(deps.config, incident.severity)) : [];
  const webhooksDone = list.length
    ? sendWebhooks(incident, list, {
        config: deps.config,
        secrets: deps.secrets,
        ...(deps.retries ? { queue: deps.retries } : {}),
        ...(deps.ledger ? { ledger: deps.ledger } : {}),
        ...(deps.retryPolicy ? { policy: deps.retryPolicy } : {}),
        ...(deps.now ? { now: deps.now } : {}),
        ...(deps.deliver ? { deliver: deps.deliver } : {}),
        log: deps.log,
      }).catch((e: Error): WebhookOutcome[] => {
        deps.log.error('webhooks failed', { error: errorText(e) });
        return [];
      })
    : Promise.resolve([]);
  const messageIds: Array<string | undefined> = [];
  let publishError: unknown;
  for (const level of d.levels) {
    const channel = topicChannel(incident.severity, level);
    try {
      const id = await deps.publish(incident.severity, incident, level);
      messageIds.push(id);
      await trailRecord(deps, { ...entry, at: now(), channel, ok: true, ...(id ? { id } : {}) });
    } catch (e) {
      if (level === d.levels[0]) publishError = e;
      deps.log.error('page not published', { channel, subject: incident.subject, error: errorText(e) });
      await trailRecord(deps, { ...entry, at: now(), channel, ok: false, error: errorText(e) });
    }
  }
  const webhooks = await webhooksDone;
  for (const w of webhooks) {
    if (w.duplicate) continue;
    await trailRecord(deps, {
      ...entry,
      at: now(),
      channel: `webhook ${w.name}`,
      ok: w.ok,
      ...(w.error ? { error: w.error } : {}),
      ...(w.retryInSeconds !== undefined ? { retrying: true } : {}),
    });
  }
  return { messageIds, webhooks, ...(publishError ? { publishError } : {}) };
}
