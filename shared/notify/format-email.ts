/**
 * The email of a page: a subject that says what the SMS says (ASCII, under SNS's 100-character
 * limit) and a plain-text body with the failing regions, the last error and timings per
 * region, how long it has been failing, and links to the runbook, the dashboard and the alarm.
 */
import { formatDuration } from '../duration';
import { fitParts, clock, dependentsText, summaryParts, whereText } from './format-sms';
import { toAscii } from './gsm';
import { codeWord } from '../types';
import type { Incident, RegionView } from './message';

/** SNS: "must be ASCII text … less than 100 characters". */
export const MAX_SUBJECT = 99;

export interface EmailMessage {
  subject: string;
  text: string;
}

const STATUS_WORD: Record<RegionView['status'], string> = { pass: 'PASS', degraded: 'SLOW', fail: 'FAIL' };
/** A degraded region is SLOW only when slowness is its reason; a kind's warn level is WARN. */
const warnLevel = (v: RegionView) =>
  v.status === 'degraded' && v.degraded && v.degraded.code !== 'SLOW' ? v.degraded : undefined;
/** What the problem is doing, for "slow for 3m" / "failing for 3m". */
const doing = (i: Incident) =>
  i.word === 'DEGRADED' ? 'slow' : i.reason || i.alarmType === 'kind' ? 'in alarm' : 'failing';
const fullTime = (iso: string) =>
  Number.isNaN(Date.parse(iso))
    ? iso
    : new Date(iso)
        .toISOString()
        .replace('T', ' ')
        .replace(/\.\d{3}Z$/, 'Z');
const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

export function emailSubject(i: Incident): string {
  const parts = [...summaryParts(i).filter((p) => !p.text.startsWith('- ')), { text: `[${i.project}]`, priority: 4 }];
  const subject = fitParts(
    parts.map((p) => ({ ...p, text: toAscii(p.text) })),
    MAX_SUBJECT,
    (s) => s.length,
  );
  // SNS wants the subject to begin with a letter, a digit or punctuation.
  return /^[\x21-\x7e]/.test(subject) ? subject : `watchpost ${subject}`.slice(0, MAX_SUBJECT).trim();
}

function timingsLine(t: Record<string, number>): string {
  return Object.entries(t)
    .filter(([, v]) => typeof v === 'number' && Number.isFinite(v))
    .map(([k, v]) => `${k} ${formatDuration(v)}`)
    .join(', ');
}

function regionBlock(v: RegionView, i: Incident): string[] {
  const state =
    v.status === 'fail'
      ? `since ${clock(v.since, i.at)}, ${plural(v.consecutiveFailures, 'failed run')} in a row`
      : v.status === 'degraded'
        ? `${warnLevel(v) ? codeWord(warnLevel(v)!.code) : 'slow'} since ${clock(v.since, i.at)}`
        : `passing since ${clock(v.since, i.at)}`;
  const lines = [`  ${v.region.padEnd(16)} ${warnLevel(v) ? 'WARN' : STATUS_WORD[v.status]}  ${state}`];
  if (v.error) lines.push(`    error:    ${v.error.code}: ${v.error.message}`);
  if (v.degraded) lines.push(`    reason:   ${codeWord(v.degraded.code)}: ${v.degraded.message}`);
  const t = timingsLine(v.timings);
  if (t) lines.push(`    timings:  ${t}`);
  lines.push(
    `    last run: ${fullTime(v.lastRunAt)}, ` +
      `took ${formatDuration(v.durationMs)}${v.attempts > 1 ? `, ${v.attempts} attempts` : ''}`,
  );
  return lines;
}

/** ` (12m)`: how long the problem has lasted at `at`; nothing under a minute. */
function lastingText(i: Incident, pre = ' (', post = ')'): string {
  const d = Date.parse(i.at) - Date.parse(i.since);
  return Number.isFinite(d) && d >= 60_000 ? `${pre}${formatDuration(d)}${post}` : '';
}

