/**
 * The incident: what a page is about, built once from an alarm's state change (or, locally, a
 * check's status change) and the latest results per region. Every channel's formatter (SMS,
 * email, webhooks) reads this view and nothing else, so the channels never disagree.
 */
import { dashboardName } from '../alarms/names';
import { alarmSpecs, type AlarmSpec, type AlarmType } from '../alarms/specs';
import type { Severity, ValidatedCheck, ValidatedConfig } from '../config/types';
import { formatDuration, ms } from '../duration';
import { registry as defaultRegistry, kindOf } from '../probes/registry';
import type { ProbeKind } from '../probes/types';
import type { LatestState } from '../store/types';
import { codeWord, type CheckError, type CheckResult, type CheckStatus, type DegradedReason } from '../types';

export type AlarmState = 'ALARM' | 'OK';
export type IncidentKind = 'problem' | 'recovery' | 'flapping' | 'test';

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

/** Printable, single-spaced, no control characters: text from targets goes into pages. */
export function oneLine(text: string): string {
  return text
    .replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

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

const ERROR_WORDS: Record<string, string> = {
  DNS: 'DNS error',
  CONNECT_REFUSED: 'connection refused',
  CONNECT_TIMEOUT: 'connect timeout',
  TLS: 'TLS error',
  TIMEOUT: 'timeout',
  RESET: 'connection reset',
  BODY_TOO_LARGE: 'body too large',
  ASSERTION: 'assertion failed',
  AUTH: 'auth failed',
  NOT_DELIVERED: 'mail not delivered',
  REJECTED: 'rejected',
  REDIRECT_LOOP: 'redirect loop',
  TOO_MANY_REDIRECTS: 'too many redirects',
  INVALID_JSON: 'invalid JSON',
  PROTOCOL: 'protocol error',
  SECRET: 'secret missing',
  NETWORK: 'network error',
  INTERNAL: 'internal error',
};

/** A few words for a failed result: `HTTP 503` when a status code is known, else the error. */
export function headlineOf(r: CheckResult): string | undefined {
  if (!r.error) return undefined;
  const code = r.details?.statusCode;
  if (typeof code === 'number' && (r.error.code === 'ASSERTION' || code >= 400)) return `HTTP ${code}`;
  return ERROR_WORDS[r.error.code] ?? r.error.code;
}

/** A degraded result's reason; results stored before reasons existed were slow. */
function degradedOf(r: CheckResult): DegradedReason {
  const d = r.degraded ?? { code: 'SLOW', message: `took ${formatDuration(r.timings?.total ?? r.durationMs)}` };
  return { code: d.code, message: oneLine(d.message) };
}

/** Slowness (degradedAfter) or a kind's own warn level. */
const isSlow = (v: RegionView) => v.status === 'degraded' && (!v.degraded || v.degraded.code === 'SLOW');

/** The regions whose results carry `code` (as a warn level or an error) and that reason, most common first. */
function carrying(views: readonly RegionView[], code: string): { regions: string[]; reason?: DegradedReason } {
  const hits = views.flatMap((v) => {
    const r = v.degraded?.code === code ? v.degraded : v.error?.code === code ? v.error : undefined;
    return r ? [{ region: v.region, reason: r }] : [];
  });
  const first = hits[0];
  return { regions: hits.map((h) => h.region), ...(first ? { reason: { code, message: first.reason.message } } : {}) };
}

export function regionView(s: LatestState): RegionView {
  const r = s.lastResult;
  return {
    region: s.region,
    status: s.status,
    since: s.since,
    consecutiveFailures: s.consecutiveFailures,
    lastRunAt: s.lastScheduledAt,
    durationMs: r.durationMs,
    attempts: r.attempts,
    ...(r.error ? { error: { code: r.error.code, message: oneLine(r.error.message) } } : {}),
    ...(r.status === 'degraded' ? { degraded: degradedOf(r) } : {}),
    timings: r.timings ?? {},
    ...(r.status === 'fail' ? { headline: headlineOf(r) } : {}),
  };
}

function mostCommon(values: Array<string | undefined>): string | undefined {
  const counts = new Map<string, number>();
  for (const v of values) if (v) counts.set(v, (counts.get(v) ?? 0) + 1);
  let best: string | undefined;
  let n = 0;
  for (const [v, c] of counts) if (c > n) [best, n] = [v, c];
  return best;
}

const earliest = (times: string[], fallback: string) =>
  times.filter((t) => !Number.isNaN(Date.parse(t))).sort((a, b) => Date.parse(a) - Date.parse(b))[0] ?? fallback;

/** The word of an alarm's problem. */
export function problemWord(type: AlarmType | 'test', key = ''): string {
  if (type === 'down') return 'DOWN';
  if (type === 'degraded') return 'DEGRADED';
  if (type === 'runner') return 'DOWN';
  if (type === 'test') return 'TEST';
  return (key.split(':')[2] ?? 'ALARM').toUpperCase();
}

function incidentCheck(check: ValidatedCheck, kinds: Kinds): IncidentCheck {
  const kind = kindOf(check, kinds);
  let target: string = check.kind;
  try {
    target = kind ? oneLine(kind.target(check)) : check.kind;
  } catch {
    /* a kind's target() on an odd check: the kind name will do */
  }
  return {
    id: check.id,
    name: check.name,
    kind: check.kind,
    target: target.replace(/\/\/[^/@\s]+@/g, '//'),
    ...(check.runbook ? { runbook: check.runbook } : {}),
    regions: check.regions,
    ...(check.degradedAfter ? { degradedAfter: check.degradedAfter } : {}),
  };
}

/** What the regions say about an alarm type: affected regions, headline, detail, since. */
function assess(
  type: AlarmType,
  views: RegionView[],
  check: IncidentCheck | undefined,
): Pick<Incident, 'affected' | 'headline' | 'detail'> & { since?: string } {
  if (type === 'down') {
    const bad = views.filter((v) => v.status === 'fail');
    return {
      affected: bad.map((v) => v.region),
      headline: mostCommon(bad.map((v) => v.headline)),
      detail: bad.find((v) => v.error)?.error?.message,
      since: bad.length
        ? earliest(
            bad.map((v) => v.since),
            '',
          ) || undefined
        : undefined,
    };
  }
  if (type === 'degraded') {
    const limit = check?.degradedAfter ? ms(check.degradedAfter) : Number.POSITIVE_INFINITY;
    // A kind's warn level (a certificate expiring) is not slowness: only slow regions count here.
    const slow = views.filter((v) => isSlow(v) || (v.status === 'pass' && v.durationMs > limit));
    const worst = Math.max(0, ...slow.map((v) => v.durationMs));
    return {
      affected: slow.map((v) => v.region),
      headline: slow.length && check?.degradedAfter ? `${formatDuration(worst)} > ${check.degradedAfter}` : undefined,
      detail: slow.length
        ? `slowest run ${formatDuration(worst)} in ${slow.find((v) => v.durationMs === worst)?.region}`
        : undefined,
      since: slow.length
        ? earliest(
            slow.filter((v) => v.status === 'degraded').map((v) => v.since),
            '',
          ) || undefined
        : undefined,
    };
  }
  // A kind's own alarm watches a figure, not the run status: regions are context only.
  return { affected: views.filter((v) => v.status !== 'pass').map((v) => v.region) };
}

const STATUS_ORDER: Record<CheckStatus, number> = { fail: 0, degraded: 1, pass: 2 };

/** Affected regions first, then by status, then in the check's region order. */
function sortedViews(
  latest: readonly LatestState[],
  order: readonly string[] = [],
  affected: readonly string[] = [],
): RegionView[] {
  const rank = (r: string) => (order.includes(r) ? order.indexOf(r) : order.length);
  return latest
    .map(regionView)
    .sort(
      (a, b) =>
        Number(!affected.includes(a.region)) - Number(!affected.includes(b.region)) ||
        STATUS_ORDER[a.status] - STATUS_ORDER[b.status] ||
        rank(a.region) - rank(b.region) ||
        a.region.localeCompare(b.region),
    );
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

export interface LocalIncidentInput {
  config: ValidatedConfig;
  check: ValidatedCheck;
  /** Latest state per region (locally: one region). */
  latest: readonly LatestState[];
  /** The status before this change and since when; a recovery says how long the problem lasted. */
  previous?: { status: CheckStatus; since: string };
  /** ISO time of the change. @default the newest run */
  at?: string;
  /** @default { local: true }: no AWS console links */
  links?: LinkOptions;
  kinds?: Kinds;
}

/**
 * The incident of a check's status change without an alarm: `npm start` and `watchpost notify
 * --preview`. The worst region decides: a failure is DOWN, a slow run DEGRADED, all passing OK.
 */
export function incidentFromStatus(input: LocalIncidentInput): Incident {
  const { config, check } = input;
  const kinds = input.kinds ?? defaultRegistry;
  const ic = incidentCheck(check, kinds);
  const views = sortedViews(input.latest, check.regions);
  const worst = views[0]?.status ?? 'pass';
  const at =
    input.at ??
    views
      .map((v) => v.lastRunAt)
      .sort()
      .at(-1) ??
    new Date().toISOString();
  const problemType: AlarmType =
    worst === 'degraded' || (worst === 'pass' && input.previous?.status === 'degraded') ? 'degraded' : 'down';
  const severity: Severity = problemType === 'degraded' ? 'warning' : check.severity;
  const links = {
    dashboard: dashboardLink(config, input.links ?? { local: true }),
    ...(ic.runbook ? { runbook: ic.runbook } : {}),
  };
  const base = {
    project: config.project,
    severity,
    problem: problemWord(problemType),
    alarmType: problemType,
    dedupKey: dedupKey(config.project, `${problemType}:${check.id}`),
    subject: check.id,
    check: ic,
    total: check.regions.length,
    at,
    links,
    homeRegion: config.homeRegion,
  };
  if (worst === 'pass') {
    const since = input.previous?.since;
    const lastedMs =
      since && input.previous?.status !== 'pass' ? Math.max(0, Date.parse(at) - Date.parse(since)) : undefined;
    return {
      ...base,
      kind: 'recovery',
      word: 'OK',
      regions: views,
      affected: [],
      since: since ?? views[0]?.since ?? at,
      ...(lastedMs !== undefined && Number.isFinite(lastedMs) ? { lastedMs } : {}),
    };
  }
  // A kind's warn level pages its own word and reason (CERT-EXPIRING), not slowness.
  const warned = worst === 'degraded' ? views.find((v) => v.status === 'degraded' && !isSlow(v))?.degraded : undefined;
  if (warned) {
    const c = carrying(views, warned.code);
    return {
      ...base,
      kind: 'problem',
      word: codeWord(warned.code),
      problem: codeWord(warned.code),
      regions: sortedViews(input.latest, check.regions, c.regions),
      affected: c.regions,
      detail: warned.message,
      reason: warned,
      since: earliest(
        views.filter((v) => c.regions.includes(v.region)).map((v) => v.since),
        at,
      ),
    };
  }
  const a = assess(problemType, views, ic);
  return {
    ...base,
    kind: 'problem',
    word: problemWord(problemType),
    regions: sortedViews(input.latest, check.regions, a.affected),
    affected: a.affected,
    ...(a.headline ? { headline: a.headline } : {}),
    ...(a.detail ? { detail: a.detail } : {}),
    since: a.since ?? at,
  };
}

/** A test page: proves the path to the phones and inboxes works. */
export function testIncident(
  config: ValidatedConfig,
  severity: Severity,
  at: string,
  links: LinkOptions = {},
): Incident {
  return {
    kind: 'test',
    project: config.project,
    severity,
    word: 'TEST',
    problem: 'TEST',
    alarmType: 'test',
    dedupKey: dedupKey(config.project, `test:${at}`),
    subject: config.project,
    regions: [],
    affected: [],
    total: 0,
    detail: `a test page to the ${severity} topic, no action needed`,
    since: at,
    at,
    links: { dashboard: dashboardLink(config, links) },
    homeRegion: config.homeRegion,
  };
}
