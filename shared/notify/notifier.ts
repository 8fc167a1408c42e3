/**
 * The notifier's core, behind a thin Lambda handler: one CloudWatch "Alarm State Change" event
 * in, at most one page out (SNS with a message per protocol, and the webhooks).
 *
 * 1. Parse the event; only ALARM, and OK after ALARM, are pages.
 * 2. Find the alarm's spec by its name (the specs are a pure function of the bundled config),
 *    falling back to the `CheckId` dimension of its metrics.
 * 3. Skip it when a maintenance window's mute rule is active for it (mute rules mute alarm
 *    actions, not EventBridge events, so the notifier asks CloudWatch).
 * 4. Flapping and at-least-once delivery: the alarm's flap record decides notify / flapping /
 *    suppress / duplicate / stale.
 * 5. On-call (shared/notify/oncall.ts, with a page store): a problem under a DOWN parent is
 *    suppressed or held, a recovery that never paged stays quiet, a parent names its dependents.
 * 6. Read the check's latest state per region, build the incident, publish and post webhooks.
 *    When SNS fails, the change is released and the error thrown, so Lambda's retry pages.
 *    A webhook that fails is queued for retry (shared/notify/retry.ts) and the other channels
 *    go out; a page that cannot even be queued makes the invocation fail (the failing alarm).
 */
import { windowCheckIds } from '../alarms/maintenance';
import type { AlarmSpec } from '../alarms/specs';
import type { Severity, ValidatedConfig } from '../config/types';
import type { Log } from '../log';
import type { ProbeKind } from '../probes/types';
import type { SecretResolver } from '../secrets';
import type { LatestState, ResultStore } from '../store/types';
import { flappingSettings, webhooksFor } from './config';
import type { FlapAction, FlapStore } from './flapping';
import { incidentFromAlarm, specsByName, type AlarmChange, type Incident, type LinkOptions } from './message';
import {
  admitProblem,
  admitRecovery,
  markSent,
  releaseDependents,
  sweep,
  type Delivery,
  type IncidentRecorder,
  type OnCallDeps,
  type SweepReport,
} from './oncall';
import type { PageRecord, PageStore } from './page-store';
import type { DeliveryLedger, RetryPolicy, RetryQueue } from './retry';
import { sendPage } from './send';
import type { DeliveryTrail } from './trail';
import type { DeliverOptions, WebhookOutcome } from './webhooks';

/** The EventBridge event CloudWatch sends on an alarm's state change (the fields read here). */
export interface AlarmStateChangeEvent {
  id?: string;
  'detail-type'?: string;
  source?: string;
  time?: string;
  region?: string;
  account?: string;
  detail?: {
    alarmName?: string;
    state?: { value?: string; reason?: string; timestamp?: string };
    previousState?: { value?: string; reason?: string; timestamp?: string };
    configuration?: {
      description?: string;
      metrics?: Array<{
        id?: string;
        metricStat?: { metric?: { namespace?: string; name?: string; dimensions?: Record<string, string> } };
      }>;
    };
  };
}

export interface NotifierDeps {
  config: ValidatedConfig;
  store: Pick<ResultStore, 'latest'>;
  flaps: FlapStore;
  /** Publishes the page to the severity's topic (`level` 1…: its escalation topics); returns the message id. */
  publish(severity: Severity, incident: Incident, level?: number): Promise<string | undefined>;
  /** Webhook secrets (Secrets Manager in the home region). */
  secrets: SecretResolver;
  /** Whether an alarm mute rule is active for the alarm now. @default never muted */
  isMuted?(alarmName: string): Promise<boolean>;
  deliver?: Omit<DeliverOptions, 'log' | 'secrets'>;
  /** Where failed webhook pages wait for their next try. @default none: a failure is only logged */
  retries?: RetryQueue;
  /** Pages already delivered per webhook (retries never send twice). @default none */
  ledger?: DeliveryLedger;
  /** @default RETRY_POLICY (15 s doubling to 15 m, given up after 30 m) */
  retryPolicy?: RetryPolicy;
  /** The clock retries are timed by. @default Date.now */
  now?: () => number;
  links?: LinkOptions;
  kinds?: ReadonlyMap<string, ProbeKind>;
  /** Open page records: dependencies, reminders, escalation, acknowledgement. @default none of these */
  pages?: PageStore;
  /** Every page sent or failed, per channel. @default not recorded */
  trail?: DeliveryTrail;
  /** The status page's incidents (opened, acknowledged, resolved here). @default not recorded */
  incidents?: IncidentRecorder;
  /** The acknowledgement link of a page. @default no link */
  ackLink?: (ref: string, expiresAt: number) => Promise<string | undefined>;
  log: Log;
}

export interface NotifySummary {
  alarm?: string;
  key?: string;
  state?: string;
  /**
   * What happened: a flap decision, `muted`, `skipped` (not a page), `suppressed` (a check it depends
   * on is DOWN), `held` (one is failing: wait for its page), `quiet` (a recovery that never paged).
   */
  action: FlapAction | 'muted' | 'skipped' | 'suppressed' | 'held' | 'quiet';
  reason?: string;
  messageId?: string;
  webhooks: WebhookOutcome[];
}

