/**
 * Alarm settings of a check (`alarm` in a check and in `defaults`): their schema, how defaults
 * combine, and the rules CloudWatch imposes on them. Config validation and the alarm specs
 * both read this file, so what validates is what synthesizes.
 */
import { s, type Infer, type Issues, type SameType } from '../config/schema';
import type { AlarmSettings, ValidatedCheck } from '../config/types';
import { ms } from '../duration';

/** A metric math alarm reads at most 10 metrics (a hard CloudWatch limit): one per region. */
export const MAX_ALARM_REGIONS = 10;
/** Period × evaluation periods of an alarm may not exceed one day. */
export const MAX_EVALUATION_SECONDS = 86_400;

export const alarmSettingsSchema = s.object({
  quorum: s.optional(s.number({ integer: true, min: 1, max: MAX_ALARM_REGIONS })),
  datapoints: s.optional(s.number({ integer: true, min: 1, max: 1_440 })),
  periods: s.optional(s.number({ integer: true, min: 1, max: 1_440 })),
});
// The documented type (config/types.ts) and this schema agree: a compile error otherwise.
true satisfies SameType<Infer<typeof alarmSettingsSchema.shape>, AlarmSettings>;

export interface ResolvedAlarmSettings {
  /** Regions that must breach at once. */
  quorum: number;
  /** Breaching periods needed… */
  datapoints: number;
  /** …out of this many. */
  periods: number;
  /** One period in seconds: the check's frequency, at least 60. */
  periodSeconds: number;
}

/** The alarm period of a check: its frequency, at least one minute (sub-minute checks aggregate per minute). */
export function alarmPeriodSeconds(check: Pick<ValidatedCheck, 'frequency'>): number {
  return Math.max(60, Math.round(ms(check.frequency) / 1000));
}

/**
 * The check's own settings over `defaults.alarm`, field by field. A quorum taken from the
 * defaults is capped at the check's region count (a default of 2 must not break a one-region
 * check); a quorum the check sets itself is not.
 */
export function mergeAlarmSettings(
  own: AlarmSettings | undefined,
  defaults: AlarmSettings | undefined,
  regionCount: number,
): AlarmSettings | undefined {
  if (!own && !defaults) return undefined;
  const merged: AlarmSettings = { ...(defaults ?? {}), ...(own ?? {}) };
  if (own?.quorum === undefined && defaults?.quorum !== undefined)
    merged.quorum = Math.min(defaults.quorum, Math.max(1, regionCount));
  return merged;
}

/** Every alarm setting of a check, defaults applied. */
export function resolveAlarmSettings(
  check: Pick<ValidatedCheck, 'frequency' | 'regions' | 'alarm'>,
): ResolvedAlarmSettings {
  const periodSeconds = alarmPeriodSeconds(check);
  const a = check.alarm ?? {};
  const periods = a.periods ?? Math.max(1, Math.min(3, Math.floor(MAX_EVALUATION_SECONDS / periodSeconds)));
  const datapoints = a.datapoints ?? Math.min(2, periods);
  const quorum = a.quorum ?? Math.min(2, check.regions.length);
  return { quorum, datapoints, periods, periodSeconds };
}

/** Adds a diagnostic for every alarm setting CloudWatch would refuse or that cannot ever fire. */
export function checkAlarmSettings(
  check: Pick<ValidatedCheck, 'frequency' | 'regions' | 'alarm'>,
  path: string,
  issues: Issues,
  own: AlarmSettings | undefined,
): void {
  const regions = check.regions;
  if (regions.length > MAX_ALARM_REGIONS)
    issues.add(
      `${path}.regions`,
      `runs in ${regions.length} regions, but its alarms can read at most ${MAX_ALARM_REGIONS} (one metric per region)`,
      `give this check at most ${MAX_ALARM_REGIONS} regions`,
    );
  const r = resolveAlarmSettings(check);
  const from = (key: keyof AlarmSettings) =>
    own?.[key] !== undefined ? '' : check.alarm?.[key] !== undefined ? ' (from defaults.alarm)' : ' (the default)';
  if (r.quorum > regions.length)
    issues.add(
      `${path}.alarm.quorum`,
      `${r.quorum} is more than the ${regions.length} region${regions.length === 1 ? '' : 's'} the check runs in ` +
        `(${regions.join(', ')})`,
      'lower the quorum or run the check in more regions',
    );
  if (r.datapoints > r.periods)
    issues.add(
      `${path}.alarm.datapoints`,
      `${r.datapoints}${from('datapoints')} is more than periods = ${r.periods}${from('periods')}`,
      'datapoints counts the breaching periods out of `periods`',
    );
  if (r.periods * r.periodSeconds > MAX_EVALUATION_SECONDS)
    issues.add(
      `${path}.alarm.periods`,
      `${r.periods}${from('periods')} periods of ${check.frequency} exceed one day, the longest an alarm can look back`,
      `use at most ${Math.max(1, Math.floor(MAX_EVALUATION_SECONDS / r.periodSeconds))} period(s) for this frequency`,
    );
}
