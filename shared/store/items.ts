/**
 * The result store's items (layout in `table.ts`): building the history and latest-state items
 * from a result, and telling a result the store can take from one it cannot.
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { CheckResult, CheckStatus } from '../types';
import { historyKey, TABLE } from './table';

export type Item = Record<string, AttributeValue>;
export type Key = Record<string, AttributeValue>;

/** What the store keeps of a check's latest state besides the result itself. */
export interface StoredState {
  status: CheckStatus;
  since: string;
  consecutiveFailures: number;
  lastScheduledAt: string;
}

const STATUSES: ReadonlySet<string> = new Set<CheckStatus>(['pass', 'degraded', 'fail']);

export const S = (v: string): AttributeValue => ({ S: v });
export const N = (v: number): AttributeValue => ({ N: String(v) });
export const keyOf = (pk: string, sk: string): Key => ({ [TABLE.partitionKey]: S(pk), [TABLE.sortKey]: S(sk) });
export const keyString = (k: Record<string, AttributeValue | undefined>) =>
  `${k[TABLE.partitionKey]?.S}\u0000${k[TABLE.sortKey]?.S}`;

/** ms for ordering; ISO strings from toISOString() also order as strings, but be lenient. */
export const timeOf = (iso: string) => Date.parse(iso);
export const notBefore = (a: string, b: string) => {
  const ta = timeOf(a);
  const tb = timeOf(b);
  return Number.isNaN(ta) || Number.isNaN(tb) ? a >= b : ta >= tb;
};

/** Why the store cannot take a result, or undefined. */
export function invalidResult(r: CheckResult): string | undefined {
  if (!r || typeof r !== 'object') return 'invalid result: not an object';
  if (typeof r.checkId !== 'string' || !r.checkId) return 'invalid result: checkId missing';
  if (typeof r.region !== 'string' || !r.region) return 'invalid result: region missing';
  // Key limits: partition key 2048 bytes, sort key 1024 bytes.
  if (Buffer.byteLength(r.checkId) > 2_000) return 'invalid result: checkId longer than 2000 bytes';
  if (Buffer.byteLength(r.region) > 900) return 'invalid result: region longer than 900 bytes';
  if (typeof r.scheduledAt !== 'string' || Number.isNaN(Date.parse(r.scheduledAt)))
    return `invalid result: scheduledAt ${JSON.stringify(r.scheduledAt)} is not a time`;
  if (!STATUSES.has(r.status)) return `invalid result: status ${JSON.stringify(r.status)}`;
  return undefined;
}

/** One run's history item; `expiresAt` (TTL) is `retentionMs` after its scheduled time. */
export function historyItem(r: CheckResult, json: string, retentionMs: number): Item {
  const k = historyKey(r.checkId, r.scheduledAt, r.region);
  const item: Item = {
    ...keyOf(k[TABLE.partitionKey], k[TABLE.sortKey]),
    checkId: S(r.checkId),
    region: S(r.region),
    kind: S(String(r.kind)),
    status: S(r.status),
    scheduledAt: S(r.scheduledAt),
    [TABLE.ttlAttribute]: N(Math.floor((Date.parse(r.scheduledAt) + retentionMs) / 1000)),
    result: S(json),
  };
  if (Number.isFinite(r.durationMs)) item.durationMs = N(r.durationMs);
  if (r.error?.code) item.errorCode = S(String(r.error.code));
  return item;
}

/** The latest-state item of a check in one region. */
export function latestItem(key: Key, r: CheckResult, state: StoredState, json: string): Item {
  return {
    ...key,
    checkId: S(r.checkId),
    region: S(r.region),
    status: S(state.status),
    since: S(state.since),
    consecutiveFailures: N(state.consecutiveFailures),
    lastScheduledAt: S(state.lastScheduledAt),
    lastResult: S(json),
  };
}

/** The state a stored latest item carries, or undefined for an item without one. */
export function storedState(item: Item): StoredState | undefined {
  if (!item.status?.S || !item.lastScheduledAt?.S) return undefined;
  return {
    status: item.status.S as CheckStatus,
    since: item.since?.S ?? item.lastScheduledAt.S,
    consecutiveFailures: Number(item.consecutiveFailures?.N ?? 0),
    lastScheduledAt: item.lastScheduledAt.S,
  };
}

/**
 * The state after applying `results` (one check and region) in time order to `state`, and the
 * results that moved it. A result not after the stored one is a re-delivery (or late): applying
 * it again would count a failure twice.
 */
export function advance(
  state: StoredState | undefined,
  results: readonly CheckResult[],
): { state?: StoredState; applied: CheckResult[] } {
  const applied: CheckResult[] = [];
  for (const r of [...results].sort((a, b) => timeOf(a.scheduledAt) - timeOf(b.scheduledAt))) {
    if (state && notBefore(state.lastScheduledAt, r.scheduledAt)) continue;
    state = {
      status: r.status,
      since: state && state.status === r.status ? state.since : r.scheduledAt,
      consecutiveFailures: r.status === 'fail' ? (state?.consecutiveFailures ?? 0) + 1 : 0,
      lastScheduledAt: r.scheduledAt,
    };
    applied.push(r);
  }
  return { state, applied };
}