/** CloudWatch writes `2026-03-01T14:05:00.123+0000`; make it ISO. */
export function isoTime(text: string | undefined): string | undefined {
  if (!text) return undefined;
  const t = Date.parse(text.replace(/([+-]\d{2})(\d{2})$/, '$1:$2'));
  return Number.isNaN(t) ? undefined : new Date(t).toISOString();
}

/** The page-worthy change in an event, or why it is none. */
export function parseAlarmChange(event: AlarmStateChangeEvent): AlarmChange | { skip: string } {
  const d = event?.detail;
  if (!d?.alarmName) return { skip: 'not a CloudWatch alarm state change (no detail.alarmName)' };
  const state = d.state?.value;
  const previous = d.previousState?.value;
  if (state !== 'ALARM' && state !== 'OK') return { skip: `state ${state ?? '?'} is not paged` };
  // OK after INSUFFICIENT_DATA is a new alarm settling, not a recovery.
  if (state === 'OK' && previous !== 'ALARM') return { skip: `OK after ${previous ?? '?'} is not a recovery` };
  const at = isoTime(d.state?.timestamp) ?? isoTime(event.time) ?? new Date().toISOString();
  const previousAt = isoTime(d.previousState?.timestamp);
  return {
    name: d.alarmName,
    state,
    ...(previous ? { previousState: previous } : {}),
    at,
    ...(previousAt ? { previousAt } : {}),
    ...(d.state?.reason ? { reason: d.state.reason } : {}),
  };
}

const specCache = new WeakMap<ValidatedConfig, Map<string, AlarmSpec>>();

/** The spec of an alarm: by name, else by its metrics' CheckId dimension and the word after the project. */
export function findSpec(
  config: ValidatedConfig,
  event: AlarmStateChangeEvent,
  kinds?: ReadonlyMap<string, ProbeKind>,
): AlarmSpec | undefined {
  let byName = specCache.get(config);
  if (!byName) specCache.set(config, (byName = specsByName(config, kinds)));
  const name = event.detail?.alarmName ?? '';
  const exact = byName.get(name);
  if (exact) return exact;
  // The deployed alarm may predate a config edit that renamed it: fall back to what it watches.
  const prefix = `${config.project} `;
  if (!name.startsWith(prefix)) return undefined;
  const word = name.slice(prefix.length).split(' ')[0] ?? '';
  const dims = (event.detail?.configuration?.metrics ?? []).map((m) => m.metricStat?.metric?.dimensions ?? {});
  const checkId = dims.find((x) => x.CheckId)?.CheckId;
  const region = dims.find((x) => x.Region)?.Region;
  const specs = [...byName.values()];
  if (word === 'RUNNER') return specs.find((s) => s.type === 'runner' && s.region === region);
  if (!checkId) return undefined;
  // `SLOW` is this alarm's name before 0.2.0: a deployed one still pages until its stack is redeployed.
  const degraded = word === 'DEGRADED' || word === 'SLOW';
  const kind = `kind:${checkId}:${word.toLowerCase()}`;
  const key = word === 'DOWN' ? `down:${checkId}` : degraded ? `degraded:${checkId}` : kind;
  return specs.find((s) => s.key === key);
}

/** Whether any maintenance window covers the spec's check (only then is CloudWatch asked about mutes). */
function mayBeMuted(config: ValidatedConfig, spec: AlarmSpec): boolean {
  if (!spec.checkId) return false;
  return (config.maintenance ?? []).some((w) => windowCheckIds(config, w).includes(spec.checkId!));
}

