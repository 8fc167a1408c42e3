/**
 * One word per concept: the alarm on `degradedAfter` is DEGRADED in its name, its description and
 * its page; the runner's liveness metric is `RunnerHealth` (the heartbeat is a probe kind). Alarms
 * deployed before 0.2.0 (`SLOW`, `RunnerHeartbeat`) keep working until their stacks are redeployed.
 */
import { describe, expect, it } from 'vitest';
import { alarmSpecs } from '../shared/alarms/specs';
import { parseConfig } from '../shared/config/validate';
import { runnerHealthDatum } from '../shared/metrics/datums';
import { findSpec, type AlarmStateChangeEvent } from '../shared/notify/notifier';

const config = parseConfig({
  project: 'shop',
  homeRegion: 'eu-central-1',
  regions: ['eu-central-1', 'us-east-1'],
  checks: [{ id: 'home', kind: 'http', url: 'https://shop.example.com/', degradedAfter: '2s' }],
});

const alarm = (alarmName: string, dimensions: Record<string, string>): AlarmStateChangeEvent => ({
  detail: {
    alarmName,
    configuration: {
      metrics: [{ id: 'x0', metricStat: { metric: { namespace: 'Watchpost', name: 'Slow', dimensions } } }],
    },
  },
});

describe('one word per concept', () => {
  it('names the degradedAfter alarm DEGRADED, as its page does', () => {
    const spec = alarmSpecs(config).find((s) => s.key === 'degraded:home')!;
    expect(spec.type).toBe('degraded');
    expect(spec.name).toMatch(/^shop DEGRADED home slower than 2s in all 2 regions - /);
    expect(spec.description).toMatch(/^DEGRADED \(warning\): check home,/);
    expect(alarmSpecs(config).some((s) => / SLOW /.test(s.name))).toBe(false);
  });

  it('still pages from an alarm deployed before 0.2.0 under the name SLOW', () => {
    const old = alarm('shop SLOW home p90 > 2s in all 2 regions - GET https://shop.example.com/', {
      Project: 'shop',
      CheckId: 'home',
      Region: 'eu-central-1',
    });
    expect(findSpec(config, old)?.key).toBe('degraded:home');
  });

  it('publishes the runner liveness as RunnerHealth; the RUNNER alarm reads it alone', () => {
    const datum = runnerHealthDatum('shop', 'us-east-1', new Date(0), false);
    expect(datum).toMatchObject({ name: 'RunnerHealth', value: 0 });
    const runner = alarmSpecs(config).find((s) => s.key === 'runner:us-east-1')!;
    // 0.1.x published RunnerHeartbeat without the Project dimension, which no 0.2.0 alarm could read.
    expect(runner.metrics.map((m) => m.metricName)).toEqual(['RunnerHealth']);
    expect(runner.expression).toBeUndefined();
    expect(runner.description).toContain('RunnerHealth missing or below 1');
    expect(runner.description).not.toMatch(/heartbeat/i);
  });
});
