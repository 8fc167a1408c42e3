/**
 * What the latest results per region say, as pages show it: a region's view, the few words of an
 * error (`HTTP 503`, `timeout`), which regions an alarm's problem affects, and their order.
 */
import type { AlarmType } from '../alarms/specs';
import type { ValidatedCheck } from '../config/types';
import { formatDuration, ms } from '../duration';
import { kindOf } from '../probes/registry';
import type { ProbeKind } from '../probes/types';
import type { LatestState } from '../store/types';
import type { CheckResult, CheckStatus, DegradedReason } from '../types';
import type { Incident, IncidentCheck, RegionView } from './message';

type Kinds = ReadonlyMap<string, ProbeKind>;

/** Printable, single-spaced, no control characters: text from targets goes into pages. */
export function oneLine(text: string): string {
  return text
    .replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

const ERROR_WORDS: Record<string, string> = {
  DNS: 'DNS error',
  CONNECT_REFUSED: 'connection refused',
  CONNECT_TIMEOUT: 'connect timeout',
  TLS: 'TLS error',
  TIMEOUT: 'timeout',
  RESET: 'connection reset',
  BODY_TOO_LARGE: 'body too large',
  ASSERTION: 'assertion failed',
  AUTH: 'auth failed',
  NOT_DELIVERED: 'mail not delivered',
  REJECTED: 'rejected',
  REDIRECT_LOOP: 'redirect loop',
  TOO_MANY_REDIRECTS: 'too many redirects',
  INVALID_JSON: 'invalid JSON',
  PROTOCOL: 'protocol error',
  SECRET: 'secret missing',
  NETWORK: 'network error',
  INTERNAL: 'internal error',
};

/** A few words for a failed result: `HTTP 503` when a status code is known, else the error. */
export function headlineOf(r: CheckResult): string | undefined {
  if (!r.error) return undefined;
  const code = r.details?.statusCode;
  if (typeof code === 'number' && (r.error.code === 'ASSERTION' || code >= 400)) return `HTTP ${code}`;
  return ERROR_WORDS[r.error.code] ?? r.error.code;
}

/** A degraded result's reason; results stored before reasons existed were slow. */
export function degradedOf(r: CheckResult): DegradedReason {
  const d = r.degraded ?? { code: 'SLOW', message: `took ${formatDuration(r.timings?.total ?? r.durationMs)}` };
  return { code: d.code, message: oneLine(d.message) };
}

/** Slowness (degradedAfter) or a kind's own warn level. */
export const isSlow = (v: RegionView) => v.status === 'degraded' && (!v.degraded || v.degraded.code === 'SLOW');

/** The regions whose results carry `code` (as a warn level or an error) and that reason, most common first. */
export function carrying(views: readonly RegionView[], code: string): { regions: string[]; reason?: DegradedReason } {
  const hits = views.flatMap((v) => {
    const r = v.degraded?.code === code ? v.degraded : v.error?.code === code ? v.error : undefined;
    return r ? [{ region: v.region, reason: r }] : [];
  });
  const first = hits[0];
  return { regions: hits.map((h) => h.region), ...(first ? { reason: { code, message: first.reason.message } } : {}) };
}

export function regionView(s: LatestState): RegionView {
  const r = s.lastResult;
  return {
    region: s.region,
    status: s.status,
    since: s.since,
    consecutiveFailures: s.consecutiveFailures,
    lastRunAt: s.lastScheduledAt,
    durationMs: r.durationMs,
    attempts: r.attempts,
    ...(r.error ? { error: { code: r.error.code, message: oneLine(r.error.message) } } : {}),
    ...(r.status === 'degraded' ? { degraded: degradedOf(r) } : {}),
    timings: r.timings ?? {},
    ...(r.status === 'fail' ? { headline: headlineOf(r) } : {}),
  };
}

export function mostCommon(values: Array<string | undefined>): string | undefined {
  const counts = new Map<string, number>();
  for (const v of values) if (v) counts.set(v, (counts.get(v) ?? 0) + 1);
  let best: string | undefined;
  let n = 0;
  for (const [v, c] of counts) if (c > n) [best, n] = [v, c];
  return best;
}

export const earliest = (times: string[], fallback: string) =>
  times.filter((t) => !Number.isNaN(Date.parse(t))).sort((a, b) => Date.parse(a) - Date.parse(b))[0] ?? fallback;

export function incidentCheck(check: ValidatedCheck, kinds: Kinds): IncidentCheck {
  const kind = kindOf(check, kinds);
  let target: string = check.kind;
  try {
    target = kind ? oneLine(kind.target(check)) : check.kind;
  } catch {
    /* a kind's target() on an odd check: the kind name will do */
  }
  return {
    id: check.id,
    name: check.name,
    kind: check.kind,
    target: target.replace(/\/\/[^/@\s]+@/g, '//'),
    ...(check.runbook ? { runbook: check.runbook } : {}),
    regions: check.regions,
    ...(check.degradedAfter ? { degradedAfter: check.degradedAfter } : {}),
  };
}

/** What the regions say about an alarm type: affected regions, headline, detail, since. */
export function assess(
  type: AlarmType,
  views: RegionView[],
  check: IncidentCheck | undefined,
): Pick<Incident, 'affected' | 'headline' | 'detail'> & { since?: string } {
  if (type === 'down') {
    const bad = views.filter((v) => v.status === 'fail');
    return {
      affected: bad.map((v) => v.region),
      headline: mostCommon(bad.map((v) => v.headline)),
      detail: bad.find((v) => v.error)?.error?.message,
      since: bad.length
        ? earliest(
            bad.map((v) => v.since),
            '',
          ) || undefined
        : undefined,
    };
  }
  if (type === 'degraded') {
    const limit = check?.degradedAfter ? ms(check.degradedAfter) : Number.POSITIVE_INFINITY;
    // A kind's warn level (a certificate expiring) is not slowness: only slow regions count here.
    const slow = views.filter((v) => isSlow(v) || (v.status === 'pass' && v.durationMs > limit));
    const worst = Math.max(0, ...slow.map((v) => v.durationMs));
    return {
      affected: slow.map((v) => v.region),
      headline: slow.length && check?.degradedAfter ? `${formatDuration(worst)} > ${check.degradedAfter}` : undefined,
      detail: slow.length
        ? `slowest run ${formatDuration(worst)} in ${slow.find((v) => v.durationMs === worst)?.region}`
        : undefined,
      since: slow.length
        ? earliest(
            slow.filter((v) => v.status === 'degraded').map((v) => v.since),
            '',
          ) || undefined
        : undefined,
    };
  }
  // A kind's own alarm watches a figure, not the run status: regions are context only.
  return { affected: views.filter((v) => v.status !== 'pass').map((v) => v.region) };
}

const STATUS_ORDER: Record<CheckStatus, number> = { fail: 0, degraded: 1, pass: 2 };

/** Affected regions first, then by status, then in the check's region order. */
export function sortedViews(
  latest: readonly LatestState[],
  order: readonly string[] = [],
  affected: readonly string[] = [],
): RegionView[] {
  const rank = (r: string) => (order.includes(r) ? order.indexOf(r) : order.length);
  return latest
    .map(regionView)
    .sort(
      (a, b) =>
        Number(!affected.includes(a.region)) - Number(!affected.includes(b.region)) ||
        STATUS_ORDER[a.status] - STATUS_ORDER[b.status] ||
        rank(a.region) - rank(b.region) ||
        a.region.localeCompare(b.region),
    );
}