function opening(i: Incident): string[] {
  const name = i.check && i.check.name !== i.check.id ? `${i.check.id} (${i.check.name})` : i.subject;
  const lasting = lastingText(i);
  switch (i.kind) {
    case 'problem':
      if (i.runnerRegion)
        return [
          `DOWN: the watchpost runner in ${i.runnerRegion} has not completed a healthy probe pass ` +
            `since ${clock(i.since, i.at)}${lasting}.`,
          i.detail ? `${i.detail[0]!.toUpperCase()}${i.detail.slice(1)}.` : '',
        ];
      if (i.alarmType === 'kind' || i.reason) {
        const where = i.affected.length ? ` (${whereSentence(i)})` : '';
        const what = `${i.word}: ${name}: ${i.detail ?? 'its alarm fired'}${where}.`;
        return [what, `Since ${clock(i.since, i.at)}${lasting}.`];
      }
      return [
        `${i.word}: ${name} ` +
          `is ${i.word === 'DEGRADED' ? 'slow' : 'failing'}${i.affected.length ? ` in ${whereSentence(i)}` : ''} ` +
          `since ${clock(i.since, i.at)}${lasting}${i.headline ? `: ${i.headline}` : ''}.`,
      ];
    case 'reminder':
      return [
        `STILL ${i.problem}: ${name} has been ${i.word === 'STILL DEGRADED' ? 'slow' : 'failing'}` +
          `${i.affected.length ? ` in ${whereSentence(i)}` : ''} since ${clock(i.since, i.at)}${lasting}` +
          `${i.headline ? `: ${i.headline}` : ''}.`,
        `Reminder ${i.reminder?.count ?? 1}: nobody has acknowledged it yet. Acknowledge it to stop reminders ` +
          `and escalation.`,
      ];
    case 'recovery':
      return [
        `OK: ${i.runnerRegion ? `the watchpost runner in ${i.runnerRegion}` : name} recovered ` +
          `at ${clock(i.at)}${i.lastedMs !== undefined ? ` after ${formatDuration(i.lastedMs)} ${i.problem}` : ''}.`,
      ];
    case 'flapping': {
      const f = i.flapping!;
      return [
        `FLAPPING: ${name} changed state ${f.changes} times in the last ${formatDuration(f.windowMs)}; it ` +
          `is ${f.state === 'ALARM' ? i.problem : 'OK'} ` +
          `now${f.state === 'ALARM' && i.headline ? ` (${i.headline})` : ''}.`,
        `Further changes are not paged until it has been stable for ${formatDuration(f.windowMs)}. Incidents in ` +
          `ITSM systems stay open meanwhile.`,
      ];
    }
    case 'test':
      return [
        `TEST: a test page from watchpost (project ${i.project}, ${i.severity} topic), sent at ${fullTime(i.at)}.`,
        'If you read this, pages reach you. No action needed.',
      ];
  }
}

function whereSentence(i: Incident): string {
  if (i.affected.length === 1 && i.total <= 1) return i.affected[0]!;
  return `${i.affected.length} of ${plural(i.total, 'region')} (${i.affected.join(', ')})`;
}

/** The plain-text body. */
export function emailText(i: Incident): string {
  const out: string[] = [...opening(i).filter(Boolean), ''];
  if (i.escalation)
    out.splice(
      1,
      0,
      `Escalated to level ${i.escalation.level}: not acknowledged within ${i.escalation.after} of the first page.`,
    );
  if (i.dependents?.length) {
    const verb = i.kind === 'recovery' ? 'were down with it' : 'are down with it and do not page on their own';
    out.push(`${dependentsText(i).slice(1, -1)}: ${i.dependents.join(', ')} ${verb}.`, '');
  }
  if (i.channelProblems?.length) out.push('Delivery problems:', ...i.channelProblems.map((p) => `  ${p}`), '');
  if (i.check) {
    out.push(`  Check:     ${i.check.id}${i.check.name !== i.check.id ? ` - ${i.check.name}` : ''}`);
    out.push(`  Target:    ${i.check.target} (${i.check.kind})`);
  }
  if (i.kind !== 'test') {
    out.push(`  Severity:  ${i.severity}`);
    if (i.kind === 'problem' || i.kind === 'reminder' || (i.kind === 'flapping' && i.flapping?.state === 'ALARM')) {
      if (i.affected.length && !i.runnerRegion)
        out.push(`  Affected:  ${whereText(i)}${i.affected.length > 1 ? ` (${i.affected.join(', ')})` : ''}`);
      out.push(`  Since:     ${fullTime(i.since)}${lastingText(i, `, ${doing(i)} for `, '')}`);
    }
    if (i.kind === 'recovery') {
      out.push(`  Recovered: ${fullTime(i.at)}`);
      if (i.lastedMs !== undefined)
        out.push(`  Lasted:    ${formatDuration(i.lastedMs)} (${i.problem} since ${fullTime(i.since)})`);
    }
    out.push('');
  }
  if (i.regions.length) {
    out.push('Regions (latest run):');
    for (const v of i.regions) out.push(...regionBlock(v, i));
    out.push('');
  }
  const links: Array<[string, string | undefined]> = [
    ['Runbook', i.links.runbook ?? (i.check ? 'none - set `runbook` on the check' : undefined)],
    ['Dashboard', i.links.dashboard],
    ['Alarm', i.links.alarm],
    ['Ack', i.links.ack],
  ];
  const shown = links.filter(([, v]) => v);
  if (shown.length) {
    out.push(i.kind === 'recovery' || i.kind === 'test' ? 'Links:' : 'What to do:');
    for (const [k, v] of shown) out.push(`  ${`${k}:`.padEnd(11)}${v}`);
    out.push('');
  }
  if (i.alarm) {
    out.push(`Alarm "${i.alarm.name}" went ${i.alarm.previousState ?? '?'} -> ${i.alarm.state} at ${fullTime(i.at)}.`);
    if (i.alarm.reason) out.push(`  ${i.alarm.reason}`);
    out.push('');
  }
  out.push('-- ', `watchpost ${i.project} - ${i.severity} page${i.dedupKey ? ` - incident ${i.dedupKey}` : ''}`);
  return `${out.join('\n')}\n`;
}

export function formatEmail(i: Incident): EmailMessage {
  return { subject: emailSubject(i), text: emailText(i) };
}
