/**
 * The incident: what a page is about, built once from an alarm's state change (or, locally, a
 * check's status change) and the latest results per region. Every channel's formatter (SMS,
 * email, webhooks) reads this view and nothing else, so the channels never disagree.
 */
import { dashboardName } from '../alarms/names';
import { alarmSpecs, type AlarmSpec, type AlarmType } from '../alarms/specs';
import type { Severity, ValidatedConfig } from '../config/types';
import { registry as defaultRegistry, kindOf } from '../probes/registry';
import type { ProbeKind } from '../probes/types';
import type { LatestState } from '../store/types';
import type { CheckError, CheckStatus, DegradedReason } from '../types';
import { assess, carrying, incidentCheck, oneLine, sortedViews } from './region-view';

export type AlarmState = 'ALARM' | 'OK';
export type IncidentKind = 'problem' | 'recovery' | 'flapping' | 'test' | 'reminder';

/** One state change of a CloudWatch alarm, as the notifier reads it from EventBridge. */
export interface AlarmChange {
  /** The CloudWatch alarm name. */
  name: string;
  state: AlarmState;
  /** `OK`, `ALARM` or `INSUFFICIENT_DATA`. */
  previousState?: string;
  /** ISO time of this change. */
  at: string;
  /** ISO time the previous state began: for a recovery, when the alarm fired. */
  previousAt?: string;
  /** CloudWatch's reason, e.g. `Threshold Crossed: 3 out of the last 3 datapoints…`. */
  reason?: string;
}

/** The latest state of the check in one region, as pages show it. */
export interface RegionView {
  region: string;
  status: CheckStatus;
  /** ISO time the current status began. */
  since: string;
  consecutiveFailures: number;
  /** ISO scheduled time of the last run. */
  lastRunAt: string;
  durationMs: number;
  attempts: number;
  error?: CheckError;
  /** Why the region's last run is degraded (`SLOW`, `CERT_EXPIRING`, …). */
  degraded?: DegradedReason;
  timings: Record<string, number>;
  /** A few words: `HTTP 503`, `timeout`, `connection refused`. */
  headline?: string;
}

export interface IncidentCheck {
  id: string;
  name: string;
  kind: string;
  /** What it probes (no secrets). */
  target: string;
  runbook?: string;
  regions: string[];
  degradedAfter?: string;
}

export interface IncidentLinks {
  dashboard?: string;
  alarm?: string;
  runbook?: string;
  /** Signed, expiring link that acknowledges the page (stops reminders and escalation). */
  ack?: string;
}

export interface Incident {
  kind: IncidentKind;
  project: string;
  severity: Severity;
  /** The first word of every message: DOWN, DEGRADED, OK, FLAPPING, TEST, or a kind alarm's name (CERT-EXPIRY). */
  word: string;
  /** The word of the problem it is about: DOWN for a recovery from DOWN. */
  problem: string;
  alarmType: AlarmType | 'test';
  /** Stable per alarm: an ITSM incident opens and resolves under it. */
  dedupKey: string;
  /** What broke, in one token: the check id, or `runner` for a runner alarm. */
  subject: string;
  alarm?: { name: string; key: string; state: AlarmState; previousState?: string; reason?: string };
  check?: IncidentCheck;
  /** Runner alarms: the probe region whose runner stopped. */
  runnerRegion?: string;
  /** Latest state per region, affected ones first. */
  regions: RegionView[];
  /** Regions failing the way the alarm watches (down: failed runs; degraded: slow runs). */
  affected: string[];
  /** Regions the check runs in (or 1 for a runner). */
  total: number;
  /** Regions the alarm needs failing at once (down and degraded alarms): says "where" when no results could be read. */
  quorum?: number;
  /** The most useful few words: `HTTP 503`, `timeout`, `2.4s > 2s`. */
  headline?: string;
  /** A sentence: the error message of an affected region, or a kind alarm's description. */
  detail?: string;
  /**
   * The reason the results carry when it is not slowness or an outage: a kind's warn level
   * (`CERT_EXPIRING`: `expires in 14d (warnDays 21)`). Pages say it in place of a headline.
   */
  reason?: DegradedReason;
  /** ISO: when the problem began. */
  since: string;
  /** ISO: when this change happened. */
  at: string;
  /** Recovery: how long the problem lasted. */
  lastedMs?: number;
  /** Flapping: how often it changed in the window, and its state now. */
  flapping?: { changes: number; windowMs: number; state: AlarmState };
  /** Checks depending on this one that are down with it (they do not page on their own). */
  dependents?: string[];
  /** An escalation page: the level paged and how long the page went unacknowledged. */
  escalation?: { level: number; after: string };
  /** A reminder (`STILL DOWN`): how many so far. */
  reminder?: { count: number };
  /** Channels that keep failing (`webhook pagerduty failing since 14:02Z (3 pages)`), said on the others. */
  channelProblems?: string[];
  links: IncidentLinks;
  homeRegion: string;
}

