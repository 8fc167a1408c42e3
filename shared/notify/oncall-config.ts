/**
 * On-call settings of the config: who is paged per severity (SMS, email), reminders
 * (`repeat`), escalation levels (`escalate`), and `dependsOn` between checks. Their schema (read
 * by config validation), the cross-check rules (unknown ids, cycles) and the resolved values the
 * notifier and the CDK app read, in one place.
 */
import { closest, joinIndex, joinKey, s, type Issues } from '../config/schema';
import type { EscalationLevel, Severity, ValidatedConfig } from '../config/types';
import { ms } from '../duration';

const phone = s.string({
  pattern: /^\+[1-9]\d{6,14}$/,
  expected: 'a phone number in E.164 form',
  patternHint: 'write it as +<country code><number>, e.g. "+4915112345678"',
});
const email = s.string({ pattern: /^[^\s@]+@[^\s@]+\.[^\s@]+$/, expected: 'an email address' });
const interval = s.duration({ min: 60_000, max: 86_400_000 });

/** At most this many escalation levels per severity (each is an SNS topic of its own). */
export const MAX_ESCALATION_LEVELS = 5;

const levelSchema = s.object({
  after: interval,
  sms: s.optional(s.array(phone), []),
  email: s.optional(s.array(email), []),
});

// Both rules on the list, so a level that pages nobody and one out of order show at once.
const escalateSchema = s.refine(
  s.array(levelSchema, { max: MAX_ESCALATION_LEVELS }),
  (levels: Array<{ after: string; sms: string[]; email: string[] }>, path, issues) => {
    levels.forEach((l, i) => {
      if (!l.sms.length && !l.email.length)
        issues.add(joinIndex(path, i), 'pages nobody', 'give it sms: ["+49…"] or email: ["…"], or remove the level');
      const before = levels[i - 1];
      if (before && ms(l.after) <= ms(before.after))
        issues.add(
          joinKey(joinIndex(path, i), 'after'),
          `"${l.after}" is not later than the level before ("${before.after}")`,
          'levels are paged in order: give each a longer `after`',
        );
    });
  },
);

/** `notify.critical` and `notify.warning`. */
export const notifyTargetsSchema = s.object({
  sms: s.optional(s.array(phone), []),
  email: s.optional(s.array(email), []),
  repeat: s.optional(interval),
  escalate: s.optional(escalateSchema),
});

/** The `dependsOn` field of a check (its ids are checked against the others in {@link checkDependsOn}). */
export const dependsOnSchema = s.array(s.string({ minLength: 1, expected: 'a check id' }), {
  expected: 'a list of check ids',
});

interface RawCheck {
  id?: unknown;
  dependsOn?: unknown;
}

/**
 * Every `dependsOn` names another check of the config, once, and no chain of them leads back to
 * where it began. Problems go into `issues` with their path (`checks[2] "shop-cart".dependsOn[0]`).
 */
export function checkDependsOn(rawChecks: unknown, issues: Issues): void {
  if (!Array.isArray(rawChecks)) return;
  const checks = rawChecks as RawCheck[];
  const ids = checks.map((c) => (typeof c?.id === 'string' ? c.id : undefined));
  const known = ids.filter((id): id is string => id !== undefined);
  const pathOf = (i: number) => `checks[${i}]${ids[i] ? ` ${JSON.stringify(ids[i])}` : ''}`;
  const edges = new Map<string, string[]>();
  checks.forEach((c, i) => {
    if (!Array.isArray(c?.dependsOn)) return;
    const at = joinKey(pathOf(i), 'dependsOn');
    const seen = new Set<string>();
    const parents: string[] = [];
    c.dependsOn.forEach((p: unknown, j: number) => {
      if (typeof p !== 'string') return; // the schema reports it
      const where = joinIndex(at, j);
      if (p === ids[i]) issues.add(where, 'a check cannot depend on itself');
      else if (!known.includes(p)) {
        const near = closest(p, known);
        issues.add(
          where,
          `unknown check id "${p}"`,
          near ? `did you mean "${near}"?` : `check ids: ${known.join(', ')}`,
        );
      } else if (seen.has(p)) issues.add(where, `lists "${p}" more than once`);
      else parents.push(p);
      seen.add(p);
    });
    if (typeof ids[i] === 'string') edges.set(ids[i]!, parents);
  });
  // Depth-first search; each cycle is reported once, at the check where it was entered.
  const state = new Map<string, 'open' | 'done'>();
  const reported = new Set<string>();
  const visit = (id: string, trail: string[]) => {
    state.set(id, 'open');
    for (const p of edges.get(id) ?? []) {
      if (state.get(p) === 'open') {
        const cycle = [...trail.slice(trail.indexOf(p)), id, p];
        const key = [...new Set(cycle)].sort().join(',');
        if (!reported.has(key)) {
          reported.add(key);
          const i = ids.indexOf(id);
          const j = (edges.get(id) ?? []).indexOf(p);
          issues.add(
            joinIndex(joinKey(pathOf(i), 'dependsOn'), Math.max(0, (checks[i]!.dependsOn as unknown[]).indexOf(p, j))),
            `is a cycle: ${cycle.join(' → ')}`,
            'a check cannot (even indirectly) depend on itself: remove one of these dependsOn entries',
          );
        }
      } else if (!state.has(p)) visit(p, [...trail, id]);
    }
    state.set(id, 'done');
  };
  for (const id of edges.keys()) if (!state.has(id)) visit(id, []);
}

/** The checks `id` depends on, directly or through others (nearest first). */
export function ancestorsOf(config: Pick<ValidatedConfig, 'checks'>, id: string): string[] {
  const out: string[] = [];
  const queue = [id];
  while (queue.length) {
    const next = queue.shift();
    const c = config.checks.find((ch) => ch.id === next);
    for (const p of c?.dependsOn ?? [])
      if (!out.includes(p) && p !== id) {
        out.push(p);
        queue.push(p);
      }
  }
  return out;
}

/** The checks that depend on `id`, directly or through others. */
export function dependentsOf(config: Pick<ValidatedConfig, 'checks'>, id: string): string[] {
  return config.checks.filter((c) => c.id !== id && ancestorsOf(config, c.id).includes(id)).map((c) => c.id);
}

export interface ResolvedLevel {
  /** 1 for the first escalation level (0 is the severity's own targets). */
  level: number;
  afterMs: number;
  after: string;
  sms: string[];
  email: string[];
}

export interface OnCallSettings {
  /** Reminder interval; undefined: no reminders. */
  repeatMs?: number;
  repeat?: string;
  escalate: ResolvedLevel[];
}

export function onCallSettings(config: Pick<ValidatedConfig, 'notify'>, severity: Severity): OnCallSettings {
  const t = config.notify[severity];
  return {
    ...(t.repeat ? { repeat: t.repeat, repeatMs: ms(t.repeat) } : {}),
    escalate: (t.escalate ?? []).map((l: EscalationLevel, i) => ({
      level: i + 1,
      after: l.after,
      afterMs: ms(l.after),
      sms: l.sms ?? [],
      email: l.email ?? [],
    })),
  };
}

/** Whether anything needs the timer (a reminder or an escalation level in any severity). */
export function needsTimer(config: Pick<ValidatedConfig, 'notify'>): boolean {
  return (['critical', 'warning'] as const).some((sev) => {
    const o = onCallSettings(config, sev);
    return o.repeatMs !== undefined || o.escalate.length > 0;
  });
}
