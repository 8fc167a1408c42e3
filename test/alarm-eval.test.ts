/**
 * The synthesized DOWN, DEGRADED and RUNNER alarms, read from the CloudFormation templates (not
 * from the specs) and evaluated as CloudWatch does over datapoint timelines: a period's statistic
 * of the datums the runners publish, `DatapointsToAlarm` of the last `EvaluationPeriods`, missing
 * periods per `TreatMissingData`. The datums come from the real store and datum code.
 */
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../shared/config/validate';
import { resultDatums, runnerHealthDatum, type Datum } from '../shared/metrics/datums';
import { registry } from '../shared/probes/registry';
import { startEmbeddedStore } from '../shared/store/embedded';
import type { CheckResult, CheckStatus } from '../shared/types';
import { buildWatchpost } from '../infra/watchpost-app';

const REGIONS = ['eu-central-1', 'us-east-1', 'ap-southeast-1'];
const T0 = Date.parse('2030-05-01T10:00:00Z');
const config = parseConfig({
  project: 'shop',
  homeRegion: 'eu-central-1',
  regions: REGIONS,
  checks: [{ id: 'web', kind: 'http', url: 'https://shop.example.com/', degradedAfter: '2s' }],
});

interface Alarm {
  name: string;
  metric: string;
  dims: Record<string, string>;
  stat: string;
  period: number;
  threshold: number;
  comparison: string;
  evaluationPeriods: number;
  datapointsToAlarm: number;
  missing: string;
}

let alarms: Alarm[];
beforeAll(() => {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stacks = buildWatchpost(app, config, { account: '123456789012', nag: false });
  app.synth();
  alarms = [stacks.home, ...stacks.alarms].flatMap((s) =>
    Object.values(Template.fromStack(s).findResources('AWS::CloudWatch::Alarm')).flatMap((r: any) => {
      const p = r.Properties;
      // The notifier's own alarms (e.g. undeliverable pages) watch Lambda/SQS metrics: not these.
      if (!/^shop (DOWN|DEGRADED|RUNNER) /.test(p.AlarmName)) return [];
      // Each alarm reads exactly one series: no metric math to evaluate.
      expect(p.Metrics).toHaveLength(1);
      const ms = p.Metrics[0].MetricStat;
      return [
        {
          name: p.AlarmName,
          metric: ms.Metric.MetricName,
          dims: Object.fromEntries(ms.Metric.Dimensions.map((d: any) => [d.Name, d.Value])),
          stat: ms.Stat,
          period: ms.Period,
          threshold: p.Threshold,
          comparison: p.ComparisonOperator,
          evaluationPeriods: p.EvaluationPeriods,
          datapointsToAlarm: p.DatapointsToAlarm,
          missing: p.TreatMissingData,
        },
      ];
    }),
  );
}, 120_000);

const alarm = (word: string) => alarms.find((a) => a.name.startsWith(`shop ${word} `))!;

/** The minute (0-based from T0) at which the alarm first goes to ALARM over `minutes`, or undefined. */
function firstAlarm(a: Alarm, datums: readonly Datum[], minutes: number): number | undefined {
  const matches = (d: Datum) =>
    d.name === a.metric &&
    d.dimensions.length === Object.keys(a.dims).length &&
    d.dimensions.every((x) => a.dims[x.name] === x.value);
  const values: Array<number | undefined> = [];
  for (let p = 0; p < (minutes * 60) / a.period; p++) {
    const from = T0 + p * a.period * 1000;
    const inP = datums.filter(
      (d) => matches(d) && d.timestamp.getTime() >= from && d.timestamp.getTime() < from + a.period * 1000,
    );
    if (!inP.length) values.push(undefined);
    else if (a.stat === 'Sum') values.push(inP.reduce((n, d) => n + d.value, 0));
    else if (a.stat === 'Maximum') values.push(Math.max(...inP.map((d) => d.value)));
    else throw new Error(`statistic ${a.stat} not modelled`);
  }
  const breaches = (v: number | undefined) => {
    if (v === undefined) return a.missing === 'breaching';
    if (a.comparison === 'GreaterThanOrEqualToThreshold') return v >= a.threshold;
    if (a.comparison === 'LessThanThreshold') return v < a.threshold;
    throw new Error(`comparison ${a.comparison} not modelled`);
  };
  // Before T0 every series is healthy (the runners ran, nothing failed): windows start at T0.
  for (let p = a.datapointsToAlarm - 1; p < values.length; p++) {
    const window = values.slice(Math.max(0, p - a.evaluationPeriods + 1), p + 1);
    if (a.missing === 'ignore' && window.every((v) => v === undefined)) continue;
    if (window.filter(breaches).length >= a.datapointsToAlarm) return p;
  }
  return undefined;
}

function result(region: string, minute: number, status: CheckStatus, slow = false): CheckResult {
  return {
    checkId: 'web',
    kind: 'http',
    region,
    scheduledAt: new Date(T0 + minute * 60_000).toISOString(),
    startedAt: new Date(T0 + minute * 60_000 + 5).toISOString(),
    durationMs: slow ? 3_000 : 120,
    status: slow ? 'degraded' : status,
    ...(slow ? { degraded: { code: 'SLOW' as const, message: 'took 3s, slower than degradedAfter 2s' } } : {}),
    attempts: 1,
    timings: { total: slow ? 3_000 : 120 },
    assertions: [],
    metrics: {},
  };
}