export interface LinkOptions {
  /** A link that replaces the CloudWatch dashboard (a status page, the local dashboard). */
  dashboardUrl?: string;
  /** No AWS console links (local mode). @default false */
  local?: boolean;
}

type Kinds = ReadonlyMap<string, ProbeKind>;

/** The AWS console of a region (China and GovCloud have their own). */
export function consoleBase(region: string): string {
  if (region.startsWith('cn-')) return 'https://console.amazonaws.cn';
  if (region.startsWith('us-gov-')) return 'https://console.amazonaws-us-gov.com';
  return `https://${region}.console.aws.amazon.com`;
}

export function dashboardLink(
  config: Pick<ValidatedConfig, 'project' | 'homeRegion' | 'notify'>,
  opts: LinkOptions = {},
): string | undefined {
  if (opts.dashboardUrl) return opts.dashboardUrl;
  if (config.notify.dashboardUrl) return config.notify.dashboardUrl;
  if (opts.local) return undefined;
  const r = config.homeRegion;
  const name = encodeURIComponent(dashboardName(config.project));
  return `${consoleBase(r)}/cloudwatch/home?region=${r}#dashboards/dashboard/${name}`;
}

export function alarmLink(region: string, alarmName: string): string {
  return `${consoleBase(region)}/cloudwatch/home?region=${region}#alarmsV2:alarm/${encodeURIComponent(alarmName)}`;
}

/** `watchpost/shop/down:shop-cart`: one incident per alarm in PagerDuty, Opsgenie, any ITSM. */
export const dedupKey = (project: string, alarmKey: string) => `watchpost/${project}/${alarmKey}`;

/** The word of an alarm's problem. */
export function problemWord(type: AlarmType | 'test', key = ''): string {
  if (type === 'down') return 'DOWN';
  if (type === 'degraded') return 'DEGRADED';
  if (type === 'runner') return 'DOWN';
  if (type === 'test') return 'TEST';
  return (key.split(':')[2] ?? 'ALARM').toUpperCase();
}

/** The alarm spec behind a CloudWatch alarm name, found by recomputing the specs from the config. */
export function specsByName(config: ValidatedConfig, kinds: Kinds = defaultRegistry): Map<string, AlarmSpec> {
  return new Map(alarmSpecs(config, kinds).map((s) => [s.name, s]));
}

export interface AlarmIncidentInput {
  config: ValidatedConfig;
  spec: AlarmSpec;
  change: AlarmChange;
  /** Latest state of the spec's check per region (none for runner alarms). */
  latest: readonly LatestState[];
  /** Set when this change made the alarm flapping. */
  flapping?: { changes: number; windowMs: number };
  links?: LinkOptions;
  kinds?: Kinds;
}

