/**
 * The status model: everything the public status page, `status.json`, the feed and the badges
 * show, built from the results table (rollups, latest states, incidents) and the config. Public
 * names only: no check id, target, host, error text or region name is ever put in it.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { ValidatedCheck, ValidatedConfig } from '../config/types';
import { ms } from '../duration';
import { IncidentStore, type Incident } from '../incidents/store';
import { mergeSketch, quantile, type Sketch } from '../rollups/sketch';
import { RollupStore, type DayRollup } from '../rollups/store';
import { DynamoResultStore } from '../store/dynamo-store';
import type { LatestState } from '../store/types';
import {
  checkTimeline,
  combineTimelines,
  covers,
  DAY,
  dayOf,
  HOUR,
  MINUTE,
  maintenanceOccurrences,
  totals,
  UPTIME_DEFINITION,
  uptimePercent,
} from './accounting';
import { historyDays } from './config';
import { automaticTitle, internalWords, publicUpdateMessage, scrub } from './public';

export type ComponentState = 'operational' | 'degraded' | 'partial_outage' | 'major_outage' | 'maintenance' | 'no_data';

export interface StatusDay {
  /** YYYY-MM-DD UTC */
  date: string;
  /** null: no data */
  uptimePercent: number | null;
  downMinutes: number;
  degradedMinutes: number;
  maintenanceMinutes: number;
  noDataMinutes: number;
  incidents: { id: string; title: string }[];
}

export interface StatusComponent {
  name: string;
  description?: string;
  group?: string;
  state: ComponentState;
  uptime: { '24h': number | null; '7d': number | null; '30d': number | null; '90d': number | null };
  /** Oldest → newest, exactly the history length (90 by default). */
  days: StatusDay[];
  /** Last 7 days, hourly, oldest first. */
  latency: { hour: string; p50: number | null; p95: number | null }[];
}

export interface PublicIncident {
  /** Opaque id, never a check id. */
  id: string;
  title: string;
  severity: string;
  components: string[];
  startedAt: string;
  endedAt?: string;
  updates: { at: string; status: string; message: string }[];
}

export interface PublicMaintenance {
  title: string;
  components: string[];
  startsAt: string;
  endsAt: string;
}

export interface StatusModel {
  title: string;
  description?: string;
  generatedAt: string;
  /** Newest run any page check stored; null when none ever ran. */
  dataAsOf: string | null;
  /** True when no run has been stored for a while (the runner may be down): the page says since when. */
  stale: boolean;
  overall: ComponentState;
  groups: { name: string; components: string[] }[];
  components: StatusComponent[];
  /** Open ones, and the past ones of the history, newest first. */
  incidents: { open: PublicIncident[]; past: PublicIncident[] };
  maintenance: { active: PublicMaintenance[]; upcoming: PublicMaintenance[] };
  /** The one-paragraph uptime definition shown on the page. */
  accounting: string;
}

/** How far ahead scheduled maintenance is announced. */
export const UPCOMING_MS = 30 * DAY;
const LATENCY_HOURS = 7 * 24;
const RANK: Record<ComponentState, number> = {
  no_data: 0,
  operational: 1,
  maintenance: 2,
  degraded: 3,
  partial_outage: 4,
  major_outage: 5,
};
const worse = (a: ComponentState, b: ComponentState) => (RANK[b] > RANK[a] ? b : a);

/** A latest state is fresh while it is younger than three runs (and at least ten minutes). */
const freshFor = (check: Pick<ValidatedCheck, 'frequency'>) => Math.max(10 * MINUTE, 3 * ms(check.frequency));

function componentState(
  checks: readonly ValidatedCheck[],
  latest: readonly LatestState[],
  openIncidents: readonly Incident[],
  inMaintenance: boolean,
  now: number,
): ComponentState {
  if (inMaintenance) return 'maintenance';
  let fresh = 0;
  let failing = 0;
  let degraded = false;
  for (const c of checks)
    for (const l of latest) {
      if (l.checkId !== c.id || now - Date.parse(l.lastScheduledAt) > freshFor(c)) continue;
      fresh++;
      if (l.status === 'fail') failing++;
      else if (l.status === 'degraded') degraded = true;
    }
  let state: ComponentState =
    fresh === 0
      ? 'no_data'
      : failing === fresh
        ? 'major_outage'
        : failing > 0
          ? 'partial_outage'
          : degraded
            ? 'degraded'
            : 'operational';
  // The alarm's view (quorum met) and people's declarations lift what the latest runs say.
  for (const i of openIncidents)
    if (i.severity === 'down') state = worse(state, i.source === 'manual' ? 'major_outage' : 'partial_outage');
    else if (i.severity === 'degraded') state = worse(state, 'degraded');
    else if (i.severity === 'maintenance' && state === 'operational') state = 'maintenance';
  return state;
}

