/**
 * Spreads check alarms over as many "alarms" stacks as CloudFormation's limits require (500
 * resources, 1 MB per template), deterministically:
 *
 * - A check's alarms stay together and go to the stack that jump consistent hashing (Lamping &
 *   Veach) picks from the check id. Adding or removing an unrelated check never moves a check;
 *   only a change in the number of stacks does, and growing from N to N+1 stacks moves checks
 *   only into the new stack (about 1/(N+1) of them).
 * - The stack count is the smallest that keeps every stack under a budget with headroom
 *   (hashing is not perfectly even); `minStacks` (context `alarmStacks`) pins a floor so the
 *   count never shrinks by itself.
 *
 * A moved alarm keeps its name; the new stack depends on the older ones, so CloudFormation
 * deletes it from its old stack before creating it in the new one (see infra/app.ts).
 */
import type { AlarmSpec } from '../shared/alarms/specs';
import { jumpHash, stableHash } from '../shared/runner/schedule';

/** Budget per alarms stack: resources (hard limit 500) and estimated template bytes (hard limit 1 MB). */
export const STACK_BUDGET = { resources: 400, bytes: 800_000 } as const;

/** Rough size of a rendered alarm in a synthesized (pretty-printed) template; measured, with margin. */
export function estimateAlarmBytes(spec: AlarmSpec): number {
  const text = spec.name.length + spec.description.length * 1.1 + (spec.expression?.length ?? 0);
  return Math.ceil(900 + text + spec.metrics.length * 520);
}

/** Jump consistent hash (shared with the runner's shards). */
export { jumpHash };

export interface CheckAlarms {
  checkId: string;
  specs: AlarmSpec[];
}

export interface Shard {
  checks: CheckAlarms[];
  /** Alarm resources plus mute rules (estimated). */
  resources: number;
  bytes: number;
}

/**
 * Assigns each check's alarms to a shard. `extraResources(checks)` lets the caller count what
 * else a shard holds per check set (mute rules).
 */
export function shardAlarms(
  groups: readonly CheckAlarms[],
  opts: { minStacks?: number; extraResources?: (checks: CheckAlarms[]) => number } = {},
): Shard[] {
  const total = groups.reduce((n, g) => n + g.specs.length, 0);
  const bytes = groups.reduce((n, g) => n + g.specs.reduce((m, s) => m + estimateAlarmBytes(s), 0), 0);
  // Aim at 75% of the budget so that hashing's unevenness rarely forces another stack.
  let count = Math.max(
    1,
    opts.minStacks ?? 1,
    Math.ceil(total / (STACK_BUDGET.resources * 0.75)),
    Math.ceil(bytes / (STACK_BUDGET.bytes * 0.75)),
  );
  for (;;) {
    const shards: Shard[] = Array.from({ length: count }, () => ({ checks: [], resources: 0, bytes: 0 }));
    for (const g of groups) {
      const shard = shards[jumpHash(stableHash(g.checkId), count)]!;
      shard.checks.push(g);
      shard.resources += g.specs.length;
      shard.bytes += g.specs.reduce((m, s) => m + estimateAlarmBytes(s), 0);
    }
    for (const s of shards) s.resources += opts.extraResources?.(s.checks) ?? 0;
    if (shards.every((s) => s.resources <= STACK_BUDGET.resources && s.bytes <= STACK_BUDGET.bytes)) return shards;
    if (count > groups.length) throw new Error('a single check has more alarms than one stack can hold');
    count++;
  }
}
