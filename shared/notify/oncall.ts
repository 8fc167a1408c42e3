/**
 * On-call past one page: dependencies, reminders, escalation and acknowledgement, on the open
 * page records of page-store.ts. The notifier (AWS) and local mode (`watchpost dev`) both run it;
 * they differ only in how a page is sent and what clock drives the sweep.
 *
 * - A problem is admitted: it pages, or waits (`held`) while a check it depends on is failing but
 *   not DOWN yet, or is `suppressed` while one is DOWN (that page counts it).
 * - A recovery closes the record; only a problem that paged on its own pages its recovery. A
 *   parent's recovery names its dependents, and those still failing then page on their own.
 * - The sweep (every minute) sends what is due: held pages whose wait is over, pages whose send
 *   never completed, escalation levels and reminders of pages nobody acknowledged. A claim on the
 *   record (60 s) keeps two sweeps from sending the same; a sweep that dies mid-send leaves the
 *   claim to expire and the next one sends again (at least once: nothing is lost).
 */
import type { AlarmSpec } from '../alarms/specs';
import type { ValidatedConfig } from '../config/types';
import { formatDuration, ms } from '../duration';
import type { Log } from '../log';
import type { LatestState } from '../store/types';
import type { Incident } from './message';
import { ancestorsOf, dependentsOf, onCallSettings } from './oncall-config';
import type { Acknowledgement, PageRecord, PageStore } from './page-store';
import { randomBytes } from 'node:crypto';

/** The part of the incident store (shared/incidents/store.ts) the notifier records through. */
export interface IncidentRecorder {
  open(i: {
    checkId?: string;
    components: string[];
    severity: 'down' | 'degraded';
    title: string;
    startedAt: string;
    source: 'notifier';
    message?: string;
  }): Promise<{ id: string }>;
  resolve(id: string, at: string, message?: string, by?: string): Promise<unknown>;
  acknowledge(id: string, by: string, at: string, until?: string): Promise<unknown>;
}

export interface OnCallDeps {
  config: ValidatedConfig;
  pages: PageStore;
  latest(checkIds: string[]): Promise<LatestState[]>;
  incidents?: IncidentRecorder;
  /** The clock (tests drive it). */
  now: () => number;
  log: Log;
  /** The acknowledgement link of a record's page, valid until `expiresAt` (ms). */
  ackLink?: (ref: string, expiresAt: number) => Promise<string | undefined>;
}

/** One page to send: level 0 is the severity's own targets (and the webhooks); 1… the escalation levels. */
export interface Delivery {
  incident: Incident;
  levels: number[];
  /** Problems and recoveries go to the webhooks too; reminders and escalations only to people. */
  webhooks: boolean;
}
/** Sends a delivery; throws when level 0 (or the only level) could not be sent. */
export type Send = (d: Delivery) => Promise<void>;

export type Admission =
  | { action: 'page'; incident: Incident }
  | { action: 'suppressed'; parent: string }
  | { action: 'held'; until: string; parent: string }
  | { action: 'duplicate' };

/** How long an acknowledgement link stays valid. */
export const ACK_LINK_MS = 24 * 3_600_000;
const CLAIM_MS = 60_000;
/** A page whose send never completed is sent again by the sweep after this. */
const UNSENT_MS = 2 * 60_000;

const iso = (t: number) => new Date(t).toISOString();
export const isAcked = (r: Pick<PageRecord, 'ack'>, now: number) =>
  !!r.ack && (!r.ack.until || Date.parse(r.ack.until) > now);
const downKey = (checkId: string) => `down:${checkId}`;
const failing = (states: LatestState[], id: string) => states.some((s) => s.checkId === id && s.status === 'fail');

async function withLinks(rec: PageRecord, deps: OnCallDeps, at: number): Promise<Incident> {
  let link: string | undefined;
  try {
    link = await deps.ackLink?.(rec.ref, at + ACK_LINK_MS);
  } catch (e) {
    // A page without its ack link beats no page.
    deps.log.warn('acknowledgement link not made: paging without it', { key: rec.key, error: (e as Error).message });
  }
  return { ...rec.incident, links: { ...rec.incident.links, ...(link ? { ack: link } : {}) } };
}

/** The topmost DOWN check `checkId` depends on, if any. */
async function downAncestor(deps: OnCallDeps, checkId: string): Promise<string | undefined> {
  let found: string | undefined;
  for (const a of ancestorsOf(deps.config, checkId)) {
    const r = await deps.pages.get(downKey(a));
    if (r && r.state !== 'held') found = a;
  }
  return found;
}