export async function buildStatusModel(opts: {
  config: ValidatedConfig;
  client: DynamoDBClient;
  tableName: string;
  now?: Date;
}): Promise<StatusModel> {
  const { config } = opts;
  const page = config.statusPage;
  const nowDate = opts.now ?? new Date();
  const now = nowDate.getTime();
  const historyLen = historyDays(config);
  const today = Date.parse(dayOf(now));
  // Timelines span the history and at least 90 days (the 90-day uptime figure).
  const spanDays = Math.max(historyLen, 90);
  const from = today - (spanDays - 1) * DAY;
  const to = today + DAY;
  const byId = new Map(config.checks.map((c) => [c.id, c]));
  const components = (page?.components ?? []).map((c) => ({
    ...c,
    checks: c.checks.map((id) => byId.get(id)).filter((x): x is ValidatedCheck => !!x && x.enabled),
  }));
  const pageCheckIds = [...new Set(components.flatMap((c) => c.checks.map((ch) => ch.id)))];

  const rollupStore = new RollupStore({ client: opts.client, tableName: opts.tableName });
  const incidentStore = new IncidentStore(opts.client, opts.tableName);
  const resultStore = new DynamoResultStore({ client: opts.client, tableName: opts.tableName, retentionMs: DAY });
  const [rollupLists, incidents, latest] = await Promise.all([
    Promise.all(pageCheckIds.map((id) => rollupStore.read(id, dayOf(from), dayOf(to - 1)))),
    incidentStore.list({ since: new Date(from).toISOString(), until: new Date(to).toISOString() }),
    pageCheckIds.length ? resultStore.latest(pageCheckIds) : Promise.resolve([]),
  ]);
  const rollups = new Map<string, DayRollup[]>(pageCheckIds.map((id, i) => [id, rollupLists[i]!]));
  const occurrences = maintenanceOccurrences(config, from, now + UPCOMING_MS);
  const words = internalWords(config);

  // Which page components an incident affects: its own list, else the components of its check.
  const affected = (i: Incident): string[] => {
    const names = new Set(components.map((c) => c.name));
    if (i.components.length) return i.components.filter((n) => names.has(n));
    return components.filter((c) => c.checks.some((ch) => ch.id === i.checkId)).map((c) => c.name);
  };
  const publicIncidents = new Map<Incident, PublicIncident>();
  for (const i of incidents) {
    const comps = affected(i);
    if (!comps.length) continue;
    publicIncidents.set(i, {
      id: i.id,
      title: i.source === 'notifier' ? automaticTitle(comps, i.severity) : scrub(i.title, words),
      severity: i.severity,
      components: comps,
      startedAt: i.startedAt,
      ...(i.endedAt ? { endedAt: i.endedAt } : {}),
      updates: i.updates.map((u) => ({ at: u.at, status: u.status, message: publicUpdateMessage(i, u, words) })),
    });
  }

  const groupOf = new Map<string, string>();
  for (const g of page?.groups ?? []) for (const n of g.components) groupOf.set(n, g.name);
  const nowIdx = Math.ceil((now - from) / MINUTE);
  const latencyFrom = Math.floor(now / HOUR) * HOUR - (LATENCY_HOURS - 1) * HOUR;

  const built: StatusComponent[] = components.map((comp) => {
    const timelines = comp.checks.map((check) =>
      checkTimeline({
        check,
        from,
        to,
        now,
        rollups: rollups.get(check.id) ?? [],
        incidents,
        maintenance: occurrences,
      }),
    );
    // A component whose checks are all disabled has no data, minute by minute.
    const none = () =>
      checkTimeline({ check: { id: '', frequency: '1m' }, from, to, now, rollups: [], incidents: [], maintenance: [] });
    const line = timelines.length ? combineTimelines(timelines) : none();
    const window = (days: number) => uptimePercent(totals(line, nowIdx - days * 1440, nowIdx));
    const mine = [...publicIncidents.values()].filter((p) => p.components.includes(comp.name));
    const days: StatusDay[] = [];
    for (let d = spanDays - historyLen; d < spanDays; d++) {
      const t = totals(line, d * 1440, (d + 1) * 1440);
      const dayStart = from + d * DAY;
      days.push({
        date: dayOf(dayStart),
        uptimePercent: uptimePercent(t),
        downMinutes: t.down,
        degradedMinutes: t.degraded,
        maintenanceMinutes: t.maintenance,
        noDataMinutes: t.noData,
        incidents: mine
          .filter((p) => Date.parse(p.startedAt) < dayStart + DAY && (!p.endedAt || Date.parse(p.endedAt) >= dayStart))
          .map((p) => ({ id: p.id, title: p.title })),
      });
    }
    const hourly = Array.from({ length: LATENCY_HOURS }, (): Sketch => new Map());
    for (const check of comp.checks)
      for (const r of rollups.get(check.id) ?? []) {
        const day = Date.parse(r.day);
        r.hours.forEach((h, hour) => {
          const idx = (day + hour * HOUR - latencyFrom) / HOUR;
          if (idx >= 0 && idx < LATENCY_HOURS) mergeSketch(hourly[idx]!, h.latency);
        });
      }
    const open = incidents.filter((i) => !i.endedAt && publicIncidents.get(i)?.components.includes(comp.name));
    const inMaintenance =
      comp.checks.length > 0 &&
      comp.checks.every((c) => occurrences.some((o) => covers(o, c.id) && o.start <= now && now < o.end));
    return {
      name: comp.name,
      ...(comp.description ? { description: comp.description } : {}),
      ...(groupOf.has(comp.name) ? { group: groupOf.get(comp.name)! } : {}),
      state: componentState(comp.checks, latest, open, inMaintenance, now),
      uptime: { '24h': window(1), '7d': window(7), '30d': window(30), '90d': window(90) },
      days,
      latency: hourly.map((s, i) => ({
        hour: new Date(latencyFrom + i * HOUR).toISOString(),
        p50: quantile(s, 0.5),
        p95: quantile(s, 0.95),
      })),
    };
  });

  const newest = latest.reduce((m, l) => Math.max(m, Date.parse(l.lastScheduledAt)), Number.NEGATIVE_INFINITY);
  const minFreq = Math.min(...components.flatMap((c) => c.checks.map((ch) => ms(ch.frequency))), DAY);
  const stale = !Number.isFinite(newest) || now - newest > Math.max(10 * MINUTE, 3 * minFreq);
  const states = built.map((c) => c.state).filter((s) => s !== 'no_data');
  const historyFrom = today - (historyLen - 1) * DAY;
  const all = [...publicIncidents.values()].sort((a, b) => b.startedAt.localeCompare(a.startedAt));
  const publicMaintenance = (o: (typeof occurrences)[number]): PublicMaintenance | undefined => {
    const comps = components.filter((c) => c.checks.some((ch) => covers(o, ch.id))).map((c) => c.name);
    if (!comps.length) return undefined;
    return {
      title: 'Scheduled maintenance',
      components: comps,
      startsAt: new Date(o.start).toISOString(),
      endsAt: new Date(o.end).toISOString(),
    };
  };
  const pick = (list: typeof occurrences) =>
    list.map(publicMaintenance).filter((m): m is PublicMaintenance => m !== undefined);

  return {
    title: page?.title ?? config.project,
    ...(page?.description ? { description: page.description } : {}),
    generatedAt: nowDate.toISOString(),
    dataAsOf: Number.isFinite(newest) ? new Date(newest).toISOString() : null,
    stale,
    overall: states.length ? states.reduce(worse, 'operational') : 'no_data',
    groups: (page?.groups ?? []).map((g) => ({ name: g.name, components: [...g.components] })),
    components: built,
    incidents: {
      open: all.filter((p) => !p.endedAt),
      past: all.filter((p) => p.endedAt && Date.parse(p.endedAt) >= historyFrom),
    },
    maintenance: {
      active: pick(occurrences.filter((o) => o.start <= now && now < o.end)),
      upcoming: pick(occurrences.filter((o) => o.start > now && o.start <= now + UPCOMING_MS)),
    },
    accounting: UPTIME_DEFINITION,
  };
}
