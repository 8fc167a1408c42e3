/**
 * Uptime accounting: the one definition the status page, its feed and `watchpost report` share.
 * Every minute of a period gets one state, by precedence maintenance > down > degraded > no
 * data > up (see {@link UPTIME_DEFINITION}); uptime is the share of the minutes with data,
 * maintenance excluded, that were not down.
 */
import { Cron } from 'croner';
import { cronFields, muteSchedule } from '../alarms/maintenance';
import type { MaintenanceWindow, ValidatedCheck, ValidatedConfig } from '../config/types';
import { parseDuration } from '../duration';
import type { Incident } from '../incidents/store';
import { mergeSketch, quantile, type Sketch } from '../rollups/sketch';
import type { DayRollup } from '../rollups/store';

/** The uptime definition, word for word on the page and in docs/status-page.md. */
export const UPTIME_DEFINITION =
  'Uptime counts minutes. A minute is down when the check was failing in enough regions to raise ' +
  'its DOWN alarm (its quorum) at any time in that minute; degraded when it was slow or degraded ' +
  'enough to raise its DEGRADED alarm; no data when nothing ran. Minutes inside announced ' +
  'maintenance are excluded, and so are minutes with no data: uptime = (minutes counted − down ' +
  'minutes) / minutes counted. Degraded minutes count as up. A component is down in a minute when ' +
  'any of its checks is, degraded when any is, in maintenance when all are.';

export const MINUTE = 60_000;
export const HOUR = 3_600_000;
export const DAY = 86_400_000;

/** Minute states, in precedence order (a higher one wins). */
export const M = { up: 0, noData: 1, degraded: 2, down: 3, maintenance: 4, future: 5 } as const;

/** Minutes of a period by state; `future` minutes (after now) are in none of them. */
export interface MinuteTotals {
  /** Minutes of the period up to now. */
  minutes: number;
  down: number;
  degraded: number;
  maintenance: number;
  noData: number;
}

/** One occurrence of a maintenance window. */
export interface MaintenanceOccurrence {
  window: MaintenanceWindow;
  start: number;
  end: number;
}

/** Occurrences of the config's windows that overlap [from, to). */
export function maintenanceOccurrences(
  config: Pick<ValidatedConfig, 'maintenance'>,
  from: number,
  to: number,
): MaintenanceOccurrence[] {
  const out: MaintenanceOccurrence[] = [];
  for (const w of config.maintenance ?? []) {
    const len = parseDuration(w.duration) ?? 0;
    if (w.schedule !== undefined) {
      const fields = cronFields(w.schedule);
      if (!fields) continue;
      const cron = new Cron(fields.join(' '), { timezone: w.timezone ?? 'UTC' });
      // Start far enough back that a window begun before `from` and still running is found.
      let at = cron.nextRun(new Date(from - len - 1));
      for (let n = 0; at && at.getTime() < to && n < 10_000; n++) {
        const start = at.getTime();
        if (start + len > from) out.push({ window: w, start, end: start + len });
        at = cron.nextRun(at);
      }
    } else {
      const m = muteSchedule(w);
      const iso = /^at\((.*)\)$/.exec(m.expression)?.[1];
      const start = iso ? new Cron(`${iso}:00`, { timezone: m.timezone }).nextRun(new Date(0))?.getTime() : undefined;
      if (start !== undefined && start < to && start + len > from) out.push({ window: w, start, end: start + len });
    }
  }
  return out.sort((a, b) => a.start - b.start);
}

export const covers = (o: MaintenanceOccurrence, checkId: string) =>
  !o.window.checks || o.window.checks.includes(checkId);

export interface TimelineInput {
  check: Pick<ValidatedCheck, 'id' | 'frequency'>;
  /** ms, minute-aligned start of the timeline. */
  from: number;
  /** ms, end (exclusive). */
  to: number;
  now: number;
  rollups: readonly DayRollup[];
  /** Incidents of any check; only this check's notifier DOWN/DEGRADED ones count. */
  incidents: readonly Incident[];
  maintenance: readonly MaintenanceOccurrence[];
}

/** Marks minutes [a, b) (ms) of the timeline with `state` where it outranks what is there. */
function mark(states: Uint8Array, from: number, a: number, b: number, state: number): void {
  const i0 = Math.max(0, Math.floor((a - from) / MINUTE));
  const i1 = Math.min(states.length, Math.ceil((b - from) / MINUTE));
  for (let i = i0; i < i1; i++) if (states[i]! < state) states[i] = state;
}

