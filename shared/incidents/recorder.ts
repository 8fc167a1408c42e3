/**
 * What the notifiers call when an alarm changes state, so the status page and reports know
 * when a check was DOWN or DEGRADED: ALARM opens the incident (idempotent: a re-delivered
 * alarm event opens nothing new), OK resolves the open one. The AWS notifier calls
 * {@link recordAlarmChange} per down/degraded alarm; `watchpost dev` calls {@link recordLocalResult}
 * on every status change (one region, so its quorum is met by that region alone).
 */
import type { CheckResult, CheckStatus } from '../types';
import type { IncidentStore } from './store';

export interface AlarmChange {
  checkId: string;
  /** Which alarm: the check's DOWN (quorum) or DEGRADED alarm. */
  severity: 'down' | 'degraded';
  state: 'ALARM' | 'OK';
  /** ISO time the alarm changed state (the incident's start or end). */
  at: string;
  /** A title for people who run watchpost (the status page writes its own public one). */
  title?: string;
}

export async function recordAlarmChange(store: IncidentStore, change: AlarmChange): Promise<void> {
  const open = await store.openFor(change.checkId, change.severity);
  if (change.state === 'OK') {
    if (open) await store.resolve(open.id, change.at);
    return;
  }
  if (open) return;
  await store.open({
    checkId: change.checkId,
    components: [],
    severity: change.severity,
    title: change.title ?? `${change.checkId} is ${change.severity === 'down' ? 'down' : 'degraded'}`,
    startedAt: change.at,
    source: 'notifier',
  });
}

/** Local mode: a check's status changed from `previous` to the result's. */
export async function recordLocalResult(
  store: IncidentStore,
  result: CheckResult,
  previous?: { status: CheckStatus },
): Promise<void> {
  const at = result.scheduledAt;
  const { checkId } = result;
  // No previous status (dev just started): close whatever an earlier session left open.
  const was = previous?.status;
  if (was === result.status) return;
  if (was === undefined) {
    if (result.status !== 'fail') await recordAlarmChange(store, { checkId, severity: 'down', state: 'OK', at });
    if (result.status !== 'degraded')
      await recordAlarmChange(store, { checkId, severity: 'degraded', state: 'OK', at });
  }
  if (was === 'fail') await recordAlarmChange(store, { checkId, severity: 'down', state: 'OK', at });
  if (was === 'degraded') await recordAlarmChange(store, { checkId, severity: 'degraded', state: 'OK', at });
  if (result.status === 'fail') await recordAlarmChange(store, { checkId, severity: 'down', state: 'ALARM', at });
  if (result.status === 'degraded')
    await recordAlarmChange(store, { checkId, severity: 'degraded', state: 'ALARM', at });
}