let n = 0;
const opened: Array<{ close(): Promise<void> }> = [];
afterAll(async () => {
  for (const o of opened) await o.close();
});

/** What the runners publish: the datums of the results whose store write was new, plus runner health. */
async function publish(passes: CheckResult[][], healthy: (region: string, minute: number) => boolean = () => true) {
  // A store of its own per timeline: every scenario starts with an empty table.
  const e = await startEmbeddedStore({ inMemory: true, tableName: `alarm-eval-${++n}`, retentionMs: 86_400_000 });
  opened.push(e);
  const s = e.store;
  const datums: Datum[] = [];
  for (const batch of passes) {
    const { fresh } = await s.writeResults(batch);
    for (const r of fresh) datums.push(...resultDatums(r, { project: 'shop', kinds: registry }).datums);
  }
  for (let m = 0; m < 10; m++)
    for (const region of REGIONS)
      if (healthy(region, m)) datums.push(runnerHealthDatum('shop', region, new Date(T0 + m * 60_000), true));
  return datums;
}

const passes = (failing: (region: string, minute: number) => CheckStatus | 'slow', from = 0) =>
  Array.from({ length: 10 }, (_, m) =>
    REGIONS.map((region) => {
      const s = failing(region, m + from);
      return result(region, m, s === 'slow' ? 'pass' : s, s === 'slow');
    }),
  );

describe('synthesized alarms over datapoint timelines', () => {
  it('1 of 3 regions failing for 10 minutes pages nobody', async () => {
    const datums = await publish(passes((r) => (r === 'us-east-1' ? 'fail' : 'pass')));
    expect(firstAlarm(alarm('DOWN'), datums, 10)).toBeUndefined();
  });

  it('2 of 3 regions failing pages within the configured periods (2 of 3 minutes)', async () => {
    const datums = await publish(passes((r, m) => (r !== 'us-east-1' && m >= 3 ? 'fail' : 'pass')));
    // Failing from minute 3: the second breaching minute (4) fires.
    expect(firstAlarm(alarm('DOWN'), datums, 10)).toBe(4);
    expect(alarm('DOWN')).toMatchObject({ stat: 'Sum', threshold: 2, datapointsToAlarm: 2, evaluationPeriods: 3 });
  });

  it('a duplicated runner invocation does not count twice', async () => {
    // One region fails; its pass is delivered twice every minute (at once, and again later).
    const once = passes((r) => (r === 'ap-southeast-1' ? 'fail' : 'pass'), 200).map((b) =>
      b.map((x) => ({ ...x, checkId: 'web' })),
    );
    const shifted = once.map((b) =>
      b.map((x) => ({ ...x, scheduledAt: new Date(Date.parse(x.scheduledAt) + 200 * 60_000).toISOString() })),
    );
    const dup = shifted.flatMap((b) => [b, b.filter((x) => x.region === 'ap-southeast-1')]);
    const datums = (await publish(dup)).map((d) => ({
      ...d,
      timestamp: new Date(d.timestamp.getTime() - 200 * 60_000),
    }));
    expect(datums.filter((d) => d.name === 'Failed')).toHaveLength(10);
    expect(firstAlarm(alarm('DOWN'), datums, 10)).toBeUndefined();
  });

  it('slow in 2 of 3 regions pages DEGRADED; slow in 1 does not', async () => {
    const at = (o: number) => (x: CheckResult[]) =>
      x.map((r) => ({ ...r, scheduledAt: new Date(Date.parse(r.scheduledAt) + o * 60_000).toISOString() }));
    const back = (o: number) => (d: Datum) => ({ ...d, timestamp: new Date(d.timestamp.getTime() - o * 60_000) });
    const two = (await publish(passes((r) => (r === 'us-east-1' ? 'pass' : 'slow')).map(at(300)))).map(back(300));
    expect(firstAlarm(alarm('DEGRADED'), two, 10)).toBe(1);
    const one = (await publish(passes((r) => (r === 'us-east-1' ? 'slow' : 'pass')).map(at(400)))).map(back(400));
    expect(firstAlarm(alarm('DEGRADED'), one, 10)).toBeUndefined();
  });

  it("a region whose runner stops is caught by its RUNNER alarm; the others' stay quiet", async () => {
    const datums = await publish([], (region, m) => !(region === 'us-east-1' && m >= 4));
    const runner = (region: string) => alarms.find((a) => a.name.startsWith(`shop RUNNER ${region} `))!;
    expect(runner('us-east-1').missing).toBe('breaching');
    // Silent from minute 4: the third missing minute of five (6) fires.
    expect(firstAlarm(runner('us-east-1'), datums, 10)).toBe(6);
    expect(firstAlarm(runner('eu-central-1'), datums, 10)).toBeUndefined();
  });
});