/** How long a dependent waits for its failing parent's alarm: the parent's alarm window and a minute. */
function holdMs(config: ValidatedConfig, parent: string): number {
  const c = config.checks.find((ch) => ch.id === parent);
  const window = c ? Math.max(60_000, ms(c.frequency)) * (c.alarm?.periods ?? 3) : 3 * 60_000;
  return Math.min(15 * 60_000, window + 60_000);
}

async function recordIncident(deps: OnCallDeps, spec: Pick<AlarmSpec, 'type' | 'checkId'>, i: Incident) {
  if (!deps.incidents || !spec.checkId || (spec.type !== 'down' && spec.type !== 'degraded')) return undefined;
  const name = i.check?.name ?? spec.checkId;
  try {
    const opened = await deps.incidents.open({
      checkId: spec.checkId,
      components: [],
      severity: spec.type,
      title: spec.type === 'down' ? `${name} is unavailable` : `${name} is slow`,
      startedAt: i.since,
      source: 'notifier',
      message: spec.type === 'down' ? 'We are seeing failures and are looking into it.' : 'Responses are slow.',
    });
    return opened.id;
  } catch (e) {
    deps.log.warn('incident not recorded (status page)', { check: spec.checkId, error: (e as Error).message });
    return undefined;
  }
}

/** A problem's first page: decide page / hold / suppress, and record it. Send, then {@link markSent}. */
export async function admitProblem(
  spec: Pick<AlarmSpec, 'key' | 'type' | 'checkId' | 'severity'>,
  incident: Incident,
  deps: OnCallDeps,
): Promise<Admission> {
  const now = deps.now();
  const existing = await deps.pages.get(spec.key);
  // The same alarm change again (a duplicate event), already delivered.
  if (existing && existing.openedAt === incident.at && (existing.sentAt || existing.state !== 'paged'))
    return { action: 'duplicate' };
  let parent: string | undefined;
  let held: string | undefined;
  if (spec.checkId) {
    parent = await downAncestor(deps, spec.checkId);
    if (!parent) {
      const ancestors = ancestorsOf(deps.config, spec.checkId);
      const states = ancestors.length ? await deps.latest(ancestors).catch(() => []) : [];
      held = ancestors.find((a) => failing(states, a));
    }
  }
  let dependents: string[] = [];
  if (!parent && !held && spec.checkId && spec.type === 'down') {
    const ids = dependentsOf(deps.config, spec.checkId);
    const states = ids.length ? await deps.latest(ids).catch(() => []) : [];
    const open = await Promise.all(ids.map((id) => deps.pages.get(downKey(id))));
    dependents = ids.filter((id, n) => failing(states, id) || open[n] !== undefined);
  }
  const incidentId =
    existing?.openedAt === incident.at ? existing.incidentId : await recordIncident(deps, spec, incident);
  const base: PageRecord = {
    key: spec.key,
    ...(spec.checkId ? { checkId: spec.checkId } : {}),
    severity: spec.severity,
    state: parent ? 'suppressed' : held ? 'held' : 'paged',
    ...(parent ? { parent } : {}),
    openedAt: incident.at,
    level: 0,
    reminders: 0,
    ref: existing?.openedAt === incident.at ? existing.ref : randomBytes(6).toString('base64url'),
    incident: { ...incident, ...(dependents.length ? { dependents } : {}) },
    ...(dependents.length ? { dependents } : {}),
    ...(held ? { holdUntil: iso(now + holdMs(deps.config, held)), parent: held } : {}),
    ...(incidentId ? { incidentId } : {}),
  };
  await deps.pages.update(spec.key, () => ({ next: base, result: undefined }));
  if (parent) return { action: 'suppressed', parent };
  if (held) return { action: 'held', until: base.holdUntil!, parent: held };
  // Dependents that are down too: counted here, so they stop paging on their own.
  for (const id of dependents)
    await deps.pages.update(downKey(id), (cur) => ({
      next: cur ? { ...cur, state: 'suppressed', parent: spec.checkId! } : undefined,
      result: undefined,
    }));
  return { action: 'page', incident: await withLinks(base, deps, now) };
}

/** After the page of an admitted problem went out. */
export async function markSent(key: string, deps: Pick<OnCallDeps, 'pages' | 'now'>): Promise<void> {
  await deps.pages.update(key, (cur) => ({
    next: cur ? { ...cur, sentAt: iso(deps.now()), claimUntil: undefined } : undefined,
    result: undefined,
  }));
}

