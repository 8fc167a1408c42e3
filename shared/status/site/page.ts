/**
 * index.html: the whole status page rendered on the server (complete without JavaScript) from
 * the template in assets/index.html. status.js only enhances it (local times, the interactive
 * chart, arrow keys across the bars, a stale warning when the page itself stops updating).
 */
import { latencyChart } from './chart';
import { fill, html, type Html, raw } from './html';
import {
  dayDetail,
  dayLevel,
  minutes,
  OVERALL_WORDS,
  percent,
  STATE_CLASS,
  STATE_WORDS,
  stateIcon,
  utcTime,
} from './present';
import type { PublicIncident, PublicMaintenance, StatusComponent, StatusModel } from './types';

/** Asset URLs of this build (content-hashed names). */
export interface PageAssets {
  css: string;
  js: string;
  chartCss: string;
  chartJs: string;
  favicon: string;
}

const WINDOWS = [
  ['24h', '24 hours'],
  ['7d', '7 days'],
  ['30d', '30 days'],
  ['90d', '90 days'],
] as const;

const SEVERITY_WORDS: Record<string, [level: string, word: string]> = {
  down: ['major', 'Outage'],
  degraded: ['degraded', 'Degraded performance'],
  maintenance: ['maint', 'Maintenance'],
  notice: ['none', 'Notice'],
};

const UPDATE_WORDS: Record<string, string> = {
  investigating: 'Investigating',
  identified: 'Identified',
  monitoring: 'Monitoring',
  resolved: 'Resolved',
};

const time = (iso: string) => html`<time datetime="${iso}">${utcTime(iso)}</time>`;

/** "Affects: Checkout, Search" (nothing when the incident names no component). */
const affects = (components: string[]) => (components.length ? html` · Affects ${components.join(', ')}` : '');

function banner(m: StatusModel): Html {
  const cls = STATE_CLASS[m.overall];
  return html`<section class="banner s-${cls}" aria-labelledby="overall">
  ${stateIcon(cls)}<h2 id="overall">${OVERALL_WORDS[m.overall]}</h2>
  <p class="as-of">${m.dataAsOf ? html`Data as of ${time(m.dataAsOf)}` : 'No monitoring data yet'}</p>
</section>`;
}

function stale(m: StatusModel): Html {
  // The script also shows it when the page itself has not been rebuilt for a while.
  const since = m.dataAsOf ? html`since ${time(m.dataAsOf)}` : 'yet: no monitoring data has arrived';
  return html`<p class="stale" role="status" data-generated="${m.generatedAt}"${raw(m.stale ? '' : ' hidden')}>
  ${stateIcon('degraded')}<span class="stale-text">Stale: this page has not been updated ${since}.
  What it shows may be out of date.</span>
</p>`;
}

function maintenanceItem(w: PublicMaintenance, active: boolean): Html {
  return html`<li class="maintenance-item">
  <h3>${stateIcon('maint')}${w.title}</h3>
  <p class="meta">${active ? 'In progress' : 'Scheduled'}: ${time(w.startsAt)} – ${time(w.endsAt)}${affects(
    w.components,
  )}</p>
</li>`;
}

function maintenance(m: StatusModel): Html | string {
  const { active, upcoming } = m.maintenance;
  if (!active.length && !upcoming.length) return '';
  return html`<section class="maintenance" aria-labelledby="maintenance-title">
  <h2 id="maintenance-title">Scheduled maintenance</h2>
  <ul class="plain">${active.map((w) => maintenanceItem(w, true))}${upcoming.map((w) => maintenanceItem(w, false))}</ul>
</section>`;
}

function updates(i: PublicIncident): Html {
  // Newest first, as people read an incident.
  const list = [...i.updates].reverse();
  return html`<ol class="updates">${list.map(
    (u) => html`<li><p class="update-head"><strong>${UPDATE_WORDS[u.status] ?? u.status}</strong> · ${time(u.at)}</p>
    <p>${u.message}</p></li>`,
  )}</ol>`;
}

function incident(i: PublicIncident, open: boolean): Html {
  const [level, word] = SEVERITY_WORDS[i.severity] ?? ['none', i.severity];
  const took = i.endedAt ? Math.round((Date.parse(i.endedAt) - Date.parse(i.startedAt)) / 60_000) : undefined;
  const when = i.endedAt
    ? html`${time(i.startedAt)} – ${time(i.endedAt)} (${minutes(Math.max(took!, 1))})`
    : html`since ${time(i.startedAt)}`;
  const body = open
    ? updates(i)
    : html`<details><summary>Updates (${i.updates.length})</summary>${updates(i)}</details>`;
  return html`<article class="incident l-${level}" id="incident-${i.id}">
  <h3>${i.title}</h3>
  <p class="meta">${stateIcon(level)}<span>${word}</span> · ${when}${affects(i.components)}</p>
  ${body}
</article>`;
}

