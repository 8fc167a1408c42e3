/**
 * Flapping: an alarm that goes down and up repeatedly within a window gets one message saying
 * so, not one per flip. A pure decision over the alarm's recent changes; the notifier keeps the
 * record in DynamoDB (flap-store.ts), `npm start` in memory.
 *
 * With the defaults (4 changes in 30 minutes): the 1st, 2nd and 3rd change page as usual; the
 * 4th sends one FLAPPING message; further changes page nobody while 4 or more changes fall in
 * the last 30 minutes. The first change after that pages as usual again.
 */
import type { ResolvedFlapping } from './config';
import type { AlarmState } from './message';

export interface FlapChange {
  /** Epoch ms of the change (the alarm's state timestamp). */
  at: number;
  state: AlarmState;
}

export interface FlapRecord {
  /** Changes within the window, oldest first. */
  changes: FlapChange[];
  /** A FLAPPING message went out and the alarm has not calmed down since. */
  flapping: boolean;
}

/**
 * - `notify`: send the usual page;
 * - `flapping`: send the one FLAPPING message;
 * - `suppress`: flapping goes on, send nothing;
 * - `duplicate`: this change was seen before (EventBridge delivers at least once);
 * - `stale`: a newer change was seen already (events out of order): its page would be wrong.
 */
export type FlapAction = 'notify' | 'flapping' | 'suppress' | 'duplicate' | 'stale';

export interface FlapDecision {
  action: FlapAction;
  /** Changes in the window ending at this change (this one included). */
  changes: number;
  /** The record to store. */
  record: FlapRecord;
  /** Whether the alarm counted as flapping before this change (to undo it). */
  wasFlapping: boolean;
}

export const emptyFlapRecord = (): FlapRecord => ({ changes: [], flapping: false });

export function decideFlapping(
  previous: FlapRecord | undefined,
  change: FlapChange,
  settings: ResolvedFlapping,
): FlapDecision {
  const prev = previous ?? emptyFlapRecord();
  const wasFlapping = prev.flapping;
  if (prev.changes.some((c) => c.at === change.at && c.state === change.state))
    return { action: 'duplicate', changes: prev.changes.length, record: prev, wasFlapping };
  const newest = prev.changes.at(-1);
  const changes = [...prev.changes, change].sort((a, b) => a.at - b.at);
  const last = changes.at(-1)!.at;
  // Keep what can still count for a later change.
  const kept = changes.filter((c) => c.at > last - settings.windowMs);
  if (newest && change.at < newest.at)
    return { action: 'stale', changes: kept.length, record: { ...prev, changes: kept }, wasFlapping };
  const inWindow = kept.filter((c) => c.at > change.at - settings.windowMs).length;
  if (inWindow >= settings.changes)
    return {
      action: wasFlapping ? 'suppress' : 'flapping',
      changes: inWindow,
      record: { changes: kept, flapping: true },
      wasFlapping,
    };
  return { action: 'notify', changes: inWindow, record: { changes: kept, flapping: false }, wasFlapping };
}

/** The record as it was before `change` was applied (its page could not be sent). */
export function undoChange(record: FlapRecord, change: FlapChange, wasFlapping: boolean): FlapRecord {
  return {
    changes: record.changes.filter((c) => !(c.at === change.at && c.state === change.state)),
    flapping: wasFlapping,
  };
}

/** Where flap records live, keyed per alarm; `apply` is atomic per key. */
export interface FlapStore {
  /** Decides for `change` and stores the new record in one step. */
  apply(scope: string, alarmKey: string, change: FlapChange, settings: ResolvedFlapping): Promise<FlapDecision>;
  /** Forgets `change` again (its page could not be sent: a retry must not count it as a duplicate). */
  release(scope: string, alarmKey: string, change: FlapChange, wasFlapping: boolean): Promise<void>;
}

/** In memory: `npm start`, tests. */
export class MemoryFlapStore implements FlapStore {
  private readonly records = new Map<string, FlapRecord>();

  async apply(scope: string, alarmKey: string, change: FlapChange, settings: ResolvedFlapping): Promise<FlapDecision> {
    const key = `${scope}\u0000${alarmKey}`;
    const d = decideFlapping(this.records.get(key), change, settings);
    this.records.set(key, d.record);
    return d;
  }

  async release(scope: string, alarmKey: string, change: FlapChange, wasFlapping: boolean): Promise<void> {
    const key = `${scope}\u0000${alarmKey}`;
    const r = this.records.get(key);
    if (r) this.records.set(key, undoChange(r, change, wasFlapping));
  }
}
