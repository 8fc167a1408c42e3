/**
 * feed.xml: an Atom feed (RFC 4287) of incidents (open and past, with their updates) and
 * maintenance (in progress and announced), newest first, for feed readers and chat integrations.
 */
import { escapeHtml, html } from './html';
import { STATE_WORDS } from './present';
import type { PublicIncident, PublicMaintenance, StatusModel } from './types';

interface Entry {
  id: string;
  title: string;
  updated: string;
  published: string;
  link?: string;
  content: string;
}

const UPDATE_WORDS: Record<string, string> = { investigating: 'Investigating', identified: 'Identified' };
const word = (s: string) => UPDATE_WORDS[s] ?? s.charAt(0).toUpperCase() + s.slice(1);

function incidentEntry(i: PublicIncident, idBase: string, siteUrl?: string): Entry {
  const last = i.updates.at(-1)?.at ?? i.startedAt;
  const updated = [last, i.endedAt ?? ''].sort().at(-1)!;
  const state = i.endedAt ? 'Resolved' : 'Ongoing';
  const content = html`<p>${state}${i.components.length ? ` · Affects ${i.components.join(', ')}` : ''}</p>
<ul>${[...i.updates].reverse().map((u) => html`<li><strong>${word(u.status)}</strong> (${u.at}): ${u.message}</li>`)}
</ul>`;
  return {
    id: `${idBase}incident-${i.id}`,
    title: `${i.endedAt ? '[Resolved] ' : ''}${i.title}`,
    updated,
    published: i.startedAt,
    link: siteUrl ? `${siteUrl}#incident-${i.id}` : undefined,
    content: content.value,
  };
}

function maintenanceEntry(w: PublicMaintenance, idBase: string, siteUrl?: string): Entry {
  const content = html`<p>${STATE_WORDS.maintenance} from ${w.startsAt} to ${w.endsAt}${
    w.components.length ? ` · Affects ${w.components.join(', ')}` : ''
  }</p>`;
  // Stable per window: a reader shows it once, not again on every rebuild.
  const key = encodeURIComponent(`${w.title}@${w.startsAt}`);
  return {
    id: `${idBase}maintenance-${key}`,
    title: `[Maintenance] ${w.title}`,
    // Dated by its start, also ahead of time: an announcement stays on top and never changes by itself.
    updated: w.startsAt,
    published: w.startsAt,
    link: siteUrl,
    content: content.value,
  };
}

/**
 * The feed's XML. `siteUrl` (the page's public address, when known) gives entries links and ids
 * under it; without it ids are `urn:watchpost:…`, stable all the same.
 */
export function renderFeed(m: StatusModel, siteUrl?: string): string {
  const base = siteUrl ? (siteUrl.endsWith('/') ? siteUrl : `${siteUrl}/`) : undefined;
  const idBase = base ? `${base}#` : `urn:watchpost:${encodeURIComponent(m.title)}:`;
  const entries = [
    ...[...m.incidents.open, ...m.incidents.past].map((i) => incidentEntry(i, idBase, base)),
    ...[...m.maintenance.active, ...m.maintenance.upcoming].map((w) => maintenanceEntry(w, idBase, base)),
  ].sort((a, b) => (a.updated < b.updated ? 1 : a.updated > b.updated ? -1 : 0));
  const x = escapeHtml;
  // The feed changes only when an entry does: its `updated` is the newest entry's, not the build time.
  const updated = entries[0]?.updated ?? m.dataAsOf ?? m.generatedAt;
  const lines = [
    '<?xml version="1.0" encoding="utf-8"?>',
    '<feed xmlns="http://www.w3.org/2005/Atom">',
    `  <title>${x(m.title)}: incidents and maintenance</title>`,
    `  <id>${x(base ?? `urn:watchpost:${encodeURIComponent(m.title)}`)}</id>`,
    `  <updated>${x(updated)}</updated>`,
    base ? `  <link rel="alternate" type="text/html" href="${x(base)}"/>` : '',
    base ? `  <link rel="self" type="application/atom+xml" href="${x(`${base}feed.xml`)}"/>` : '',
    `  <author><name>${x(m.title)}</name></author>`,
    '  <generator>watchpost</generator>',
    ...entries.map((e) =>
      [
        '  <entry>',
        `    <id>${x(e.id)}</id>`,
        `    <title>${x(e.title)}</title>`,
        `    <published>${x(e.published)}</published>`,
        `    <updated>${x(e.updated)}</updated>`,
        e.link ? `    <link rel="alternate" type="text/html" href="${x(e.link)}"/>` : '',
        `    <content type="html">${x(e.content)}</content>`,
        '  </entry>',
      ]
        .filter(Boolean)
        .join('\n'),
    ),
    '</feed>',
    '',
  ];
  return lines.filter((l) => l !== '').join('\n');
}