function openIncidents(m: StatusModel): Html | string {
  if (!m.incidents.open.length) return '';
  return html`<section class="incidents open" aria-labelledby="open-title">
  <h2 id="open-title">Current incidents</h2>
  ${m.incidents.open.map((i) => incident(i, true))}
</section>`;
}

function pastIncidents(m: StatusModel): Html {
  const past = m.incidents.past;
  return html`<section class="incidents past" aria-labelledby="past-title">
  <h2 id="past-title">Past incidents</h2>
  ${past.length ? past.map((i) => incident(i, false)) : html`<p class="muted">No incidents in the last 90 days.</p>`}
</section>`;
}

function bars(c: StatusComponent): Html {
  const n = c.days.length;
  const items = c.days.map((d, i) => {
    const level = dayLevel(d);
    const edge = i < 12 ? ' edge-l' : i >= n - 12 ? ' edge-r' : '';
    const detail = dayDetail(d);
    const incidents = d.incidents.length ? html`<ul>${d.incidents.map((x) => html`<li>${x.title}</li>`)}</ul>` : '';
    const label = d.incidents.length ? `${detail} · incidents: ${d.incidents.map((x) => x.title).join('; ')}` : detail;
    const [day, ...facts] = detail.split(' · ');
    // The tip is for eyes (hover, focus); screen readers get the same text as the bar's label.
    const tip = html`<span class="tip" aria-hidden="true"
      ><strong>${day}</strong> ${facts.join(' · ')}${incidents}</span>`;
    return html`<li class="bar l-${level}${edge}" tabindex="0" data-date="${d.date}"
      data-uptime="${d.uptimePercent ?? ''}" aria-label="${label}">${tip}</li>`;
  });
  return html`<div class="history">
  <ol class="bars" aria-label="${c.name}: uptime per day, last ${n} days">${items}</ol>
  <p class="axis" aria-hidden="true">
    <span class="long">${n} days ago</span><span class="short">30 days ago</span><span>Today</span>
  </p>
</div>`;
}

function component(c: StatusComponent, id: string): Html {
  const cls = STATE_CLASS[c.state];
  return html`<article class="component s-${cls}" aria-labelledby="c-${id}" data-component="${c.name}">
  <div class="component-head">
    <h3 id="c-${id}">${c.name}</h3>
    <p class="state">${stateIcon(cls)}<span>${STATE_WORDS[c.state]}</span></p>
  </div>
  ${c.description ? html`<p class="muted desc">${c.description}</p>` : ''}
  <dl class="uptime">${WINDOWS.map(
    ([k, label]) =>
      html`<div><dt>${label}</dt>
      <dd data-window="${k}" data-value="${c.uptime[k] ?? ''}">${percent(c.uptime[k])}</dd></div>`,
  )}</dl>
  ${bars(c)}
  ${latencyChart(c, id)}
</article>`;
}

function components(m: StatusModel, ids: Map<string, string>): Html {
  const byName = new Map(m.components.map((c) => [c.name, c]));
  const groupOf = new Map(m.groups.flatMap((g) => g.components.map((n) => [n, g] as const)));
  const render = (names: string[]) =>
    names.flatMap((n) => (byName.has(n) ? [component(byName.get(n)!, ids.get(n)!)] : []));
  // In the model's order; a group appears where its first component would.
  const done = new Set<string>();
  const out: Html[] = [];
  for (const c of m.components) {
    const g = groupOf.get(c.name);
    if (!g) out.push(component(c, ids.get(c.name)!));
    else if (!done.has(g.name)) {
      done.add(g.name);
      out.push(
        html`<section class="group" aria-label="${g.name}">
  <h3 class="group-name">${g.name}</h3>${render(g.components)}
</section>`,
      );
    }
  }
  return html`${out}`;
}

const LEGEND: [string, string][] = [
  ['ok', 'No downtime'],
  ['degraded', 'Degraded'],
  ['partial', 'Partial outage'],
  ['major', 'Major outage'],
  ['maint', 'Maintenance'],
  ['none', 'No data'],
];

/** The full index.html for a model. `ids` maps component names to their slugs. */
export function renderPage(template: string, m: StatusModel, assets: PageAssets, ids: Map<string, string>): string {
  return fill(template, {
    title: m.title,
    metaDescription: m.description ?? `${m.title}: current status, uptime and incidents`,
    description: m.description ? html`<p class="lede">${m.description}</p>` : '',
    ...assets,
    banner: banner(m),
    stale: stale(m),
    maintenance: maintenance(m),
    openIncidents: openIncidents(m),
    legend: html`<ul class="legend" aria-label="Bar colours">${LEGEND.map(
      ([l, w]) => html`<li><span class="swatch l-${l}" aria-hidden="true"></span>${w}</li>`,
    )}</ul>`,
    components: components(m, ids),
    pastIncidents: pastIncidents(m),
    accounting: m.accounting,
    badgeLinks: m.components.map((c) => html`<li><a href="badges/${ids.get(c.name)!}.svg">Badge: ${c.name}</a></li>`),
    generated: time(m.generatedAt),
  });
}
