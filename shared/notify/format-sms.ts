/**
 * The SMS of a page: one segment (160 GSM-7 septets), the most useful facts first, e.g.
 * `DOWN shop-cart 3/3 regions HTTP 503 since 14:02Z` or `OK shop-cart after 12m`. Facts that do
 * not fit are left out whole (least useful first); only a free-text part (an error message) is
 * shortened, and then at a word boundary.
 */
import { formatDuration } from '../duration';
import { gsmLength, SMS_SEPTETS, toGsm, truncateWords } from './gsm';
import type { Incident } from './message';

/** A piece of a message: lower `priority` is kept first; `truncatable` text may be shortened at a word. */
export interface Part {
  text: string;
  priority: number;
  truncatable?: boolean;
}

/**
 * Joins the parts (in their given order) with `sep`, keeping the most important ones that fit
 * in `max` units of `measure`. A truncatable part that does not fit whole is shortened to the
 * room left, at a word boundary.
 */
export function fitParts(parts: readonly Part[], max: number, measure: (s: string) => number, sep = ' '): string {
  const items = parts.map((p, i) => ({ ...p, text: p.text.trim(), i })).filter((p) => p.text);
  const order = [...items].sort((a, b) => a.priority - b.priority || a.i - b.i);
  const chosen = new Map<number, string>();
  const sepLen = measure(sep);
  const used = () => [...chosen.values()].reduce((n, t) => n + measure(t), 0) + Math.max(0, chosen.size - 1) * sepLen;
  for (const p of order) {
    const room = max - used() - (chosen.size ? sepLen : 0);
    if (measure(p.text) <= room) chosen.set(p.i, p.text);
    else if (p.truncatable && room > 3) {
      const short = truncateWords(p.text, room, measure);
      if (short) chosen.set(p.i, short);
    }
  }
  return items
    .filter((p) => chosen.has(p.i))
    .map((p) => chosen.get(p.i)!)
    .join(sep);
}

/** `14:02Z`; with the date (`03-01 14:02Z`) when it is not within 20 hours of `ref`. */
export function clock(iso: string, ref: string = iso): string {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return iso;
  const d = new Date(t).toISOString();
  const far = Math.abs(Date.parse(ref) - t) > 20 * 3_600_000;
  return `${far ? `${d.slice(5, 10)} ` : ''}${d.slice(11, 16)}Z`;
}

/** `3/3 regions`, `us-east-1`, or '' when none is known. */
export function whereText(i: Incident): string {
  if (i.runnerRegion) return i.runnerRegion;
  if (!i.affected.length) {
    // No results to tell: say what the alarm's rule implies.
    if (!i.quorum || i.kind === 'recovery') return '';
    if (i.check?.regions.length === 1) return i.check.regions[0]!;
    return `${i.quorum >= i.total ? '' : '>='}${i.quorum}/${i.total} regions`;
  }
  if (i.affected.length === 1) return i.affected[0]!;
  return `${i.affected.length}/${i.total} regions`;
}

/** `(+3 dependent checks down)`; on a recovery `(+3 dependent checks)`. */
export function dependentsText(i: Incident): string {
  const n = i.dependents?.length ?? 0;
  if (!n) return '';
  return `(+${n} dependent check${n === 1 ? '' : 's'}${i.kind === 'recovery' ? '' : ' down'})`;
}

/** The parts of the one-line summary every channel shares (SMS text, email subject, ITSM summary). */
export function summaryParts(i: Incident, opts: { links?: boolean } = {}): Part[] {
  const runbook = opts.links && i.links.runbook ? [{ text: i.links.runbook, priority: 4 }] : [];
  // The ack link beats the runbook and the error text: it is what stops the next page.
  const ack = opts.links && i.links.ack ? [{ text: `ack ${i.links.ack}`, priority: 3 }] : [];
  const trouble = (i.channelProblems ?? []).map((p) => ({ text: `! ${p}`, priority: 6 }));
  const dependents = { text: dependentsText(i), priority: 1 };
  switch (i.kind) {
    case 'problem': {
      // A kind alarm's description, or a warn level's reason, is its headline; otherwise the error message comes last.
      const inline = i.alarmType === 'kind' || i.reason !== undefined;
      return [
        { text: i.word, priority: 0 },
        { text: i.subject, priority: 0 },
        { text: whereText(i), priority: 1 },
        { text: i.headline ?? '', priority: 2 },
        ...(inline ? [{ text: i.detail ?? '', priority: 2, truncatable: true }] : []),
        { text: `since ${clock(i.since, i.at)}`, priority: 3 },
        dependents,
        ...(i.escalation ? [{ text: `- not acked in ${i.escalation.after}`, priority: 2 }] : []),
        ...(inline || !i.detail ? [] : [{ text: `- ${i.detail}`, priority: 5, truncatable: true }]),
        ...ack,
        ...runbook,
        ...trouble,
      ];
    }
    case 'reminder': {
      const lasted = Date.parse(i.at) - Date.parse(i.since);
      return [
        { text: i.word, priority: 0 },
        { text: i.subject, priority: 0 },
        { text: whereText(i), priority: 1 },
        { text: `since ${clock(i.since, i.at)}`, priority: 1 },
        { text: Number.isFinite(lasted) ? `(${formatDuration(Math.max(0, lasted))})` : '', priority: 1 },
        dependents,
        ...ack,
        { text: i.headline ?? '', priority: 4 },
        ...trouble,
      ];
    }
    case 'recovery':
      return [
        { text: 'OK', priority: 0 },
        { text: i.subject, priority: 0 },
        { text: i.runnerRegion ?? '', priority: 1 },
        {
          text: i.lastedMs !== undefined ? `after ${formatDuration(i.lastedMs)}` : `passing since ${clock(i.at)}`,
          priority: 1,
        },
        { text: i.problem !== 'DOWN' ? `(was ${i.problem})` : '', priority: 2 },
        dependents,
        ...trouble,
      ];
    case 'flapping': {
      const f = i.flapping!;
      const down = f.state === 'ALARM';
      return [
        { text: 'FLAPPING', priority: 0 },
        { text: i.subject, priority: 0 },
        { text: `${f.changes} changes in ${formatDuration(f.windowMs)},`, priority: 1 },
        { text: `now ${down ? i.problem : 'OK'}`, priority: 1 },
        { text: down ? whereText(i) : '', priority: 3 },
        { text: down ? (i.headline ?? '') : '', priority: 3 },
        { text: '- no more pages until it is stable', priority: 2 },
        ...runbook,
      ];
    }
    case 'test':
      return [
        { text: 'TEST', priority: 0 },
        { text: i.subject, priority: 0 },
        { text: `${i.severity} page from watchpost at ${clock(i.at)}`, priority: 1 },
        { text: '- no action needed', priority: 2 },
      ];
  }
}

/** The SMS: one GSM-7 segment, never cut mid-word, non-GSM characters replaced. */
export function formatSms(incident: Incident, max: number = SMS_SEPTETS): string {
  const parts = summaryParts(incident, { links: true }).map((p) => ({ ...p, text: toGsm(p.text) }));
  return fitParts(parts, max, gsmLength);
}
