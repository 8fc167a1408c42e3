/**
 * Which checks are due at a tick. The runner is invoked once a minute; each check gets a
 * deterministic phase from its id so that a 5m check fires in a fixed minute of five, and runs
 * start spread across the minute instead of all at :00.
 */
import type { ValidatedCheck, ValidatedConfig } from '../config/types';
import { ms } from '../duration';

export interface DueRun {
  check: ValidatedCheck;
  /** When this run is scheduled (ms since epoch): tick + its phase in the minute. */
  scheduledAt: number;
}

/** FNV-1a, 32 bit: stable across processes and platforms. */
export function stableHash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

export interface ScheduleOptions {
  /** Runs of checks with a frequency of 1m or more start within this many ms after the minute. @default 20000 */
  spreadMs?: number;
}

/**
 * The runs due in the minute that starts at `tick` (floored to the minute) in `region`, sorted
 * by scheduled time. Disabled checks and checks not in the region are skipped.
 */
export function dueRuns(config: ValidatedConfig, region: string, tick: number, opts: ScheduleOptions = {}): DueRun[] {
  const spread = Math.max(1, opts.spreadMs ?? 20_000);
  const minuteStart = Math.floor(tick / 60_000) * 60_000;
  const minuteIndex = Math.floor(minuteStart / 60_000);
  const out: DueRun[] = [];
  for (const check of config.checks) {
    if (!check.enabled) continue;
    if (region !== 'local' && !check.regions.includes(region)) continue;
    const period = ms(check.frequency);
    const h = stableHash(check.id);
    if (period >= 60_000) {
      const minutes = Math.round(period / 60_000);
      if (minuteIndex % minutes !== h % minutes) continue;
      out.push({ check, scheduledAt: minuteStart + (stableHash(`${check.id}#offset`) % spread) });
    } else {
      const phase = stableHash(`${check.id}#offset`) % period;
      for (let t = phase; t < 60_000; t += period) out.push({ check, scheduledAt: minuteStart + t });
    }
  }
  return out.sort((a, b) => a.scheduledAt - b.scheduledAt || a.check.id.localeCompare(b.check.id));
}
