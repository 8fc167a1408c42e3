/**
 * Incidents without a CloudWatch alarm: a check's status change in local mode (`npm start`,
 * `watchpost notify --preview`) and the test page of `watchpost notify --test`.
 */
import type { AlarmType } from '../alarms/specs';
import type { Severity, ValidatedCheck, ValidatedConfig } from '../config/types';
import { registry as defaultRegistry } from '../probes/registry';
import type { ProbeKind } from '../probes/types';
import type { LatestState } from '../store/types';
import { codeWord, type CheckStatus } from '../types';
import { dashboardLink, dedupKey, problemWord, type Incident, type LinkOptions } from './message';
import { assess, carrying, earliest, incidentCheck, isSlow, sortedViews } from './region-view';

type Kinds = ReadonlyMap<string, ProbeKind>;

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
