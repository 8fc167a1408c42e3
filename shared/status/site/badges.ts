/**
 * badges/<slug>.svg: a component's state and 30-day uptime as a README-style badge
 * (`Checkout | operational · 99.98%`), white text on colours with at least 4.5:1 contrast.
 */
import { escapeHtml } from './html';
import { percent, STATE_CLASS } from './present';
import type { ComponentState, StatusComponent } from './types';

const COLOURS: Record<string, string> = {
  ok: '#1a7f37',
  degraded: '#9a6700',
  partial: '#bc4c00',
  major: '#cf222e',
  maint: '#0969da',
  none: '#6e7781',
};

const BADGE_WORDS: Record<ComponentState, string> = {
  operational: 'operational',
  degraded: 'degraded',
  partial_outage: 'partial outage',
  major_outage: 'major outage',
  maintenance: 'maintenance',
  no_data: 'no data',
};

// Verdana 11 px averages about 6.5 px a character; textLength pins the drawn width to it.
const width = (s: string) => Math.round(s.length * 6.5) + 12;

export function renderBadge(c: StatusComponent): string {
  const label = c.name;
  const message = `${BADGE_WORDS[c.state]} · ${percent(c.uptime['30d'])}`;
  const lw = width(label);
  const mw = width(message);
  const colour = COLOURS[STATE_CLASS[c.state]] ?? COLOURS.none;
  const x = escapeHtml;
  const title = `${label}: ${message} (30-day uptime)`;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${lw + mw}" height="20" role="img" aria-label="${x(title)}">
  <title>${x(title)}</title>
  <clipPath id="r"><rect width="${lw + mw}" height="20" rx="3"/></clipPath>
  <g clip-path="url(#r)">
    <rect width="${lw}" height="20" fill="#3d444d"/>
    <rect x="${lw}" width="${mw}" height="20" fill="${colour}"/>
  </g>
  <g fill="#fff" font-family="Verdana,DejaVu Sans,sans-serif" font-size="11">
    <text x="6" y="14" textLength="${lw - 12}">${x(label)}</text>
    <text x="${lw + 6}" y="14" textLength="${mw - 12}">${x(message)}</text>
  </g>
</svg>
`;
}