export async function handleAlarmEvent(event: AlarmStateChangeEvent, deps: NotifierDeps): Promise<NotifySummary> {
  const { config, log } = deps;
  const change = parseAlarmChange(event);
  if ('skip' in change) {
    log.info('not a page', { alarm: event?.detail?.alarmName, reason: change.skip });
    return { alarm: event?.detail?.alarmName, action: 'skipped', reason: change.skip, webhooks: [] };
  }
  const spec = findSpec(config, event, deps.kinds);
  if (!spec) {
    log.warn('alarm not in the bundled config: no page', {
      alarm: change.name,
      hint: 'deploy the notifier with the same config as the alarms',
    });
    return { alarm: change.name, state: change.state, action: 'skipped', reason: 'unknown alarm', webhooks: [] };
  }
  const base = { alarm: change.name, key: spec.key, state: change.state };

  if (deps.isMuted && mayBeMuted(config, spec)) {
    let muted = false;
    try {
      muted = await deps.isMuted(change.name);
    } catch (e) {
      // Paging during maintenance beats missing a real outage.
      log.warn('cannot tell whether the alarm is muted: paging', {
        alarm: change.name,
        error: `${(e as Error).name}: ${(e as Error).message}`,
      });
    }
    if (muted) {
      log.info('alarm muted by a maintenance window: no page', base);
      return { ...base, action: 'muted', webhooks: [] };
    }
  }

  const flapChange = { at: Date.parse(change.at), state: change.state };
  const scope = spec.checkId ?? 'runner';
  const settings = flappingSettings(config);
  const decision = await deps.flaps.apply(scope, spec.key, flapChange, settings);
  if (decision.action !== 'notify' && decision.action !== 'flapping') {
    log.info('no page', { ...base, action: decision.action, changes: decision.changes });
    return { ...base, action: decision.action, webhooks: [] };
  }

  let latest: LatestState[] = [];
  if (spec.checkId) {
    try {
      latest = await deps.store.latest([spec.checkId]);
    } catch (e) {
      // A page without region details beats no page.
      log.warn('latest results not read: paging without them', {
        ...base,
        error: `${(e as Error).name}: ${(e as Error).message}`,
      });
    }
  }
  let incident = incidentFromAlarm({
    config,
    spec,
    change,
    latest,
    ...(decision.action === 'flapping' ? { flapping: { changes: decision.changes, windowMs: settings.windowMs } } : {}),
    links: deps.links,
    kinds: deps.kinds,
  });

  // On-call: dependencies, the open page record (reminders, escalation, acknowledgement).
  const oncall = onCallDeps(deps);
  let release: PageRecord[] = [];
  if (oncall && decision.action === 'notify') {
    if (change.state === 'ALARM') {
      const a = await admitProblem(spec, incident, oncall);
      if (a.action !== 'page') {
        log.info('no page', { ...base, action: a.action, ...('parent' in a ? { parent: a.parent } : {}) });
        return { ...base, action: a.action, webhooks: [] };
      }
      incident = a.incident;
    } else {
      const r = await admitRecovery(spec, incident, oncall);
      if (r.action === 'quiet') {
        log.info('recovery not paged', { ...base, reason: r.reason });
        return { ...base, action: 'quiet', reason: r.reason, webhooks: [] };
      }
      ({ incident, release } = r);
    }
  }

  const sent = await sendPage({ incident, levels: [0], webhooks: true }, deps, webhooksFor(config, spec.severity));
  const { webhooks, publishError } = sent;
  const messageId = sent.messageIds[0];
  if (publishError) {
    log.error('page not published to SNS: releasing the change so a retry pages', {
      ...base,
      error: `${(publishError as Error).name}: ${(publishError as Error).message}`,
    });
    await deps.flaps
      .release(scope, spec.key, flapChange, decision.wasFlapping)
      .catch((e: Error) => log.error('flap record not released', { ...base, error: e.message }));
    throw publishError;
  }
  if (oncall && decision.action === 'notify' && change.state === 'ALARM') await markSent(spec.key, oncall);
  if (oncall && release.length)
    await releaseDependents(release, oncall, (d) => sendAndCheck(d, deps)).catch((e: Error) =>
      log.error('dependents not paged after their parent recovered: the sweep tries again', { error: e.message }),
    );
  log.info('paged', {
    ...base,
    kind: incident.kind,
    severity: spec.severity,
    messageId,
    affected: incident.affected,
    ...(incident.dependents ? { dependents: incident.dependents } : {}),
    webhooks: webhooks.map((w) => ({
      name: w.name,
      ok: w.ok,
      status: w.status,
      attempts: w.attempts,
      ...(w.duplicate ? { duplicate: true } : {}),
    })),
    queuedForRetry: webhooks.filter((w) => w.retryInSeconds !== undefined).map((w) => w.name),
  });
  const lost = webhooks.filter((w) => w.lost).map((w) => w.name);
  // SMS and email went out; failing the invocation raises the notifier-failing alarm.
  if (lost.length) throw new Error(`webhook page lost (not queued for retry): ${lost.join(', ')}`);
  return { ...base, action: decision.action, messageId, webhooks };
}

/** Sends a delivery; throws when its first level could not be published (the caller retries). */
async function sendAndCheck(d: Delivery, deps: NotifierDeps): Promise<void> {
  const r = await sendPage(d, deps);
  if (r.publishError) throw r.publishError;
}

/** The on-call engine's view of the notifier's deps (undefined: no page store, no on-call features). */
export function onCallDeps(deps: NotifierDeps): OnCallDeps | undefined {
  if (!deps.pages) return undefined;
  return {
    config: deps.config,
    pages: deps.pages,
    latest: (ids) => deps.store.latest(ids),
    ...(deps.incidents ? { incidents: deps.incidents } : {}),
    now: deps.now ?? Date.now,
    log: deps.log,
    ...(deps.ackLink ? { ackLink: deps.ackLink } : {}),
  };
}

/** The per-minute sweep (an EventBridge schedule): held pages, escalations, reminders, unsent pages. */
export async function handleSweep(deps: NotifierDeps): Promise<SweepReport> {
  const oncall = onCallDeps(deps);
  if (!oncall) return { sent: [], failed: [] };
  const report = await sweep(oncall, (d) => sendAndCheck(d, deps));
  if (report.sent.length || report.failed.length) deps.log.info('on-call sweep', { ...report });
  // A page the sweep could not send fails the invocation: the notifier-failing alarm pages.
  if (report.failed.length) throw new Error(`on-call sweep: ${report.failed.length} page(s) not sent`);
  return report;
}
