/**
 * One "alarms" stack in the home region: the alarms of the checks sharding gave it, and the
 * maintenance windows' mute rules for those alarms. The alarms page through the notifier in
 * the home stack (by their state changes), so no cross-stack reference ties the stacks.
 */
import { Duration, Stack, TimeZone, type StackProps } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type { Construct } from 'constructs';
import { muteSchedule, windowCheckIds } from '../shared/alarms/maintenance';
import type { MaintenanceWindow, ValidatedConfig } from '../shared/config/types';
import { renderAlarm } from './alarm';
import type { CheckAlarms } from './sharding';

/** A mute rule targets at most 100 alarms. */
export const MUTE_RULE_MAX_ALARMS = 100;

export interface AlarmsStackProps extends StackProps {
  config: ValidatedConfig;
  /** 1-based number of this stack among the alarms stacks (mute rule names carry it). */
  index: number;
  checks: CheckAlarms[];
  /** @default true */
  alarmActions?: boolean;
}

/** The alarms of `checks` that a window mutes, in order. */
function mutedSpecs(
  config: ValidatedConfig,
  w: MaintenanceWindow,
  checks: readonly CheckAlarms[],
): CheckAlarms['specs'] {
  const covered = new Set(windowCheckIds(config, w));
  return checks.filter((c) => covered.has(c.checkId)).flatMap((c) => c.specs);
}

/** How many mute rules a set of checks needs: per window, one per 100 alarms it covers. */
export function muteRuleCount(config: ValidatedConfig, checks: readonly CheckAlarms[]): number {
  return (config.maintenance ?? []).reduce(
    (n, w) => n + Math.ceil(mutedSpecs(config, w, checks).length / MUTE_RULE_MAX_ALARMS),
    0,
  );
}

export class AlarmsStack extends Stack {
  readonly alarms = new Map<string, cloudwatch.Alarm>();

  constructor(scope: Construct, id: string, props: AlarmsStackProps) {
    super(scope, id, props);
    const { config } = props;
    for (const group of props.checks)
      for (const spec of group.specs) this.alarms.set(spec.key, renderAlarm(this, spec, props.alarmActions ?? true));

    for (const w of config.maintenance ?? []) {
      const alarms = mutedSpecs(config, w, props.checks).map((s) => this.alarms.get(s.key)!);
      const schedule = muteSchedule(w);
      for (let i = 0; i * MUTE_RULE_MAX_ALARMS < alarms.length; i++) {
        const part = alarms.slice(i * MUTE_RULE_MAX_ALARMS, (i + 1) * MUTE_RULE_MAX_ALARMS);
        new cloudwatch.AlarmMuteRule(this, `Mute-${w.name}-${i + 1}`, {
          alarmMuteRuleName: `${config.project}-${w.name}-${props.index}${i ? `-${i + 1}` : ''}`,
          description: (
            `Maintenance "${w.name}": mutes ${part.length} alarm(s) ` +
            `of ${w.checks ? w.checks.join(', ') : 'every check'} for ${w.duration} ` +
            `at ${schedule.expression} ${schedule.timezone}`
          ).slice(0, 1024),
          schedule: cloudwatch.ScheduleExpression.expression(schedule.expression, TimeZone.of(schedule.timezone)),
          duration: Duration.minutes(schedule.minutes),
          alarms: part,
        });
      }
    }
  }
}
