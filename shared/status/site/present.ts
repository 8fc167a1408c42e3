/**
 * How the page says things: state words and icons (colour is never the only signal), a day's
 * level for its bar, percentages and times. Shared by the page, the badges and the feed so they
 * never disagree.
 */
import { type Html, raw } from './html';
import type { ComponentState, StatusDay } from './types';

/** A component's state in words. */
export const STATE_WORDS: Record<ComponentState, string> = {
  operational: 'Operational',
  degraded: 'Degraded performance',
  partial_outage: 'Partial outage',
  major_outage: 'Major outage',
  maintenance: 'Under maintenance',
  no_data: 'No data',
};

/** The banner at the top of the page, for the overall state. */
export const OVERALL_WORDS: Record<ComponentState, string> = {
  operational: 'All systems operational',
  degraded: 'Some systems are degraded',
  partial_outage: 'Partial outage',
  major_outage: 'Major outage',
  maintenance: 'Scheduled maintenance in progress',
  no_data: 'Status unknown: no recent data',
};

/** The CSS class suffix of a state (`s-ok`, `s-major`…): one palette for page and badges. */
export const STATE_CLASS: Record<ComponentState, string> = {
  operational: 'ok',
  degraded: 'degraded',
  partial_outage: 'partial',
  major_outage: 'major',
  maintenance: 'maint',
  no_data: 'none',
};

// 16×16 glyphs, each a different shape: the state reads in grey scale and for colour-blind eyes.
const ON = 'stroke="var(--on-badge)" stroke-width="1.8"';
const ICON_PATHS: Record<string, string> = {
  ok: `<circle cx="8" cy="8" r="7"/><path d="M4.5 8.2l2.3 2.3 4.7-4.9" fill="none" ${ON}/>`,
  degraded: `<path d="M8 1l7.5 13.5h-15z"/><path d="M8 6v4M8 11.6v1.2" ${ON}/>`,
  partial: '<circle cx="8" cy="8" r="7"/><path d="M4 8h8" stroke="var(--on-badge)" stroke-width="2"/>',
  major: `<path d="M5 1h6l4 4v6l-4 4H5l-4-4V5z"/><path d="M5.5 5.5l5 5M10.5 5.5l-5 5" ${ON}/>`,
  maint: `<rect x="1" y="1" width="14" height="14" rx="3"/><path d="M8 4v4.5l3 1.8" fill="none" ${ON}/>`,
  none:
    '<circle cx="8" cy="8" r="6.2" fill="none" stroke="currentColor" stroke-width="1.6" ' +
    'stroke-dasharray="2.4 1.6"/>',
};

/** The state's glyph (decorative: the word beside it carries the meaning). */
export function stateIcon(level: string): Html {
  return raw(
    `<svg class="icon i-${level}" viewBox="0 0 16 16" width="16" height="16" aria-hidden="true" focusable="false">` +
      `${ICON_PATHS[level] ?? ICON_PATHS.none}</svg>`,
  );
}

/** A day's bar level: how bad its worst minutes were. */
export type DayLevel = 'none' | 'ok' | 'maint' | 'degraded' | 'partial' | 'major';

/** Down an hour or more (or under 95 %) is a major outage day; any down minute a partial one. */
export function dayLevel(d: StatusDay): DayLevel {
  if (d.uptimePercent === null) return 'none';
  if (d.downMinutes >= 60 || d.uptimePercent < 95) return 'major';
  if (d.downMinutes > 0) return 'partial';
  if (d.degradedMinutes > 0) return 'degraded';
  if (d.maintenanceMinutes > 0) return 'maint';
  return 'ok';
}

/**
 * An uptime percentage as shown: two decimals, rounded down so a day with a down minute never
 * reads "100%"; `null` is "no data".
 */
export function percent(p: number | null): string {
  if (p === null) return 'no data';
  if (p >= 100) return '100%';
  return `${(Math.floor(p * 100) / 100).toFixed(2)}%`;
}

/** `90 min` → `1 h 30 min`. */
export function minutes(n: number): string {
  if (n < 60) return `${n} min`;
  const h = Math.floor(n / 60);
  const m = n % 60;
  return m ? `${h} h ${m} min` : `${h} h`;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

/** `2026-11-30` → `Mon 30 Nov 2026` (the date is a UTC day). */
export function dayName(date: string): string {
  const d = new Date(`${date}T00:00:00Z`);
  return `${WEEKDAYS[d.getUTCDay()]} ${d.getUTCDate()} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()}`;
}

/** An instant in UTC, e.g. `30 Nov 2026, 14:05 UTC` (the script shows it in the reader's time zone). */
export function utcTime(iso: string): string {
  const d = new Date(iso);
  const hh = String(d.getUTCHours()).padStart(2, '0');
  const mm = String(d.getUTCMinutes()).padStart(2, '0');
  return `${d.getUTCDate()} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()}, ${hh}:${mm} UTC`;
}

/** A day's detail in one line (the bar's tooltip and its accessible name). */
export function dayDetail(d: StatusDay): string {
  const parts = [dayName(d.date)];
  if (d.uptimePercent === null) parts.push('no data');
  else {
    parts.push(`${percent(d.uptimePercent)} uptime`);
    if (d.downMinutes) parts.push(`down ${minutes(d.downMinutes)}`);
    if (d.degradedMinutes) parts.push(`degraded ${minutes(d.degradedMinutes)}`);
    if (d.maintenanceMinutes) parts.push(`maintenance ${minutes(d.maintenanceMinutes)}`);
    if (!d.downMinutes && !d.degradedMinutes) parts.push('no incidents');
  }
  return parts.join(' · ');
}

/** A component name as a file name: `Checkout API` → `checkout-api` (badges/<slug>.svg). */
export function slug(name: string): string {
  const s = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
  return s || 'component';
}

/** Unique slugs for a list of names (a second `Checkout!` becomes `checkout-2`). */
export function slugs(names: readonly string[]): Map<string, string> {
  const seen = new Set<string>();
  const out = new Map<string, string>();
  for (const name of names) {
    const base = slug(name);
    let s = base;
    for (let i = 2; seen.has(s); i++) s = `${base}-${i}`;
    seen.add(s);
    out.set(name, s);
  }
  return out;
}