export type RecoveryDecision =
  | { action: 'page'; incident: Incident; release: PageRecord[] }
  | { action: 'quiet'; reason: string };

/** A recovery: close the record; a problem that never paged on its own recovers quietly. */
export async function admitRecovery(
  spec: Pick<AlarmSpec, 'key' | 'checkId'>,
  incident: Incident,
  deps: OnCallDeps,
): Promise<RecoveryDecision> {
  const rec = await deps.pages.update(spec.key, (cur) => ({ next: cur ? null : undefined, result: cur }));
  if (rec?.incidentId && deps.incidents)
    await deps.incidents
      .resolve(rec.incidentId, incident.at, 'Resolved: it works again.')
      .catch((e: Error) => deps.log.warn('incident not resolved (status page)', { error: e.message }));
  if (rec && rec.state !== 'paged')
    return { action: 'quiet', reason: rec.state === 'held' ? 'its page was still held' : `${rec.parent} paged for it` };
  // Dependents its page counted (or that it suppressed later): named, and those still failing page now.
  const open = spec.checkId ? (await deps.pages.list()).filter((r) => r.parent === spec.checkId) : [];
  const names = [...new Set([...(rec?.dependents ?? []), ...open.flatMap((r) => (r.checkId ? [r.checkId] : []))])];
  const states = open.length ? await deps.latest(open.map((r) => r.checkId!)).catch(() => []) : [];
  const release = open.filter((r) => r.state === 'suppressed' && failing(states, r.checkId!));
  return { action: 'page', incident: { ...incident, ...(names.length ? { dependents: names } : {}) }, release };
}

/** Pages the dependents a recovered parent released (still failing): each on its own now. */
export async function releaseDependents(records: PageRecord[], deps: OnCallDeps, send: Send): Promise<void> {
  for (const r of records) {
    const claimed = await claim(r.key, deps, (cur) => cur.state === 'suppressed');
    if (!claimed) continue;
    const now = deps.now();
    await send({ incident: { ...(await withLinks(claimed, deps, now)), at: iso(now) }, levels: [0], webhooks: true });
    await deps.pages.update(r.key, (cur) => ({
      next: cur ? { ...cur, state: 'paged', parent: undefined, sentAt: iso(now), claimUntil: undefined } : undefined,
      result: undefined,
    }));
  }
}

/** Takes the record for a send (false: gone, claimed by another sweep, or `ok` says no). */
async function claim(key: string, deps: OnCallDeps, ok: (r: PageRecord) => boolean): Promise<PageRecord | undefined> {
  const now = deps.now();
  return deps.pages.update(key, (cur) => {
    if (!cur || !ok(cur) || (cur.claimUntil && Date.parse(cur.claimUntil) > now))
      return { next: undefined, result: undefined };
    const next = { ...cur, claimUntil: iso(now + CLAIM_MS) };
    return { next, result: next };
  });
}

export interface SweepReport {
  sent: Array<{ key: string; what: string }>;
  failed: Array<{ key: string; error: string }>;
}

/** The reminder of a record at `now`. */
function reminderOf(r: PageRecord, now: number, count: number): Incident {
  const i = r.incident;
  return { ...i, kind: 'reminder', word: `STILL ${i.problem}`, at: iso(now), reminder: { count } };
}

