/**
 * What may leave for the public: incident texts pass here on their way to the status model. The
 * notifier's own updates get fixed wording (they are written by code that knows targets and
 * error text); people's updates are shown as written, with secrets, check ids, hosts, URLs and
 * region names taken out as a safety net.
 */
import type { ValidatedConfig } from '../config/types';
import type { Incident, IncidentStatus } from '../incidents/store';
import { redactText } from '../redact';

const STANDARD: Record<IncidentStatus, string> = {
  investigating: 'We are investigating this issue.',
  identified: 'The cause has been identified and a fix is under way.',
  monitoring: 'A fix has been applied and we are monitoring the results.',
  resolved: 'This incident has been resolved.',
};

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Words that must never reach the page: check ids, target hosts and URLs, region names. */
export function internalWords(config: Pick<ValidatedConfig, 'checks' | 'regions'>): string[] {
  // (`local`, dev's region, is an ordinary word: left alone.)
  const words = new Set<string>(config.regions);
  for (const c of config.checks) {
    words.add(c.id);
    for (const v of Object.values(c as unknown as Record<string, unknown>)) {
      if (typeof v !== 'string') continue;
      try {
        const u = new URL(v);
        if (u.hostname) {
          words.add(v);
          words.add(u.host);
          words.add(u.hostname);
        }
      } catch {
        /* not a URL */
      }
    }
    const host = (c as unknown as { host?: unknown }).host;
    if (typeof host === 'string') words.add(host);
  }
  // Longest first, so a URL goes before the host inside it.
  return [...words].filter((w) => w.length >= 3).sort((a, b) => b.length - a.length);
}

/** `text` with secrets and internal words replaced. */
export function scrub(text: string, words: readonly string[]): string {
  let out = redactText(text);
  for (const w of words) out = out.replace(new RegExp(`(?<![\\w-])${escapeRe(w)}(?![\\w-])`, 'g'), '[internal]');
  return out;
}

/** The text of an update as the public sees it. */
export function publicUpdateMessage(incident: Incident, u: Incident['updates'][number], words: readonly string[]) {
  if (incident.source === 'notifier' && !u.by) return STANDARD[u.status] ?? STANDARD.investigating;
  return scrub(u.message, words);
}

/** "Checkout is unavailable", "Checkout and Search are degraded". */
export function automaticTitle(components: readonly string[], severity: Incident['severity']): string {
  const names =
    components.length <= 1
      ? (components[0] ?? 'A service')
      : `${components.slice(0, -1).join(', ')} and ${components.at(-1)}`;
  const verb = components.length > 1 ? 'are' : 'is';
  const what = severity === 'down' ? 'unavailable' : severity === 'degraded' ? 'degraded' : 'under maintenance';
  return `${names} ${verb} ${what}`;
}