/** The state of each minute of one check in [from, to). */
export function checkTimeline(t: TimelineInput): Uint8Array {
  const n = Math.max(0, Math.ceil((t.to - t.from) / MINUTE));
  const states = new Uint8Array(n).fill(M.noData);
  const freqMin = (parseDuration(t.check.frequency) ?? MINUTE) / MINUTE;
  // A run stands for its frequency's worth of minutes (a 5m check runs 12 times an hour).
  for (const d of t.rollups) {
    const day = Date.parse(d.day);
    d.hours.forEach((h, hour) => {
      if (!h.runs) return;
      const start = day + hour * HOUR;
      const i0 = Math.max(0, Math.floor((start - t.from) / MINUTE));
      const i1 = Math.min(n, Math.floor((start - t.from) / MINUTE) + Math.ceil(h.runs * freqMin - 1e-9));
      for (let i = i0; i < i1; i++) if (states[i] === M.noData) states[i] = M.up;
    });
  }
  for (const inc of t.incidents) {
    if (inc.checkId !== t.check.id || inc.source !== 'notifier') continue;
    const state = inc.severity === 'down' ? M.down : inc.severity === 'degraded' ? M.degraded : undefined;
    if (state === undefined) continue;
    const end = inc.endedAt ? Date.parse(inc.endedAt) : t.now;
    // Any overlap with a minute makes the whole minute count.
    mark(states, t.from, Math.floor(Date.parse(inc.startedAt) / MINUTE) * MINUTE, end, state);
  }
  for (const o of t.maintenance) if (covers(o, t.check.id)) mark(states, t.from, o.start, o.end, M.maintenance);
  mark(states, t.from, Math.ceil(t.now / MINUTE) * MINUTE, t.to, M.future);
  return states;
}

/** A component's minutes from its checks': down when any is, degraded when any is, maintenance when all are. */
export function combineTimelines(timelines: readonly Uint8Array[]): Uint8Array {
  const n = timelines[0]?.length ?? 0;
  const out = new Uint8Array(n).fill(M.noData);
  for (let i = 0; i < n; i++) {
    let worst = -1;
    let allMaintenance = true;
    let future = false;
    for (const t of timelines) {
      const s = t[i]!;
      if (s === M.future) future = true;
      if (s !== M.maintenance) allMaintenance = false;
      if (s === M.maintenance || s === M.future) continue;
      // noData ranks below up here: one check with data gives the component data.
      const rank = s === M.noData ? -0.5 : s;
      if (rank > worst) worst = rank;
    }
    out[i] = future ? M.future : allMaintenance ? M.maintenance : worst < 0 ? M.noData : worst;
  }
  return out;
}

/** Totals of minutes [start, end) of a timeline (indices). */
export function totals(states: Uint8Array, start = 0, end = states.length): MinuteTotals {
  const t: MinuteTotals = { minutes: 0, down: 0, degraded: 0, maintenance: 0, noData: 0 };
  for (let i = Math.max(0, start); i < Math.min(end, states.length); i++) {
    const s = states[i];
    if (s === M.future) continue;
    t.minutes++;
    if (s === M.down) t.down++;
    else if (s === M.degraded) t.degraded++;
    else if (s === M.maintenance) t.maintenance++;
    else if (s === M.noData) t.noData++;
  }
  return t;
}

/** Uptime in percent, 3 decimals, rounded down (a down minute never shows as 100); null without data. */
export function uptimePercent(t: MinuteTotals): number | null {
  const counted = t.minutes - t.maintenance - t.noData;
  if (counted <= 0) return null;
  return Math.floor(((counted - t.down) / counted) * 100_000 + 1e-6) / 1000;
}

/** Run figures of one region of a check: from its rollups, runs in maintenance left out pro rata. */
export interface RegionFigures {
  region: string;
  runs: number;
  failures: number;
  degraded: number;
  /** Share of counted runs that did not fail. */
  successPercent: number | null;
  latency: Sketch;
}

export function regionFigures(
  checkId: string,
  rollups: readonly DayRollup[],
  maintenance: readonly MaintenanceOccurrence[],
  from: number,
  to: number,
): RegionFigures[] {
  const mine = maintenance.filter((o) => covers(o, checkId));
  const byRegion = new Map<string, { runs: number; failures: number; degraded: number; latency: Sketch }>();
  for (const d of rollups) {
    const r = byRegion.get(d.region) ?? { runs: 0, failures: 0, degraded: 0, latency: new Map() };
    byRegion.set(d.region, r);
    const day = Date.parse(d.day);
    d.hours.forEach((h, hour) => {
      const start = day + hour * HOUR;
      if (!h.runs || start + HOUR <= from || start >= to) return;
      let inMaintenance = 0;
      for (const o of mine) inMaintenance += Math.max(0, Math.min(o.end, start + HOUR) - Math.max(o.start, start));
      const keep = 1 - Math.min(HOUR, inMaintenance) / HOUR;
      r.runs += h.runs * keep;
      r.failures += h.failures * keep;
      r.degraded += h.degraded * keep;
      if (keep > 0) mergeSketch(r.latency, h.latency);
    });
  }
  return [...byRegion.entries()]
    .map(([region, r]) => ({
      region,
      runs: Math.round(r.runs),
      failures: Math.round(r.failures),
      degraded: Math.round(r.degraded),
      successPercent: r.runs > 0 ? Math.floor(((r.runs - r.failures) / r.runs) * 100_000 + 1e-6) / 1000 : null,
      latency: r.latency,
    }))
    .sort((a, b) => a.region.localeCompare(b.region));
}

/** p50/p95/p99 of a sketch in ms. */
export const percentiles = (s: Sketch) => ({ p50: quantile(s, 0.5), p95: quantile(s, 0.95), p99: quantile(s, 0.99) });

/** YYYY-MM-DD of a time (UTC). */
export const dayOf = (ms: number) => new Date(ms).toISOString().slice(0, 10);