/** The incident of a CloudWatch alarm's state change. */
export function incidentFromAlarm(input: AlarmIncidentInput): Incident {
  const { config, spec, change } = input;
  const kinds = input.kinds ?? defaultRegistry;
  const check = spec.checkId ? config.checks.find((c) => c.id === spec.checkId) : undefined;
  const ic = check ? incidentCheck(check, kinds) : undefined;
  const problem = problemWord(spec.type, spec.key);
  const kind: IncidentKind = input.flapping ? 'flapping' : change.state === 'ALARM' ? 'problem' : 'recovery';
  const word = kind === 'flapping' ? 'FLAPPING' : kind === 'recovery' ? 'OK' : problem;

  let affected: string[];
  let headline: string | undefined;
  let detail: string | undefined;
  let since: string | undefined;
  let regions: RegionView[];
  let total: number;
  let reason: DegradedReason | undefined;
  if (spec.type === 'runner') {
    const region = spec.region ?? '';
    const watched = config.checks.filter((c) => c.enabled && c.regions.includes(region)).length;
    affected = change.state === 'ALARM' ? [region] : [];
    headline = 'no healthy probe pass';
    detail = `${watched} check${watched === 1 ? '' : 's'} not probed in ${region} meanwhile`;
    regions = [];
    total = 1;
  } else {
    regions = sortedViews(input.latest, ic?.regions);
    const a = assess(spec.type, regions, ic);
    ({ affected, headline, detail, since } = a);
    if (spec.type === 'kind') {
      const ka = check
        ? kindOf(check, kinds)
            ?.alarms?.(check)
            .find((k) => `kind:${check.id}:${k.name}` === spec.key)
        : undefined;
      detail = ka ? oneLine(ka.description) : undefined;
      headline = undefined;
      // The results' own reason (`expires in 14d (warnDays 21)`) beats the alarm's generic description.
      const carried = ka?.code && change.state === 'ALARM' ? carrying(regions, ka.code) : undefined;
      if (carried?.reason) {
        ({ regions: affected, reason } = carried);
        detail = reason!.message;
      }
    }
    regions = sortedViews(input.latest, ic?.regions, affected);
    total = ic?.regions.length ?? regions.length;
  }
  if (kind === 'recovery') since = change.previousAt ?? since;
  const previousAt = change.previousAt && !Number.isNaN(Date.parse(change.previousAt)) ? change.previousAt : undefined;
  const lastedMs =
    kind === 'recovery' && change.previousState === 'ALARM' && previousAt
      ? Math.max(0, Date.parse(change.at) - Date.parse(previousAt))
      : undefined;

  return {
    kind,
    project: config.project,
    severity: spec.severity,
    word,
    problem,
    alarmType: spec.type,
    dedupKey: dedupKey(config.project, spec.key),
    subject: spec.type === 'runner' ? 'runner' : (spec.checkId ?? spec.key),
    alarm: {
      name: spec.name,
      key: spec.key,
      state: change.state,
      ...(change.previousState ? { previousState: change.previousState } : {}),
      ...(change.reason ? { reason: oneLine(change.reason) } : {}),
    },
    ...(ic ? { check: ic } : {}),
    ...(spec.type === 'runner' ? { runnerRegion: spec.region } : {}),
    regions,
    affected,
    total,
    ...(spec.type === 'down' || spec.type === 'degraded' ? { quorum: spec.threshold } : {}),
    ...(headline ? { headline } : {}),
    ...(detail ? { detail } : {}),
    ...(reason ? { reason } : {}),
    since: since ?? change.at,
    at: change.at,
    ...(lastedMs !== undefined ? { lastedMs } : {}),
    ...(input.flapping ? { flapping: { ...input.flapping, state: change.state } } : {}),
    links: {
      dashboard: dashboardLink(config, input.links),
      ...(input.links?.local ? {} : { alarm: alarmLink(config.homeRegion, spec.name) }),
      ...(ic?.runbook ? { runbook: ic.runbook } : {}),
    },
    homeRegion: config.homeRegion,
  };
}

export { headlineOf, oneLine, regionView } from './region-view';
export { incidentFromStatus, testIncident, type LocalIncidentInput } from './incident-local';