/** Sends every page that is due now (see the file comment). Never throws; failures are reported. */
export async function sweep(deps: OnCallDeps, send: Send): Promise<SweepReport> {
  const report: SweepReport = { sent: [], failed: [] };
  const now = deps.now();
  for (const r of await deps.pages.list()) {
    try {
      if (r.state === 'held' && r.holdUntil && Date.parse(r.holdUntil) <= now) {
        const parent = r.checkId ? await downAncestor(deps, r.checkId) : undefined;
        if (parent) {
          await deps.pages.update(r.key, (cur) => ({
            next: cur && { ...cur, state: 'suppressed', parent },
            result: 0,
          }));
          continue;
        }
        const c = await claim(r.key, deps, (cur) => cur.state === 'held');
        if (!c) continue;
        await deps.pages.update(r.key, (cur) => ({
          next: cur && { ...cur, state: 'paged', parent: undefined },
          result: 0,
        }));
        await send({ incident: await withLinks(c, deps, now), levels: [0], webhooks: true });
        await markSent(r.key, deps);
        report.sent.push({ key: r.key, what: 'held page' });
        continue;
      }
      if (r.state !== 'paged') continue;
      if (!r.sentAt) {
        if (now - Date.parse(r.openedAt) < UNSENT_MS) continue;
        const c = await claim(r.key, deps, (cur) => cur.state === 'paged' && !cur.sentAt);
        if (!c) continue;
        await send({ incident: await withLinks(c, deps, now), levels: [0], webhooks: true });
        await markSent(r.key, deps);
        report.sent.push({ key: r.key, what: 'unsent page' });
        continue;
      }
      if (isAcked(r, now)) continue;
      const settings = onCallSettings(deps.config, r.severity);
      const age = now - Date.parse(r.sentAt);
      const levels = settings.escalate.filter((l) => l.level > r.level && l.afterMs <= age);
      const remindFrom = Date.parse(r.remindedAt ?? r.sentAt);
      const remind = settings.repeatMs !== undefined && now - remindFrom >= settings.repeatMs;
      if (!levels.length && !remind) continue;
      const c = await claim(r.key, deps, (cur) => cur.state === 'paged' && !isAcked(cur, now));
      if (!c) continue;
      const page = await withLinks(c, deps, now);
      for (const l of levels) {
        const incident = { ...page, at: iso(now), escalation: { level: l.level, after: l.after } };
        await send({ incident, levels: [l.level], webhooks: false });
        await deps.pages.update(r.key, (cur) => ({ next: cur && { ...cur, level: l.level }, result: 0 }));
        report.sent.push({ key: r.key, what: `escalation ${l.level}` });
      }
      const top = Math.max(c.level, ...levels.map((l) => l.level));
      if (remind) {
        const reminder = { ...reminderOf(c, now, c.reminders + 1), links: page.links };
        await send({ incident: reminder, levels: Array.from({ length: top + 1 }, (_, n) => n), webhooks: false });
        report.sent.push({ key: r.key, what: `reminder ${c.reminders + 1}` });
      }
      await deps.pages.update(r.key, (cur) => ({
        next: cur && {
          ...cur,
          level: Math.max(cur.level, top),
          ...(remind ? { reminders: cur.reminders + 1, remindedAt: iso(now) } : {}),
          claimUntil: undefined,
        },
        result: 0,
      }));
    } catch (e) {
      const error = `${(e as Error).name}: ${(e as Error).message}`;
      deps.log.error('on-call sweep: page not sent, tried again on the next sweep', { key: r.key, error });
      report.failed.push({ key: r.key, error });
    }
  }
  return report;
}

export class AckError extends Error {
  override name = 'AckError';
}

/**
 * Acknowledges the open pages of a check (or the one page of a link's `ref`): no reminders and
 * no escalation until it recovers, or until `untilMs`. Throws {@link AckError} when nothing is open.
 */
export async function acknowledge(
  deps: OnCallDeps,
  target: { checkId?: string; ref?: string },
  by: string,
  untilMs?: number,
): Promise<PageRecord[]> {
  const now = deps.now();
  const open = (await deps.pages.list()).filter((r) =>
    target.ref ? r.ref === target.ref : r.checkId === target.checkId || (!r.checkId && r.key === target.checkId),
  );
  if (!open.length) {
    const what = target.ref ? 'this page is no longer open (it recovered)' : `no open page for "${target.checkId}"`;
    throw new AckError(what);
  }
  const ack: Acknowledgement = { by, at: iso(now), ...(untilMs !== undefined ? { until: iso(untilMs) } : {}) };
  const done: PageRecord[] = [];
  for (const r of open) {
    const next = await deps.pages.update(r.key, (cur) => {
      const n = cur && { ...cur, ack };
      return { next: n, result: n };
    });
    if (!next) continue;
    done.push(next);
    if (next.incidentId && deps.incidents)
      await deps.incidents
        .acknowledge(next.incidentId, by, ack.at, ack.until)
        .catch((e: Error) => deps.log.warn('acknowledgement not recorded (status page)', { error: e.message }));
  }
  deps.log.info('acknowledged', { keys: done.map((r) => r.key), by, until: ack.until });
  return done;
}

/** `acked by ana until 16:02Z` / `acked by ana`: for the dashboard and the CLI. */
export function ackText(a: Acknowledgement, now: number): string {
  if (!a.until) return `acked by ${a.by}`;
  const left = Date.parse(a.until) - now;
  return left > 0 ? `acked by ${a.by} for ${formatDuration(left)} more` : `ack by ${a.by} expired`;
}
